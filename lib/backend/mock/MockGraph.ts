/**
 * A mock graph and one execution of it (MockBackend.ts): input/output validation with the
 * QNN backend's error codes, output allocation, computing (the graph's function, a
 * recording, or seeded values) and copying results into the caller's tensors.
 */
import { QnnNodeError, invalidArg } from '../../errors.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { Graph, GraphSignature, RunOptions, TensorMap, TensorSpec } from '../types.js';
import { Prng, hashString } from '../../random.js';
import { fillDefault } from './default-values.js';
import { MockRunProfiler } from './profiling.js';
import type { Profile } from '../../profile/types.js';
import { checkInputs, checkOutputBuffers, checkTensor } from '../validate.js';
import type { MockBackend, MockCall, MockContext, MockGraphFn } from './MockBackend.js';

export const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * A name-keyed map of tensors with a null prototype, so that names like "__proto__" or
 * "constructor" are ordinary own entries. Copies the own enumerable entries of `from`.
 */
function tensorMap(from?: TensorMap): TensorMap {
  const map = Object.create(null) as TensorMap;
  if (from) for (const key of Object.keys(from)) map[key] = from[key];
  return map;
}

export function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** setImmediate runs after the timers phase: due timers (AbortSignal.timeout) fire first. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function abortError(signal: AbortSignal): QnnNodeError {
  return new QnnNodeError('ABORTED', 'The run was aborted', { cause: signal.reason });
}

export class MockGraph implements Graph {
  readonly name: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];

  constructor(
    readonly signature: GraphSignature,
    readonly context: MockContext,
  ) {
    this.name = signature.name;
    this.inputs = signature.inputs;
    this.outputs = signature.outputs;
  }

  /** The synthetic events of this graph's latest profiled run (mock/profiling.ts). */
  lastProfile: Profile | undefined;

  #profiled(profiler: MockRunProfiler): void {
    const profile = profiler.finish(this.name);
    this.lastProfile = profile;
    profiler.onProfile?.(profile);
  }

  async run(inputs: TensorMap, options: RunOptions = {}): Promise<TensorMap> {
    const gate = this.context.sections.gate();
    if (gate) await gate;
    const call = this.context.begin(this, options);
    try {
      const profiler = MockRunProfiler.for(options);
      const latency = this.context.backend.latencyFor(this.name);
      if (latency > 0) await delay(latency, options.signal);
      if (options.signal?.aborted) throw abortError(options.signal);
      profiler?.step('latency');
      const { outputs, returned } = call.execute(inputs);
      const produced = await returned;
      profiler?.step(`compute (${call.source})`);
      // A real backend completes on another thread, so timers run between calls. A
      // synchronous implementation would starve them (a loop of awaited runs is all
      // microtasks): yield once per call, then honour an abort that came due meanwhile.
      // One synchronous call itself cannot be interrupted; its result is dropped.
      await yieldToEventLoop();
      if (options.signal?.aborted) throw abortError(options.signal);
      const result = call.finish(outputs, produced);
      if (profiler) {
        profiler.step('copy outputs');
        this.#profiled(profiler);
      }
      return result;
    } finally {
      this.context.end();
    }
  }

  runSync(inputs: TensorMap, options: RunOptions = {}): TensorMap {
    const call = this.context.begin(this, options);
    try {
      const profiler = MockRunProfiler.for(options);
      if (options.signal?.aborted) throw abortError(options.signal);
      const { outputs, returned } = call.execute(inputs);
      profiler?.step(`compute (${call.source})`);
      if (returned instanceof Promise) {
        returned.catch(() => undefined);
        throw new QnnNodeError('ERR_INVALID_ARG', `The mock implementation of graph ${JSON.stringify(this.name)} returned a promise; runSync needs a synchronous function (use run)`, {
          details: { graph: this.name },
        });
      }
      const result = call.finish(outputs, returned);
      if (profiler) {
        profiler.step('copy outputs');
        this.#profiled(profiler);
      }
      return result;
    } finally {
      this.context.end();
    }
  }
}

/** One graph execution: validation, output allocation, computing, copying back. */
export class MockCallState {
  /** The output tensors this call writes and returns: the caller's, or allocated here. */
  #targets: TensorMap = tensorMap();
  /** How the outputs were computed (named in synthetic profiles). */
  source: 'function' | 'recording' | 'seeded' = 'seeded';

  constructor(
    private readonly graph: MockGraph,
    private readonly backend: MockBackend,
    private readonly options: RunOptions,
    private readonly adapter: string | null,
  ) {}

  execute(inputs: TensorMap): { outputs: TensorMap; returned: ReturnType<MockGraphFn> } {
    const sig = this.graph.signature;
    const strict = this.backend.strictShapes;
    checkInputs(sig, inputs, strict);
    checkOutputBuffers(sig, this.options.outputs, strict);
    const given = this.options.outputs;
    const outputs = tensorMap();
    for (const spec of sig.outputs) {
      const caller = given !== undefined && hasOwn(given, spec.name) ? given[spec.name] : undefined;
      outputs[spec.name] = caller ?? Tensor.zeros(spec.dtype, spec.dims, spec.quant ? { quant: spec.quant } : {});
    }
    this.#targets = tensorMap(outputs);
    const index = this.backend.nextCallIndex(sig.name);
    const rng = new Prng(hashString(`${sig.name}#${index}`, this.backend.seed));
    const call: MockCall = { graph: sig, index, rng, signal: this.options.signal, adapter: this.adapter };
    const fn = this.graph.context.impls?.get(sig.name) ?? this.backend.implementation(sig.name);
    // Inputs are handed over as a frozen shallow copy: the implementation cannot rebind the caller's map.
    const inputView = Object.freeze(tensorMap(inputs));
    if (fn) {
      this.source = 'function';
      return { outputs, returned: fn(inputView, outputs, call) };
    }
    const replay = this.backend.replayer;
    if (replay?.has(sig.name)) {
      this.source = 'recording';
      return { outputs, returned: replay.take(sig.name, inputView) };
    }
    this.source = 'seeded';
    for (const spec of sig.outputs) fillDefault(outputs[spec.name], rng);
    return { outputs, returned: undefined };
  }

  finish(outputs: TensorMap, returned: void | TensorMap): TensorMap {
    const sig = this.graph.signature;
    if (returned !== undefined) {
      if (typeof returned !== 'object' || returned === null) {
        throw invalidArg('an object of output Tensors or undefined', `the return value of the mock graph ${JSON.stringify(sig.name)}`, returned);
      }
      for (const [name, tensor] of Object.entries(returned)) {
        const spec = sig.outputs.find((s) => s.name === name);
        if (!spec) {
          throw new QnnNodeError('UNKNOWN_OUTPUT', `The mock graph ${JSON.stringify(sig.name)} returned output ${JSON.stringify(name)}, which its signature does not declare`, {
            details: { graph: sig.name, output: name },
          });
        }
        outputs[name] = tensor;
      }
    }
    // Like a real backend, results land in the output tensors' own memory: a tensor the
    // implementation returned (or bound into `outputs`) is copied, never handed back, so
    // an output can never alias an input or anything else the implementation holds.
    const targets = this.#targets;
    for (const spec of sig.outputs) {
      const produced = outputs[spec.name];
      const target = targets[spec.name];
      if (produced === target) continue;
      checkTensor(sig.name, 'output', spec, produced, false);
      target.bytes.set(produced.bytes);
    }
    return targets;
  }
}
