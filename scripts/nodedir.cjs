'use strict';
/*
 * Where node-gyp finds the Node headers, so that source builds never download them.
 *
 * node-gyp downloads a headers tarball from nodejs.org unless it is given a "nodedir". This
 * package needs only the Node-API headers (node-addon-api wraps them), so, in order:
 *   1. `npm_config_nodedir` (npm config `nodedir`, e.g. Debian's /usr): node-gyp reads it itself;
 *   2. the headers next to the running node (<prefix>/include/node: official tarballs,
 *      Termux, distributions with a -dev package): `--nodedir=<prefix>`;
 *   3. otherwise a nodedir laid out from the node-api-headers package (a dependency) in
 *      <package>/build-nodedir: include/node/{node_api.h,...} + a Node-API-only common.gypi.
 * On Windows node-gyp also needs node.lib, which neither 2 nor 3 provides: there node-gyp
 * keeps its own behaviour (the win32 prebuilds normally make a build unnecessary).
 */
const fs = require('node:fs');
const path = require('node:path');

const HEADERS = ['node_api.h', 'node_api_types.h', 'js_native_api.h', 'js_native_api_types.h'];

/** The prefix of the running node when its headers sit next to it, else undefined. */
function headersNextToNode(execPath = process.execPath) {
  const prefix = path.resolve(path.dirname(fs.realpathSync(execPath)), '..');
  const inc = path.join(prefix, 'include', 'node');
  return fs.existsSync(path.join(inc, 'node_api.h')) && fs.existsSync(path.join(inc, 'common.gypi')) ? prefix : undefined;
}

/** Lays out <dir>/include/node from node-api-headers; returns dir. */
function nodeApiNodedir(root, dir = path.join(root, 'build-nodedir')) {
  const headers = require(require.resolve('node-api-headers', { paths: [root] }));
  const inc = path.join(dir, 'include', 'node');
  fs.mkdirSync(inc, { recursive: true });
  for (const h of HEADERS) fs.copyFileSync(path.join(headers.include_dir, h), path.join(inc, h));
  fs.copyFileSync(path.join(__dirname, 'node-api-common.gypi'), path.join(inc, 'common.gypi'));
  return dir;
}

/**
 * node-gyp arguments that select the headers, and a sentence for the install log.
 * `--force-process-config`: node-gyp takes the build variables from the running node
 * instead of a config.gypi the node-api-headers nodedir does not have.
 */
function nodedirArgs(root, env = process.env, execPath = process.execPath) {
  if (env.npm_config_nodedir) return { args: [], source: `npm config nodedir (${env.npm_config_nodedir})` };
  if (process.platform === 'win32') return { args: [], source: 'node-gyp default (Windows needs node.lib)' };
  const prefix = headersNextToNode(execPath);
  if (prefix) return { args: [`--nodedir=${prefix}`], source: `the headers next to ${execPath}` };
  const dir = nodeApiNodedir(root);
  return { args: [`--nodedir=${dir}`, '--force-process-config'], source: 'the node-api-headers package' };
}

module.exports = { nodedirArgs, headersNextToNode, nodeApiNodedir };
