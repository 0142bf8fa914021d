import type { Address } from '@openledger/core';
import type { Ctx } from './context.js';
import type { StateReader } from './state/types.js';
import type { MessageFields, MessageType } from './tx.js';

/** A message kind together with its handler. `baseGas` is its row in the gas table (DESIGN §3). */
export interface MessageDef<F extends MessageFields = MessageFields> extends MessageType {
  readonly baseGas: bigint;
  /** 'governance': only the governance module account may send it (through an executed proposal). */
  readonly authority?: 'governance';
  /**
   * Marks a message that spends or reserves treasury funds, slashes, or reverses a slash: a proposal
   * carrying one needs `gov.treasuryQuorumBps` instead of `gov.quorumBps` (DESIGN §4.3).
   */
  readonly treasury?: boolean;
  /** One-line description for docs and `--help`. */
  readonly description: string;
  handle(ctx: Ctx, message: F & { from: Address }): Promise<void>;
  /**
   * Optional checks of a message's fields against the current state, without changing it; governance
   * runs them when a proposal carrying the message is submitted, so bad input is refused at once
   * (Cosmos gov v1 runs ValidateBasic at submission). `handle` must still check everything itself.
   */
  validate?(ctx: Ctx, message: F & { from: Address }): Promise<void>;
  /**
   * Optional performance hint: state keys the handler will likely read, fetched in one batch
   * before the block runs. Wrong or missing hints never change results, only speed.
   */
  prefetch?(message: F & { from: Address }): Uint8Array[];
}

/** A governance parameter with its bounds (the parameter registry of DESIGN §4). */
export type ParamDef = {
  readonly name: string;
  readonly description: string;
  readonly default: bigint;
  readonly min: bigint;
  readonly max: bigint;
  /** Unit shown to people: 'seconds', 'bps', 'ppm', 'OPEN' (base units), 'count', 'gas'. */
  readonly unit: string;
};

/** Read-only access for queries (RPC): committed state at some height, and the keepers. */
export type QueryContext = { state: StateReader; height: number };
export type QueryDef = (query: QueryContext, args: Record<string, unknown>) => Promise<unknown>;

export type GenesisAccount = { address: Address; balance: bigint };

/** The genesis file: everything needed to rebuild the first state on any machine. */
export type GenesisConfig = {
  chainId: bigint;
  /** Unix seconds. */
  genesisTime: bigint;
  /** The single sequencer that signs blocks (DESIGN §3 Consensus). */
  sequencer: Address;
  accounts: GenesisAccount[];
  /** Parameter overrides, `"<module>.<name>"` → value. */
  params?: Record<string, bigint>;
  /** Module-specific genesis sections by module name. */
  modules?: Record<string, unknown>;
};

/**
 * One module (DESIGN §3 Modules): it owns its state keys (under its name), messages, handlers,
 * queries, genesis, parameters and invariants, and reaches other modules only through keepers.
 */
export interface Module {
  readonly name: string;
  readonly messages?: readonly MessageDef<any>[];
  readonly params?: readonly ParamDef[];
  readonly queries?: Readonly<Record<string, QueryDef>>;
  initGenesis?(ctx: Ctx, genesis: GenesisConfig): Promise<void>;
  beginBlock?(ctx: Ctx): Promise<void>;
  endBlock?(ctx: Ctx): Promise<void>;
  /** Each returns undefined when it holds, or a description of the violation. */
  readonly invariants?: Readonly<Record<string, (ctx: Ctx) => Promise<string | undefined>>>;
}

/** Key builder for a module's own keyspace: `<module>/<part>/<part>…` with binary parts as-is. */
export function keyspace(module: string) {
  const enc = new TextEncoder();
  const prefix = enc.encode(`${module}/`);
  const encoded = new Map<string, Uint8Array>(); // PERF: key parts are mostly a few constant strings
  const encode = (p: string): Uint8Array => {
    let b = encoded.get(p);
    if (b === undefined) {
      b = enc.encode(p);
      if (encoded.size < 1024) encoded.set(p, b);
    }
    return b;
  };
  return (...parts: Array<string | Uint8Array>): Uint8Array => {
    const bytes = parts.map((p) => (typeof p === 'string' ? encode(p) : p));
    let length = prefix.length;
    for (const b of bytes) length += b.length + 1;
    const out = new Uint8Array(length - (bytes.length ? 1 : 0));
    out.set(prefix);
    let offset = prefix.length;
    bytes.forEach((b, i) => {
      out.set(b, offset);
      offset += b.length;
      if (i < bytes.length - 1) out[offset++] = 0x2f;
    });
    return out;
  };
}
