export { type Address, formatOpen, type Hex, parseOpen } from '@openledger/core';
export { downloadBlob, type UploadBlobParameters, type UploadedBlob, uploadBlob } from './blobs.js';
export {
  type ChainInfo,
  type ClientOptions,
  jsonFields,
  OpenLedgerClient,
  parseReceipt,
  type Receipt,
  type SendOptions,
  type Sent,
} from './client.js';
export { RpcRequestError } from './errors.js';
export { LightClient, type VerifiedValue } from './light-client.js';
export { externalSigner, privateKeySigner, type Signer, type SignTypedDataParameters } from './signer.js';
