export { helpText, type OptionSpec, type ParsedArgs, parseArgs } from './args.js';
export { type Command, type Io, makeOutput, type Output, processIo, table, toJson } from './command.js';
export { type DevnetHandle, startDevnet } from './commands/node.js';
export {
  client,
  FROM_OPTIONS,
  HELP_OPTION,
  JSON_OPTION,
  RPC_OPTION,
  readPassword,
  resolveAddress,
  resolveSigner,
} from './context.js';
export {
  DEMO_NAMES,
  DEVNET_CHAIN_ID,
  type DemoName,
  demoAccounts,
  demoKey,
  devnetGenesis,
} from './devnet-config.js';
export {
  decryptKey,
  encryptKey,
  type KeystoreV3,
  listKeys,
  loadKeystore,
  openLedgerHome,
  saveKey,
} from './keystore.js';
export { COMMANDS, run } from './main.js';
