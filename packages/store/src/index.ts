export { StoreError, type StoreErrorCode } from './errors.js';
export {
  type CommitExtra,
  type IterateOptions,
  type PreparedCommit,
  type StateReader,
  StateStore,
  type StateStoreOptions,
  type StateWrites,
} from './store.js';
export {
  EMPTY_ROOT,
  type ProofLevel,
  proofFromJson,
  proofToJson,
  type StateProof,
  verifyProof,
} from './verify.js';
