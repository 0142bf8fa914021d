/**
 * `@openledger/attribution/rules`: the I/O-free, deterministic consensus rules of Proof of Attribution
 * (DESIGN §4.4 rows/versions, §4.7 spans, weights, evidence, challenges). The chain imports this entry.
 */

export * from './buildEvidence.js';
export * from './bytes.js';
export * from './challenge.js';
export * from './datanetRows.js';
export * from './errors.js';
export * from './evidence.js';
export * from './log2.js';
export * from './merkle.js';
export * from './rowProof.js';
export * from './rows.js';
export * from './spans.js';
export * from './verify.js';
export * from './versions.js';
export * from './weights.js';
