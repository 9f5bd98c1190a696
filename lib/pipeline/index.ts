/** lib/pipeline public surface: manifests, the runner, host ops. */
export * from './manifest.js';
export { validateManifest, manifestSchema, type ManifestIssue } from './validate.js';
export { Pipeline, runManifest, type PipelineOptions, type PipelineRunOptions, type PipelineInputs, type ContextLoadInfo } from './runner.js';
export { backendLibraryName, type OpenStageBackend } from './backends.js';
export { DEFAULT_LIMITS, type PipelineLimits } from './limits.js';
export * from './events.js';
export {
  registerHostOp,
  unregisterHostOp,
  registeredHostOps,
  type HostOpContext,
  type HostOpDefinition,
  type HostOpFn,
  type HostOpResult,
  type PipelineValue,
  type RawImage,
} from './hostops.js';
export { BUILTIN_HOST_OPS } from './ops/builtin.js';
export type { StaticType, HostOpInfer, InferInfo, InferredTypes } from './static-types.js';
export { EmbeddingTable, PipelineAssets, type EmbeddingTableOptions } from './assets.js';
export { decodeImage, preprocessImage, resizeRgb, type PreprocessOptions, type ResizeMethod } from './ops/image.js';
export { Sampler, argmaxHalf, argmaxFloat, type SampleOptions } from './ops/sample.js';
export { concatDims, concatInto, sliceTensor, padTensor, kvWrite, fillValue, writeRange, writeMask, axpy } from './ops/tensor.js';
export { writeRopeTables, ropeInverseFrequencies, rangePositions, tensorPositions, type RopeTableOptions, type RopePositions } from './ops/rope.js';
export { writeMropePositions, mropeLength, type MropeLayout, type MropeResult } from './ops/mrope-layout.js';
export { applyVariant, type VariantEntry, type VariantContextEntry } from './variants.js';
export { parseStats, parseSafetensors, type NormStats } from './stats.js';
export { stageTable, pipelineOpTable, pipelineTracks, RunProfiler, type PipelineProfile, type ProfiledStep, type StageRow } from './profiling.js';
export type { SharedMemoryMode, SharedMemoryReport } from './shared-alloc.js';
