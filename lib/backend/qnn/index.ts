export { Qnn, type QnnInfo, type QnnLoadOptions, type QnnLogLevel, type QnnPlatformInfo } from './Qnn.js';
export { QnnContext, type QnnContextInfo, type QnnLoadContextOptions } from './QnnContext.js';
export { QnnGraph } from './QnnGraph.js';
export { sdkLibFolders } from './libraries.js';
export { addonAvailable, referenceBackendPaths, type ReferenceBackendPaths } from '../../native/binding.js';
export { readContextSignature, type ReadContextSignatureOptions } from './signature.js';
export type { IsolationLimits } from './isolated-reader.js';
