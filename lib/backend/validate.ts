/**
 * Checks a graph's inputs / caller-supplied outputs against its signature with the same
 * error codes as the native backend, so wiring bugs fail the same way in CI (mock) and
 * on a device (QNN).
 */
import { QnnNodeError, describeValue, invalidArg, outOfRange } from '../errors.js';
import { Tensor } from '../tensor/Tensor.js';
import type { GraphSignature, TensorMap, TensorSpec } from './types.js';
import { MAX_DIM, checkedElementCount, sameDims } from '../tensor/shape.js';

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * SIZE_MISMATCH for a spec whose dims have no exact element count (the product overflows
 * 2^53 - 1): no buffer can match it, so it must never be compared as a wrapped number.
 */
export function unsizableSpec(graph: string, role: 'input' | 'output', spec: TensorSpec): QnnNodeError {
  return new QnnNodeError(
    'SIZE_MISMATCH',
    `The ${role} ${JSON.stringify(spec.name)} of graph ${JSON.stringify(graph)} declares dims [${spec.dims.join(', ')}], whose element count overflows`,
    { details: { graph, tensor: spec.name, role, dims: [...spec.dims] } },
  );
}

/** Throws unless `tensor` matches `spec` (dtype, element count and — when strict — dims). */
export function checkTensor(graph: string, role: 'input' | 'output', spec: TensorSpec, tensor: unknown, strictShapes: boolean): asserts tensor is Tensor {
  const where = `${role} ${JSON.stringify(spec.name)} of graph ${JSON.stringify(graph)}`;
  if (!(tensor instanceof Tensor)) throw invalidArg('a Tensor', where, tensor);
  if (tensor.dtype !== spec.dtype) {
    throw new QnnNodeError('DTYPE_MISMATCH', `Expected dtype ${spec.dtype} for ${where} but received ${tensor.dtype}`, {
      details: { graph, tensor: spec.name, role, expected: spec.dtype, received: tensor.dtype },
    });
  }
  const expected = checkedElementCount(spec.dims);
  if (expected === undefined) throw unsizableSpec(graph, role, spec);
  if (tensor.size !== expected) {
    throw new QnnNodeError(
      'SIZE_MISMATCH',
      `Expected ${expected} elements [${spec.dims.join(', ')}] for ${where} but received ${tensor.size} [${tensor.dims.join(', ')}]`,
      { details: { graph, tensor: spec.name, role, expected: [...spec.dims], received: [...tensor.dims] } },
    );
  }
  if (strictShapes && !sameDims(tensor.dims, spec.dims)) {
    throw new QnnNodeError('SHAPE_MISMATCH', `Expected dims [${spec.dims.join(', ')}] for ${where} but received [${tensor.dims.join(', ')}]`, {
      details: { graph, tensor: spec.name, role, expected: [...spec.dims], received: [...tensor.dims] },
    });
  }
}

/** Validates a full input map: no unknown names, none missing, each matching its spec. */
export function checkInputs(signature: GraphSignature, inputs: TensorMap, strictShapes: boolean): void {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw invalidArg('an object of Tensors by input name', `inputs of graph ${JSON.stringify(signature.name)}`, inputs);
  }
  const names = new Set(signature.inputs.map((s) => s.name));
  for (const key of Object.keys(inputs)) {
    if (!names.has(key)) {
      throw new QnnNodeError(
        'UNKNOWN_INPUT',
        `Graph ${JSON.stringify(signature.name)} has no input ${JSON.stringify(key)}; its inputs are ${[...names].map((n) => JSON.stringify(n)).join(', ')}`,
        { details: { graph: signature.name, input: key, inputs: [...names] } },
      );
    }
  }
  for (const spec of signature.inputs) {
    if (!hasOwn(inputs, spec.name) || inputs[spec.name] === undefined) {
      throw new QnnNodeError('MISSING_INPUT', `Graph ${JSON.stringify(signature.name)} needs input ${JSON.stringify(spec.name)} (${spec.dtype} [${spec.dims.join(', ')}])`, {
        details: { graph: signature.name, input: spec.name, dtype: spec.dtype, dims: [...spec.dims] },
      });
    }
    checkTensor(signature.name, 'input', spec, inputs[spec.name], strictShapes);
  }
}

/** Validates RunOptions.outputs: known names, matching specs. */
export function checkOutputBuffers(signature: GraphSignature, outputs: TensorMap | undefined, strictShapes: boolean): void {
  if (outputs === undefined) return;
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
    throw invalidArg('an object of Tensors by output name', 'options.outputs', outputs);
  }
  const specs = new Map(signature.outputs.map((s) => [s.name, s]));
  for (const [key, tensor] of Object.entries(outputs)) {
    const spec = specs.get(key);
    if (!spec) {
      throw new QnnNodeError(
        'UNKNOWN_OUTPUT',
        `Graph ${JSON.stringify(signature.name)} has no output ${JSON.stringify(key)}; its outputs are ${[...specs.keys()].map((n) => JSON.stringify(n)).join(', ')}`,
        { details: { graph: signature.name, output: key, outputs: [...specs.keys()] } },
      );
    }
    checkTensor(signature.name, 'output', spec, tensor, strictShapes);
  }
}

/** Validates a GraphSignature object read from JSON or passed by a user. */
export function checkSignature(value: unknown, name: string): GraphSignature {
  const sig = value as GraphSignature;
  if (typeof sig !== 'object' || sig === null || typeof sig.name !== 'string' || !Array.isArray(sig.inputs) || !Array.isArray(sig.outputs)) {
    throw invalidArg('a graph signature { name, inputs, outputs }', name, value);
  }
  for (const [role, list] of [
    ['inputs', sig.inputs],
    ['outputs', sig.outputs],
  ] as const) {
    list.forEach((spec, i) => {
      if (
        typeof spec !== 'object' ||
        spec === null ||
        typeof spec.name !== 'string' ||
        typeof spec.dtype !== 'string' ||
        !Array.isArray(spec.dims) ||
        !spec.dims.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0)
      ) {
        throw invalidArg(`a tensor spec { name, dtype, dims } (${describeValue(spec)})`, `${name}.${role}[${i}]`, spec);
      }
      // QNN dims are uint32 and a tensor's element count must be exact: no wrapped sizes.
      spec.dims.forEach((d: number, k: number) => {
        if (d > MAX_DIM) throw outOfRange(`an integer from 0 to ${MAX_DIM}`, `${name}.${role}[${i}].dims[${k}]`, d);
      });
      if (checkedElementCount(spec.dims) === undefined) {
        throw outOfRange('dims whose element count is at most 2^53 - 1', `${name}.${role}[${i}].dims`, spec.dims);
      }
    });
  }
  return sig;
}
