import { MAX_FILE_BYTES } from '@openledger/attribution/rules';
import { type Address, fromHex, type Hex } from '@openledger/core';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { b32, deriveId, isZeroHash, param } from '../shared/state.js';
import { DATANET_BONDS } from './keeper.js';
import { type Contribution, isCurator, keys, putContribution, putDatanet, requireDatanet } from './state.js';

type ContributeFields = { datanet: Hex; blobHash: Hex; size: bigint; rowCount: bigint; rowsRoot: Hex };

/**
 * `Contribute` (DESIGN §4.4): the transaction carries the blob's hash, size, row count and rowsRoot
 * computed by the *fixed* row rule; the sequencer's mempool checks them against the blob, the state
 * machine never reads it. Pays `contributionByteGas` per blob byte and locks the Datanet's contributor bond.
 */
export const contribute: MessageDef<ContributeFields> = {
  kind: 'Contribute',
  description:
    'Submit an uploaded file (by blob hash, size, row count and rowsRoot) to a Datanet for curation.',
  fields: [
    { name: 'datanet', type: 'bytes32' },
    { name: 'blobHash', type: 'bytes32' },
    { name: 'size', type: 'uint256' },
    { name: 'rowCount', type: 'uint256' },
    { name: 'rowsRoot', type: 'bytes32' },
  ],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    const d = await requireDatanet(ctx, msg.datanet);
    if (d.private && d.owner.toLowerCase() !== msg.from.toLowerCase()) {
      const allowed = await ctx.get(keys.allow(d.id, msg.from));
      if (!allowed) {
        throw new ChainError(
          'NOT_ALLOWED',
          `Datanet ${d.id} is private and ${msg.from} is not on its allow-list`,
          {
            metaMessages: ['Ask the Datanet owner to add your address (openledger datanet allow).'],
          },
        );
      }
    }
    if (msg.size < 1n || msg.size > BigInt(MAX_FILE_BYTES)) {
      throw new ChainError('INVALID_SIZE', `size ${msg.size} is outside [1, ${MAX_FILE_BYTES}] bytes`);
    }
    if (msg.rowCount < 1n) {
      throw new ChainError('NO_ROWS', 'a contribution with no rows is refused');
    }
    if (msg.rowCount > msg.size) {
      throw new ChainError('INVALID_MESSAGE', `rowCount ${msg.rowCount} exceeds the blob size ${msg.size}`);
    }
    if (isZeroHash(msg.blobHash) || isZeroHash(msg.rowsRoot)) {
      throw new ChainError('INVALID_MESSAGE', 'blobHash and rowsRoot must be real sha-256 hashes');
    }
    ctx.gas.consume(msg.size * (await param(ctx, 'datanets', 'contributionByteGas')), 'contribution bytes');
    const existing = await ctx.get(keys.blob(d.id, msg.blobHash));
    if (existing !== undefined) {
      throw new ChainError(
        'DUPLICATE_CONTRIBUTION',
        `blob ${msg.blobHash} was already contributed to this Datanet`,
      );
    }
    const seq = d.contributionSeq + 1n;
    const id = deriveId('openledger.contribution', fromHex(d.id), seq);
    if (d.contributorBond > 0n) {
      await ctx.keepers.bank.transfer(ctx, msg.from, DATANET_BONDS, d.contributorBond);
    }
    const c: Contribution = {
      id,
      datanet: d.id,
      seq,
      contributor: msg.from,
      blobHash: msg.blobHash,
      size: msg.size,
      rowCount: msg.rowCount,
      rowsRoot: msg.rowsRoot,
      status: 'pending',
      version: 0n,
      bond: d.contributorBond,
      submittedHeight: BigInt(ctx.block.height),
      decidedHeight: 0n,
      claimedPerRow: 0n,
      bondReleaseAt: 0n,
      flagged: false,
      adversarial: false,
    };
    putContribution(ctx, c);
    putDatanet(ctx, { ...d, contributionSeq: seq });
    ctx.set(keys.pending(d.id, seq), b32(id));
    ctx.set(keys.byContributor(msg.from, id), b32(d.id));
    ctx.set(keys.blob(d.id, msg.blobHash), b32(id));
    ctx.emit('datanets.contributed', {
      datanet: d.id,
      contribution: id,
      contributor: msg.from,
      blobHash: msg.blobHash,
      size: msg.size,
      rowCount: msg.rowCount,
      rowsRoot: msg.rowsRoot,
      bond: d.contributorBond,
    });
  },
};

/** Throws unless `who` curates the Datanet (the owner always does). */
export function requireCurator(d: { id: Hex; owner: Address; curators: Address[] }, who: Address): void {
  if (!isCurator(d as Parameters<typeof isCurator>[0], who)) {
    throw new ChainError('UNAUTHORIZED', `${who} is not a curator of Datanet ${d.id}`);
  }
}
