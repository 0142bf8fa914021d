import { balanceKey, decodeSignedHeader, type SignedHeader, verifyHeaderSignature } from '@openledger/chain';
import { type Address, BaseError, decode, fromHex, type Hex, parseAddress, toHex } from '@openledger/core';
import { proofFromJson, verifyProof } from '@openledger/store/verify';
import type { OpenLedgerClient } from './client.js';

export type VerifiedValue = { height: number; stateRoot: Hex; value: Uint8Array | undefined };

/**
 * Light-client reads (DESIGN §3 Blocks): take a block header signed by the sequencer named in
 * genesis, and a Merkle proof of a state key against that header's state root — trusting the node
 * for nothing but availability.
 */
export class LightClient {
  private sequencer: Address | undefined;

  constructor(readonly client: OpenLedgerClient) {}

  /** The sequencer from the genesis (pin it yourself with `trustSequencer` for full independence). */
  trustSequencer(address: string): void {
    this.sequencer = parseAddress(address);
  }

  private async trustedSequencer(): Promise<Address> {
    if (!this.sequencer) {
      const genesis = await this.client.request<{ sequencer: string }>('ol_getGenesis');
      this.sequencer = parseAddress(genesis.sequencer);
    }
    return this.sequencer;
  }

  /** A header checked against the sequencer's signature. */
  async header(height?: number): Promise<SignedHeader> {
    const h = height ?? (await this.client.chainInfo()).height;
    const raw = await this.client.request<{ header: Hex } | null>('ol_getRawBlock', [h]);
    if (!raw) throw new BaseError('NOT_FOUND', `no block ${h}`);
    const header = decodeSignedHeader(fromHex(raw.header));
    if (header.height !== h)
      throw new BaseError('PROOF_INVALID', `node answered block ${header.height} for ${h}`);
    verifyHeaderSignature(header, await this.trustedSequencer());
    return header;
  }

  /** Reads a state key with an inclusion or absence proof checked against a signed header. */
  async read(key: Uint8Array, height?: number): Promise<VerifiedValue> {
    const header = await this.header(height);
    const r = await this.client.request<{ value: Hex | null; proof: unknown; root: Hex }>('ol_getProof', [
      toHex(key),
      header.height,
    ]);
    const value = r.value ? fromHex(r.value) : undefined;
    if (!verifyProof(fromHex(header.stateRoot), key, value, proofFromJson(r.proof))) {
      throw new BaseError(
        'PROOF_INVALID',
        `the node's proof for key ${toHex(key)} does not match the signed state root of block ${header.height}`,
      );
    }
    return { height: header.height, stateRoot: header.stateRoot, value };
  }

  /** A balance proven against the signed state root. */
  async balance(
    address: string,
    height?: number,
  ): Promise<{ balance: bigint; height: number; stateRoot: Hex }> {
    const r = await this.read(balanceKey(parseAddress(address)), height);
    return { balance: r.value ? (decode(r.value) as bigint) : 0n, height: r.height, stateRoot: r.stateRoot };
  }
}
