export * from './errors.js';
export * from './tensor/dtypes.js';
export * from './backend/types.js';
export * from './backend/registry.js';
