export {
  type Address,
  addressFromBytes,
  addressToBytes,
  isAddress,
  moduleAddress,
  parseAddress,
  toChecksumAddress,
} from './address.js';
export { formatOpen, formatUnits, OPEN, OPEN_DECIMALS, parseOpen, parseUnits } from './amount.js';
export {
  abbreviate,
  bigintToBytes,
  bytesToBigint,
  compareBytes,
  concatBytes,
  equalBytes,
  fromHex,
  fromUtf8,
  type Hex,
  toHex,
  toHexRaw,
  u64be,
  utf8,
} from './bytes.js';
export { decode, encode, MAX_DEPTH, type Value } from './codec.js';
export * from './codec-read.js';
export {
  DOMAIN_TYPE,
  domainSeparator,
  type Eip712Domain,
  encodeType,
  type HashTypedDataParameters,
  hashStruct,
  hashTypedData,
  openLedgerDomain,
  type TypedField,
  type TypedTypes,
  typeHash,
} from './eip712.js';
export { BaseError, type BaseErrorParameters, isBaseError } from './errors.js';
export { keccak256, sha256 } from './hash.js';
export {
  generatePrivateKey,
  parseSignature,
  privateKeyToAddress,
  publicKeyToAddress,
  recoverAddress,
  recoverPublicKey,
  SECP256K1_HALF_N,
  SECP256K1_N,
  type SignatureParts,
  signDigest,
} from './keys.js';
