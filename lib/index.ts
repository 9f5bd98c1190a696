export * from './errors.js';
export * from './tensor/index.js';
export * from './backend/types.js';
export * from './backend/registry.js';
