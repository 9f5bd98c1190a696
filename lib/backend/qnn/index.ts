export { Qnn, type QnnInfo, type QnnLoadContextCallOptions, type QnnLoadOptions, type QnnLogLevel, type QnnPlatformInfo } from './Qnn.js';
export { type DeadlineOptions } from './deadline.js';
export { describeQnnStatus, qnnStatusRange, type QnnStatusRange } from './status.js';
export { QnnContext, type QnnContextInfo, type QnnLoadContextOptions } from './QnnContext.js';
export { QnnGraph } from './QnnGraph.js';
export { sdkLibFolders } from './libraries.js';
export { addonAvailable, referenceBackendPaths, type ReferenceBackendPaths } from '../../native/binding.js';
export { readContextSignature, type ReadContextSignatureOptions } from './signature.js';
export type { IsolationLimits } from './isolated-reader.js';
export type {
  ContextConfigOptions,
  GraphConfig,
  HtpBackendConfig,
  HtpContextConfig,
  HtpDeviceConfig,
  HtpGraphConfig,
  QnnPriority,
} from './htp-configs.js';
export type { LoadContextsOptions as QnnLoadContextsOptions } from './shared-contexts.js';
export { powerOptionsFor, type DcvsV3Config, type HmxV2Config, type HmxVoltageCorner, type PowerConfig, type PowerMode, type PowerTarget, type VoltageCorner, type CornerRange } from './power-configs.js';
export type { QnnPowerInfo } from './qnn-power.js';
