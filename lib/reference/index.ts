/**
 * `qnn-node/reference` (package.json "exports"): the reference backend's binary format —
 * write context binaries for the bundled CPU reference backend (`writeReferenceBinary`,
 * `encodeReferenceBinary`), plan and read them. docs/reference-backend.md.
 */
export * from './format.js';
export * from './writer.js';
export * from './reader.js';
export * from './section.js';
export * from './dlc.js';
