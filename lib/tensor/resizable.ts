/**
 * Whether memory can move or shrink under a native call: a resizable ArrayBuffer or a
 * growable SharedArrayBuffer. Uses the built-in prototype getters captured at module load,
 * so a `resizable` property on an instance cannot spoof the answer.
 */

type FlagGetter = (this: unknown) => boolean;

function builtinGetter(proto: object | undefined, key: string): FlagGetter | undefined {
  if (!proto) return undefined;
  const get = Object.getOwnPropertyDescriptor(proto, key)?.get;
  return typeof get === 'function' ? (get as FlagGetter) : undefined;
}

const resizableGet = builtinGetter(ArrayBuffer.prototype, 'resizable');
const growableGet = builtinGetter(
  typeof SharedArrayBuffer === 'undefined' ? undefined : (SharedArrayBuffer.prototype as object),
  'growable',
);
const apply = Reflect.apply;

function flag(get: FlagGetter | undefined, buffer: unknown): boolean | undefined {
  if (!get) return undefined;
  try {
    return apply(get, buffer, []) === true;
  } catch {
    return undefined; // not that kind of buffer
  }
}

/** True for a resizable ArrayBuffer / growable SharedArrayBuffer, or a view on one. */
export function isResizableBuffer(value: ArrayBufferLike | ArrayBufferView): boolean {
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  return flag(resizableGet, buffer) ?? flag(growableGet, buffer) ?? false;
}
