export * from './errors.js';
export * from './tensor/index.js';
export * from './backend/types.js';
export * from './backend/registry.js';
export * from './backend/mock/index.js';
export * from './pipeline/index.js';
export * from './backend/qnn/index.js';
