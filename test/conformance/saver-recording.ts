/**
 * Reads what the real libQnnSaver recorded (saver_output/saver_output.c + params.bin) into
 * plain objects: the graphs created, every tensor passed to tensorCreateGraphTensor (name,
 * type, dtype, dims, quantization, static data) and every node passed to
 * backendValidateOpConfig / graphAddNode (name, package, type, inputs, outputs, params).
 * Saver's recording is C source: declarations `T var = {...};` and `interface.fn(args)`
 * calls in call order; static data is read from params.bin by `fread` in that order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SavedTensor {
  version: number;
  name: string;
  type: number;
  dtype: number;
  dims: number[];
  quant: null | { definition: number; encoding: number; scale: number; offset: number };
  data?: Uint8Array;
}
export interface SavedParam {
  name: string;
  kind: 'scalar' | 'tensor';
  dtype?: number;
  value?: number;
  tensor?: SavedTensor;
}
export interface SavedOp {
  name: string;
  package: string;
  type: string;
  inputs: string[];
  outputs: string[];
  params: SavedParam[];
}
export interface SaverRecording {
  calls: string[];
  graphs: string[];
  tensors: { graph: string; tensor: SavedTensor }[];
  validated: SavedOp[];
  nodes: { graph: string; op: SavedOp }[];
  finalized: string[];
  executed: string[];
}

function splitTop(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let inString = false;
  for (const ch of list) {
    if (ch === '"') inString = !inString;
    if (!inString && ch === '{') depth++;
    if (!inString && ch === '}') depth--;
    if (!inString && ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const unquote = (s: string): string => JSON.parse(s) as string;
const castNumber = (s: string): number => Number(s.replace(/^\([A-Za-z_0-9]+\)/, ''));

export function readSaverRecording(dir: string): SaverRecording {
  const source = readFileSync(join(dir, 'saver_output.c'), 'utf8');
  const params = readFileSync(join(dir, 'params.bin'));
  // Declarations: `<type> <name>[] = {...};` or `<type> <name> = {...};` or `= NULL;`.
  const decls = new Map<string, string>();
  for (const m of source.matchAll(/^\s*(?:static\s+)?[A-Za-z_][A-Za-z_0-9]*\*?\s+([A-Za-z_][A-Za-z_0-9]*)(?:\[\d*\])?\s*=\s*(\{.*\}|NULL);\s*$/gm)) {
    decls.set(m[1], m[2]);
  }
  // Static data, in fread order.
  const data = new Map<string, Uint8Array>();
  let at = 0;
  for (const m of source.matchAll(/fread\(([A-Za-z_0-9]+), (\d+), (\d+), fp\);/g)) {
    const n = Number(m[2]) * Number(m[3]);
    data.set(m[1], new Uint8Array(params.subarray(at, at + n)));
    at += n;
  }
  const body = (name: string): string[] => {
    const d = decls.get(name);
    if (d === undefined) throw new Error(`saver_output.c declares no ${name}`);
    if (d === 'NULL') return [];
    return splitTop(d.slice(1, -1));
  };
  const tensor = (name: string): SavedTensor => {
    const [version, member] = body(name);
    const v1 = member.replace(/^\.v1 = /, '');
    const f = body(v1);
    const dimsVar = f[7];
    const quantFields = body(f[5]);
    const encoding = castNumber(quantFields[1]);
    const scaleOffset = quantFields[2]?.startsWith('.scaleOffsetEncoding') ? splitTop(quantFields[2].replace(/^\.scaleOffsetEncoding = \{/, '').replace(/\}$/, '')) : [];
    const t: SavedTensor = {
      version: castNumber(version),
      name: unquote(f[1]),
      type: castNumber(f[2]),
      dtype: castNumber(f[4]),
      dims: body(dimsVar).map(Number),
      quant: encoding === 0x7fffffff ? null : { definition: castNumber(quantFields[0]), encoding, scale: Number(scaleOffset[0]), offset: Number(scaleOffset[1]) },
    };
    const bytes = data.get(`${name}_data`);
    if (bytes) t.data = bytes;
    return t;
  };
  const op = (name: string): SavedOp => {
    const [, member] = body(name);
    const f = body(member.replace(/^\.v1 = /, ''));
    const names = (arrayVar: string) => body(arrayVar).map((t) => tensor(t).name);
    const paramList = body(f[4]).map((p): SavedParam => {
      const pf = body(p);
      const name = unquote(pf[1]);
      if (castNumber(pf[0]) === 0) {
        const scalar = body(pf[2].replace(/^\.scalarParam = /, ''));
        return { name, kind: 'scalar', dtype: castNumber(scalar[0]), value: Number(scalar[1].replace(/^\.[A-Za-z0-9]+ = /, '')) };
      }
      return { name, kind: 'tensor', tensor: tensor(pf[2].replace(/^\.tensorParam = /, '')) };
    });
    return { name: unquote(f[0]), package: unquote(f[1]), type: unquote(f[2]), params: paramList, inputs: names(f[6]), outputs: names(f[8]) };
  };

  const rec: SaverRecording = { calls: [], graphs: [], tensors: [], validated: [], nodes: [], finalized: [], executed: [] };
  const graphOf = new Map<string, string>();
  for (const m of source.matchAll(/interface\.([A-Za-z]+)\(([^;]*)\)\);/g)) {
    const [fn, argText] = [m[1], m[2]];
    const args = splitTop(argText);
    rec.calls.push(fn);
    if (fn === 'graphCreate') {
      const name = unquote(args[1]);
      rec.graphs.push(name);
      graphOf.set(args[3].replace(/^&/, ''), name);
    } else if (fn === 'tensorCreateGraphTensor') {
      rec.tensors.push({ graph: graphOf.get(args[0])!, tensor: tensor(args[1].replace(/^&/, '')) });
    } else if (fn === 'backendValidateOpConfig') {
      rec.validated.push(op(args[1]));
    } else if (fn === 'graphAddNode') {
      rec.nodes.push({ graph: graphOf.get(args[0])!, op: op(args[1]) });
    } else if (fn === 'graphFinalize') {
      rec.finalized.push(graphOf.get(args[0])!);
    } else if (fn === 'graphExecute') {
      rec.executed.push(graphOf.get(args[0])!);
    }
  }
  return rec;
}
