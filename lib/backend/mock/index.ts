export { MockBackend, type MockBackendOptions, type MockCall, type MockGraphFn } from './MockBackend.js';
export { RecordingReplayer, compareTensor, readRecordingIndex, type RecordedCall, type RecordedTensor, type RecordingIndex, type Tolerance } from './recording.js';
export type { MockPerfProfileRecord } from './power.js';
export { MOCK_BINARY_MAGIC, type MockBinary, type MockModel, type MockModelRecord } from './compose.js';
