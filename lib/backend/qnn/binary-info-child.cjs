// @ts-check
/**
 * The child process of lib/backend/qnn/isolated-reader.ts: reads ONE context binary's info
 * with the addon's readBinaryInfo (the vendor's QnnSystem library) under resource limits,
 * and reports the outcome as JSON on fd 3. If the library crashes or hangs, only this
 * process goes; the parent turns that into BINARY_INVALID.
 *
 * Input (stdin): one JSON line { addon, system, path?, sdkMinor?, memoryBytes?, cpuSeconds?,
 * parentPid? }, then, when there is no `path`, the binary's bytes until EOF.
 * Plain CommonJS with no imports from the package: it runs the same from lib/ and dist/.
 */
'use strict';
const fs = require('node:fs');

/** @param {unknown} message */
function send(message) {
  const text = JSON.stringify(message, (_key, value) => (typeof value === 'bigint' ? { bigint: value.toString() } : value));
  fs.writeSync(3, text);
}

/** @param {any} e */
function serializeError(e) {
  if (typeof e !== 'object' || e === null) return { message: String(e) };
  return {
    name: e.name,
    message: String(e.message),
    code: e.code,
    status: e.status,
    statusName: e.statusName,
    apiFunction: e.apiFunction,
    backendMessage: e.backendMessage,
    details: e.details,
    isTypeError: e instanceof TypeError,
    isRangeError: e instanceof RangeError,
  };
}

async function main() {
  const input = fs.readFileSync(0);
  const newline = input.indexOf(10);
  if (newline < 0) throw new Error('binary-info-child: no request on stdin');
  const request = JSON.parse(input.subarray(0, newline).toString('utf8'));
  const addon = require(request.addon);
  const limits = addon.limitProcess
    ? addon.limitProcess({
        ...(request.memoryBytes ? { memoryBytes: request.memoryBytes } : {}),
        ...(request.cpuSeconds ? { cpuSeconds: request.cpuSeconds } : {}),
        ...(request.parentPid ? { parentPid: request.parentPid } : {}),
      })
    : null;
  const source = typeof request.path === 'string' ? request.path : input.subarray(newline + 1);
  const info = await addon.readBinaryInfo(request.system, source, request.sdkMinor ?? undefined);
  send({ ok: true, info, limits });
}

main().catch((error) => {
  send({ ok: false, error: serializeError(error) });
});
