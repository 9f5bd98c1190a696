export * from './errors.js';
export { Prng, hashString } from './random.js';
export * from './tensor/index.js';
export * from './backend/types.js';
export * from './backend/registry.js';
export { readSignatureFile } from './backend/signature.js';
export * from './backend/mock/index.js';
export * from './pipeline/index.js';
export * from './backend/qnn/index.js';
