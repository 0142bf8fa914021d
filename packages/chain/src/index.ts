export {
  App,
  type ApplyMode,
  type AppOptions,
  type BlockResult,
  GOVERNANCE,
  genesisHeader,
  type PreparedTx,
  type RejectedTx,
  type SignerRecovery,
  SYSTEM,
} from './app.js';
export * from './block.js';
export { type BlockInfo, Ctx } from './context.js';
export { ChainError, type ChainErrorCode } from './errors.js';
export { type ChainEvent, type EventAttributes, makeEvent } from './events.js';
export { GAS, GasMeter, InfiniteGasMeter } from './gas.js';
export type { Keepers } from './keepers.js';
export {
  type GenesisAccount,
  type GenesisConfig,
  keyspace,
  type MessageDef,
  type Module,
  type ParamDef,
  type QueryContext,
  type QueryDef,
} from './module.js';
export { type AuthKeeper, nonceKey } from './modules/auth/index.js';
export { type BankKeeper, balanceKey, FEE_COLLECTOR, TREASURY } from './modules/bank/index.js';
export {
  CHALLENGE_GAS,
  CHALLENGES,
  type ChallengeFields,
  type ChallengeRecord,
  type CitedRowFields,
  challengesModule,
  claimFromFields,
  correctedWeights,
  fieldsFromClaim,
} from './modules/challenges/index.js';
export {
  type Contribution,
  DATANET_BONDS,
  DATANET_REWARDS,
  type Datanet,
  type DatanetsKeeper,
  datanetsDevnetParams,
  type Licence,
  type VersionRecord,
} from './modules/datanets/index.js';
export { devnetParams } from './modules/devnet.js';
export {
  DISTRIBUTION,
  type DistributionKeeper,
  REWARD_SCALE,
  type Totals as DistributionTotals,
  type ValidatorRewards,
} from './modules/distribution/index.js';
export {
  bondWeightedMedian,
  FEEDBACK_BONDS,
  FEEDBACK_POOL,
  feedbackDevnetParams,
} from './modules/feedback/index.js';
export {
  GOV_LOCKED,
  GOVERNANCE_OWN_KINDS,
  type GovStakeKeeper,
  MAX_PROPOSAL_MESSAGES,
  type Proposal,
  type ProposalMessage,
  type ProposalStatus,
  quorumOf,
  SUPPORT,
  type UnlockEntry,
} from './modules/gov/index.js';
export { chainModules, createApp } from './modules/index.js';
export {
  MODEL_GRANTS,
  type Model,
  type ModelStage,
  type ModelsKeeper,
  type ModelVersion,
  modelsDevnetParams,
  type Pin,
  type VersionStatus,
} from './modules/models/index.js';
export { type ParamsKeeper, paramKey, type RegisteredParam } from './modules/params/index.js';
export {
  type FeeSplit,
  type FeeWeight,
  hashUsage,
  hashVoucher,
  type InferenceReceipt,
  MAX_RECEIPTS_PER_BATCH,
  OPERATOR_BONDS,
  type ReceiptRecord,
  SETTLEMENT_ESCROW,
  SETTLEMENT_REWARDS,
  type SettlementKeeper,
  type SplitFeeParameters,
  settlementDevnetParams,
  signUsage,
  signVoucher,
  splitFee,
  USAGE_TYPES,
  type Usage,
  VOUCHER_TYPES,
  type Voucher,
} from './modules/settlement/index.js';
export {
  type HoldParameters,
  SLASHED,
  type SlashingKeeper,
  type SlashRecord,
  type SlashReturnHandler,
  type SlashStatus,
} from './modules/slashing/index.js';
export {
  type CreateValidatorParameters,
  STAKING,
  type StakingHooks,
  type StakingKeeper,
  type UnbondingEntry,
  type Validator,
} from './modules/staking/index.js';
export {
  DEVNET_CONSENSUS_KEY,
  type StakingDevnetGenesisOptions,
  stakingDevnetGenesisModules,
  stakingDevnetParams,
} from './modules/staking-devnet.js';
export type { TreasuryKeeper, TreasuryStatus } from './modules/treasury/index.js';
export type { RouterKeeper } from './router.js';
export { MemoryState, Overlay } from './state/overlay.js';
export type { IterateOptions, StateReader, StateWrites } from './state/types.js';
export {
  jsonify,
  MAX_TX_BYTES,
  type MessageFields,
  MessageRegistry,
  type MessageType,
  type SignedTx,
  signTransaction,
  TX_ENVELOPE_FIELDS,
  type TxMessage,
} from './tx.js';
