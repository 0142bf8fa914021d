export {
  AttributionService,
  type AttributionServiceOptions,
  MAX_TRACE_TOKENS,
  type TraceAnswer,
  type TraceRequest,
} from './attribution-service.js';
export * from './attribution-sync.js';
export { attachBlobStore, type BlobServiceOptions, checkBlobs } from './blob-service.js';
export {
  BLOB_KINDS,
  BlobError,
  type BlobKind,
  type BlobMeta,
  BlobStore,
  type BlobStoreOptions,
  contributionRows,
  normalizeBlobHash,
} from './blob-store.js';
export { Follower, type FollowerOptions, followerMethods, rpcCall } from './follower.js';
export { genesisFromJson, genesisToJson } from './genesis-file.js';
export { Mempool, type MempoolOptions } from './mempool.js';
export { loadNativeSecp256k1, nativeRecoverAddress } from './native-secp.js';
export { type BlockCommitted, type MempoolCheck, Node, type NodeOptions, PreparedBlock } from './node.js';
export { BlockProducer } from './producer.js';
export { decodeBlock, encodeBlock, RECORD, type StoredBlock } from './records.js';
export { type Recovered, RecoveryPool, type RecoveryPoolOptions } from './recovery-pool.js';
export { RPC, RpcError, toRpcError } from './rpc-errors.js';
export { type RpcMethod, rpcMethods } from './rpc-methods.js';
export {
  createRpcHandler,
  type RpcHandler,
  type RpcServer,
  type RpcServerOptions,
  startRpcServer,
} from './rpc-server.js';
