/**
 * `@openledger/attribution`: the on-disk suffix-array span index, `trace`, `verify` and the copy report.
 * The consensus rules are the I/O-free `@openledger/attribution/rules` entry, re-exported here.
 */
export * from './index/attributionIndex.js';
export * from './index/datanetIndex.js';
export { suffixArray } from './index/sais.js';
export * from './rules/index.js';
