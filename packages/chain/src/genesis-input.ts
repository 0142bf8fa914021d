import { type Address, parseAddress } from '@openledger/core';
import { ChainError } from './errors.js';

/** Readers for module genesis sections (JSON-friendly: integers as bigint, number or decimal string). */
export function genesisList(section: unknown, field: string, module: string): Record<string, unknown>[] {
  if (section === undefined || section === null) return [];
  if (typeof section !== 'object') throw invalidGenesis(module, 'the section must be an object');
  const list = (section as Record<string, unknown>)[field];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalidGenesis(module, `${field} must be a list`);
  return list.map((item, i) => {
    if (item === null || typeof item !== 'object')
      throw invalidGenesis(module, `${field}[${i}] must be an object`);
    return item as Record<string, unknown>;
  });
}

export function genesisInteger(value: unknown, path: string, module: string): bigint {
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^(0|[1-9][0-9]*)$/.test(value)) return BigInt(value);
  throw invalidGenesis(module, `${path} must be a non-negative integer, got ${String(value)}`);
}

export function genesisAddress(value: unknown, path: string, module: string): Address {
  try {
    return parseAddress(value as string);
  } catch {
    throw invalidGenesis(module, `${path} must be an address, got ${String(value)}`);
  }
}

export function genesisString(value: unknown, path: string, module: string, fallback = ''): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw invalidGenesis(module, `${path} must be a string`);
  return value;
}

function invalidGenesis(module: string, message: string): ChainError {
  return new ChainError('INVALID_GENESIS', `genesis.modules.${module}: ${message}`);
}
