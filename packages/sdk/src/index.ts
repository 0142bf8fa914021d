export { type Address, formatOpen, type Hex, parseOpen } from '@openledger/core';
export {
  type AttributionPin,
  type AttributionStatus,
  attributionStatus,
  type CopyReportAnswer,
  copyReport,
  type TraceAnswer,
  type TracedSpan,
  type TraceParameters,
  trace,
  verifyEvidence,
} from './attribution.js';
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
export {
  cancelProposal,
  delegateGov,
  type EncodedMessage,
  encodeProposalMessage,
  executeProposal,
  getGovStake,
  getProposal,
  listProposals,
  lockGov,
  type ProposalInfo,
  type ProposalMessageInput,
  type ProposeParameters,
  proposalIdOf,
  propose,
  SUPPORT_CODE,
  type Support,
  unlockGov,
  vote,
} from './governance.js';
export { LightClient, type VerifiedValue } from './light-client.js';
export { externalSigner, privateKeySigner, type Signer, type SignTypedDataParameters } from './signer.js';
export {
  ACTION_GAS_LIMIT,
  type Amount,
  bond,
  type CreateValidatorParameters,
  createValidator,
  getStake,
  getValidators,
  type StakeInfo,
  unbond,
  type ValidatorInfo,
  withdrawRewards,
} from './staking.js';
