import type { GenesisConfig } from '@openledger/chain';
import { parseAddress } from '@openledger/core';

/** Genesis as JSON (integers as decimal strings), for files, the RPC and followers. */
export function genesisToJson(g: GenesisConfig): string {
  return JSON.stringify(g, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

const BIG = /^(0|[1-9][0-9]*)$/;

export function genesisFromJson(text: string): GenesisConfig {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const big = (v: unknown, name: string): bigint => {
    if (typeof v !== 'string' || !BIG.test(v)) throw new Error(`genesis ${name} must be a decimal string`);
    return BigInt(v);
  };
  const accounts = (raw.accounts as Array<{ address: string; balance: string }>).map((a, i) => ({
    address: parseAddress(a.address),
    balance: big(a.balance, `accounts[${i}].balance`),
  }));
  const params: Record<string, bigint> = {};
  for (const [k, v] of Object.entries((raw.params as Record<string, string>) ?? {}))
    params[k] = big(v, `params.${k}`);
  return {
    chainId: big(raw.chainId, 'chainId'),
    genesisTime: big(raw.genesisTime, 'genesisTime'),
    sequencer: parseAddress(String(raw.sequencer)),
    accounts,
    params,
    modules: (raw.modules as Record<string, unknown>) ?? {},
  };
}
