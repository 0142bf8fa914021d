import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { BaseError, type Hex, sha256, toHex } from '@openledger/core';
import { contributionRows } from '@openledger/node';
import { uploadBlob } from '@openledger/sdk';
import { type Command, table } from '../command.js';
import { client, resolveAddress } from '../context.js';
import { copyReportCommand } from './attribution.js';
import {
  addresses,
  amount,
  eventValue,
  integer,
  list,
  open,
  option,
  positional,
  QUERY_OPTIONS,
  requireId,
  requireOption,
  submitTx,
  TX_OPTIONS,
} from './tx-helpers.js';

type DatanetView = {
  id: Hex;
  name: string;
  summary: string;
  description: string;
  tags: string[];
  visibility: string;
  license: string;
  owner: string;
  curators: string[];
  trainingFee: string;
  contributorBond: string;
  versionCount: string;
  totalRows: string;
  latestRoot: Hex | null;
};

const META_OPTIONS = [
  { name: 'name', value: 'TEXT', description: 'name of the Datanet' },
  { name: 'summary', value: 'TEXT', description: 'one-line summary' },
  { name: 'description-file', value: 'FILE', description: 'markdown description' },
  { name: 'tags', value: 'A,B', description: 'comma-separated tags' },
  { name: 'private', description: 'only the allow-list may contribute (everyone may read)' },
  { name: 'public', description: 'anyone may contribute (update only)' },
  { name: 'license', value: 'TEXT', description: 'license of the data, e.g. CC-BY-4.0' },
  { name: 'curators', value: 'A,B', description: 'curator addresses or key names (default: the owner)' },
  { name: 'training-fee', value: 'OPEN', description: 'fee of a training licence, credited to the rows' },
  { name: 'bond', value: 'OPEN', description: 'bond each contribution locks (slashed if adversarial)' },
];

async function metaFields(args: Parameters<NonNullable<Command['run']>>[0], current?: DatanetView) {
  const descriptionFile = option(args, 'description-file');
  return {
    name: option(args, 'name') ?? current?.name ?? requireOption(args, 'name', 'a name'),
    summary: option(args, 'summary') ?? current?.summary ?? '',
    description: descriptionFile ? await readFile(descriptionFile, 'utf8') : (current?.description ?? ''),
    tags: option(args, 'tags') !== undefined ? list(option(args, 'tags')) : (current?.tags ?? []),
    visibility: args.options.has('private')
      ? 'private'
      : args.options.has('public')
        ? 'public'
        : (current?.visibility ?? 'public'),
    license: option(args, 'license') ?? current?.license ?? '',
    curators:
      option(args, 'curators') !== undefined
        ? await addresses(option(args, 'curators'))
        : (current?.curators ?? []),
    trainingFee:
      option(args, 'training-fee') !== undefined
        ? amount(option(args, 'training-fee')!, 'training fee')
        : BigInt(current?.trainingFee ?? 0),
    contributorBond:
      option(args, 'bond') !== undefined
        ? amount(option(args, 'bond')!, 'bond')
        : BigInt(current?.contributorBond ?? 0),
  };
}

const create: Command = {
  name: 'create',
  summary: 'Create a Datanet (you own it).',
  usage:
    'openledger datanet create --name NAME [--summary S] [--tags a,b] [--private --allow a,b] [--training-fee OPEN] [--bond OPEN] --from KEY',
  options: [
    ...META_OPTIONS,
    { name: 'allow', value: 'A,B', description: 'allow-list of a private Datanet' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const fields = { ...(await metaFields(args)), allowList: await addresses(option(args, 'allow')) };
    return submitTx(
      args,
      out,
      'CreateDatanet',
      fields,
      (r) => `created Datanet ${eventValue(r, 'datanets.created', 'datanet')}`,
    );
  },
};

const update: Command = {
  name: 'update',
  summary: 'Update a Datanet’s metadata, visibility, curators, fee or bond (owner).',
  usage: 'openledger datanet update <datanet> [--name …] [--training-fee OPEN] … --from KEY',
  options: [...META_OPTIONS, ...TX_OPTIONS],
  async run(args, out) {
    const id = requireId(args.positionals[0], 'the Datanet');
    const current = await client(args).query<DatanetView | null>('datanets.datanet', { id });
    if (!current) throw new BaseError('NOT_FOUND', `no Datanet ${id}`);
    const fields = { datanet: id, ...(await metaFields(args, current)) };
    return submitTx(args, out, 'UpdateDatanet', fields, () => `updated Datanet ${id}`);
  },
};

const allow: Command = {
  name: 'allow',
  summary: 'Add or remove contributors on a private Datanet’s allow-list (owner).',
  usage: 'openledger datanet allow <datanet> [--add a,b] [--remove c] --from KEY',
  options: [
    { name: 'add', value: 'A,B', description: 'addresses or key names to allow' },
    { name: 'remove', value: 'A,B', description: 'addresses or key names to remove' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const datanet = requireId(args.positionals[0], 'the Datanet');
    const fields = {
      datanet,
      add: await addresses(option(args, 'add')),
      remove: await addresses(option(args, 'remove')),
    };
    return submitTx(args, out, 'SetDatanetAllowList', fields, () => `allow-list of ${datanet} updated`);
  },
};

const contribute: Command = {
  name: 'contribute',
  summary: 'Upload a .txt/.md file to the node and submit it to a Datanet for curation.',
  usage: 'openledger datanet contribute <datanet> <file.md|file.txt> --from KEY',
  details:
    'The rows, their count and rowsRoot are computed here with the fixed row rule and checked against the node.',
  options: TX_OPTIONS,
  async run(args, out) {
    const datanet = requireId(args.positionals[0], 'the Datanet');
    const file = positional(args, 1, 'openledger datanet contribute <datanet> <file> --from KEY');
    const bytes = new Uint8Array(await readFile(file));
    const rows = contributionRows(bytes, basename(file)); // local row rule (refuses bad files before uploading)
    const uploaded = await uploadBlob({
      url: String(args.options.get('rpc')),
      bytes,
      kind: 'contribution',
      name: basename(file),
    });
    const blobHash = toHex(sha256(bytes));
    if (uploaded.hash !== blobHash || uploaded.rowsRoot !== rows.rowsRoot) {
      throw new BaseError(
        'NODE_DISAGREES',
        `the node computed ${uploaded.hash}/${uploaded.rowsRoot}, we computed ${blobHash}/${rows.rowsRoot}`,
      );
    }
    out.info(`uploaded ${bytes.length} bytes, ${rows.rowCount} rows, blob ${blobHash}`);
    const fields = {
      datanet,
      blobHash,
      size: BigInt(bytes.length),
      rowCount: BigInt(rows.rowCount),
      rowsRoot: rows.rowsRoot,
    };
    return submitTx(
      args,
      out,
      'Contribute',
      fields,
      (r) => `contribution ${eventValue(r, 'datanets.contributed', 'contribution')} is pending curation`,
      1_000_000n + 20n * BigInt(bytes.length), // contributionByteGas per blob byte
    );
  },
};

const approve: Command = {
  name: 'approve',
  summary: 'Approve a pending contribution: it becomes the next version (curators).',
  usage: 'openledger datanet approve <contribution> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const contribution = requireId(args.positionals[0], 'the contribution');
    return submitTx(
      args,
      out,
      'ApproveContribution',
      { contribution },
      (r) =>
        `approved: version ${eventValue(r, 'datanets.approved', 'version')}, root ${eventValue(r, 'datanets.approved', 'root')}`,
    );
  },
};

const reject: Command = {
  name: 'reject',
  summary: 'Reject a pending contribution (curators); --adversarial slashes its bond.',
  usage: 'openledger datanet reject <contribution> [--adversarial] [--reason TEXT] --from KEY',
  options: [
    { name: 'adversarial', description: 'slash the contributor bond and raise the penalty score' },
    { name: 'reason', value: 'TEXT', description: 'why' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const contribution = requireId(args.positionals[0], 'the contribution');
    const fields = {
      contribution,
      adversarial: args.options.has('adversarial'),
      reason: option(args, 'reason') ?? '',
    };
    return submitTx(args, out, 'RejectContribution', fields, () => `rejected ${contribution}`);
  },
};

const flag: Command = {
  name: 'flag',
  summary: 'Penalise a contribution as biased, redundant or adversarial (curators).',
  usage: 'openledger datanet flag <contribution> --reason TEXT --from KEY',
  options: [{ name: 'reason', value: 'TEXT', description: 'why (required)' }, ...TX_OPTIONS],
  async run(args, out) {
    const contribution = requireId(args.positionals[0], 'the contribution');
    const fields = { contribution, reason: requireOption(args, 'reason', 'a reason') };
    return submitTx(args, out, 'FlagContribution', fields, () => `flagged ${contribution}`);
  },
};

const withdrawBond: Command = {
  name: 'withdraw-bond',
  summary: 'Take back an approved contribution’s bond after the release delay.',
  usage: 'openledger datanet withdraw-bond <contribution> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const contribution = requireId(args.positionals[0], 'the contribution');
    return submitTx(
      args,
      out,
      'WithdrawContributionBond',
      { contribution },
      (r) => `bond of ${open(eventValue(r, 'datanets.bondReleased', 'amount'))} returned`,
    );
  },
};

const licence: Command = {
  name: 'licence',
  summary: 'Buy a training licence for a model (its owner); the fee is credited to rows of versions ≤ V.',
  usage: 'openledger datanet licence <datanet> --model MODEL --version V --from KEY',
  options: [
    { name: 'model', value: 'ID', description: 'the model the licence is for' },
    {
      name: 'version',
      value: 'V',
      description: 'the Datanet version the fee is credited to (default: latest)',
    },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const datanet = requireId(args.positionals[0], 'the Datanet');
    const model = requireId(option(args, 'model'), '--model');
    let version = option(args, 'version');
    if (version === undefined) {
      const d = await client(args).query<DatanetView | null>('datanets.datanet', { id: datanet });
      version = d?.versionCount ?? '0';
    }
    const fields = { model, datanet, version: integer(version, 'version') };
    return submitTx(
      args,
      out,
      'BuyTrainingLicence',
      fields,
      (r) =>
        `licensed model ${model} on ${datanet} (fee ${open(eventValue(r, 'datanets.licensed', 'fee') || '0')})`,
    );
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show a Datanet: metadata, versions, latest root, contributors.',
  usage: 'openledger datanet show <datanet> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const id = requireId(args.positionals[0], 'the Datanet');
    const c = client(args);
    const d = await c.query<DatanetView | null>('datanets.datanet', { id });
    if (!d) throw new BaseError('NOT_FOUND', `no Datanet ${id}`);
    const contributors = await c.query<{ contributor: string; firstVersion: string; acceptedRows: string }[]>(
      'datanets.contributors',
      { datanet: id },
    );
    out.result({ ...d, contributors }, (v) =>
      [
        `${v.name}  (${v.id})`,
        v.summary,
        table([
          ['owner', v.owner],
          ['visibility', v.visibility],
          ['license', v.license],
          ['tags', v.tags.join(', ')],
          ['curators', v.curators.join(', ')],
          ['training fee', open(v.trainingFee)],
          ['contributor bond', open(v.contributorBond)],
          ['versions', v.versionCount],
          ['rows', v.totalRows],
          ['latest root', v.latestRoot ?? '(none yet)'],
        ]),
        '',
        'contributors:',
        table(
          v.contributors.map((x) => [
            `  ${x.contributor}`,
            `${x.acceptedRows} rows`,
            `from version ${x.firstVersion}`,
          ]),
        ),
      ].join('\n'),
    );
  },
};

const listCommand: Command = {
  name: 'list',
  summary: 'List Datanets.',
  usage: 'openledger datanet list [--owner ADDRESS] [--json]',
  options: [{ name: 'owner', value: 'ADDRESS', description: 'only this owner’s' }, ...QUERY_OPTIONS],
  async run(args, out) {
    const owner = option(args, 'owner');
    const all = await client(args).query<DatanetView[]>(
      'datanets.list',
      owner ? { owner: await resolveAddress(owner) } : {},
    );
    out.result(all, (v) =>
      v.length
        ? table([
            ['id', 'name', 'visibility', 'versions', 'rows'],
            ...v.map((d) => [d.id, d.name, d.visibility, d.versionCount, d.totalRows]),
          ])
        : 'no Datanets yet',
    );
  },
};

const versions: Command = {
  name: 'versions',
  summary: 'List a Datanet’s versions with their contributors and roots.',
  usage: 'openledger datanet versions <datanet> [--from V] [--json]',
  options: [{ name: 'from', value: 'V', description: 'first version', default: '1' }, ...QUERY_OPTIONS],
  async run(args, out) {
    const datanet = requireId(args.positionals[0], 'the Datanet');
    const all = await client(args).query<
      { version: string; contributor: string; firstRow: string; rowCount: string; root: Hex }[]
    >('datanets.versions', { datanet, from: option(args, 'from') });
    out.result(all, (v) =>
      table([
        ['version', 'contributor', 'rows', 'root'],
        ...v.map((x) => [x.version, x.contributor, `${x.firstRow}+${x.rowCount}`, x.root]),
      ]),
    );
  },
};

const pending: Command = {
  name: 'pending',
  summary: 'Show a Datanet’s pending contributions (oldest first).',
  usage: 'openledger datanet pending <datanet> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const datanet = requireId(args.positionals[0], 'the Datanet');
    const all = await client(args).query<{ id: Hex; contributor: string; rowCount: string; size: string }[]>(
      'datanets.pending',
      { datanet },
    );
    out.result(all, (v) =>
      v.length
        ? table([
            ['contribution', 'contributor', 'rows', 'bytes'],
            ...v.map((x) => [x.id, x.contributor, x.rowCount, x.size]),
          ])
        : 'nothing pending',
    );
  },
};

const contributions: Command = {
  name: 'contributions',
  summary: 'List an address’s contributions with their status and claimable rewards.',
  usage: 'openledger datanet contributions <address|key> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const contributor = await resolveAddress(
      positional(args, 0, 'openledger datanet contributions <address>'),
    );
    const all = await client(args).query<
      { id: Hex; datanet: Hex; status: string; version: string; rowCount: string; claimable: string }[]
    >('datanets.contributions', { contributor });
    out.result(all, (v) =>
      table([
        ['contribution', 'datanet', 'status', 'version', 'rows', 'claimable'],
        ...v.map((x) => [x.id, x.datanet, x.status, x.version, x.rowCount, open(x.claimable)]),
      ]),
    );
  },
};

const proof: Command = {
  name: 'proof',
  summary: 'Show a row with its two-level proof against a version root.',
  usage: 'openledger datanet proof <datanet> <rowIndex> [--version V] [--json]',
  options: [
    { name: 'version', value: 'V', description: 'version to prove against (default: latest)' },
    ...QUERY_OPTIONS,
  ],
  async run(args, out) {
    const datanet = requireId(args.positionals[0], 'the Datanet');
    const rowIndex = Number(
      integer(positional(args, 1, 'openledger datanet proof <datanet> <rowIndex>'), 'rowIndex'),
    );
    const version = option(args, 'version');
    const r = await client(args).request<{
      row: string;
      root: Hex;
      version: number;
      proof: { contributor: string; contributionVersion: string };
    }>('ol_rowProof', [datanet, rowIndex, version === undefined ? null : Number(version)]);
    out.result(r, (v) =>
      [
        `row ${rowIndex} of version ${v.version} (root ${v.root})`,
        `contributor ${v.proof.contributor}, accepted in version ${v.proof.contributionVersion}`,
        '',
        v.row,
      ].join('\n'),
    );
  },
};

export const datanetCommand: Command = {
  name: 'datanet',
  summary: 'Datanets: create, contribute, curate, licence, and inspect versions and rows.',
  usage: 'openledger datanet <command>',
  subcommands: [
    create,
    update,
    allow,
    contribute,
    approve,
    reject,
    flag,
    withdrawBond,
    licence,
    show,
    listCommand,
    versions,
    pending,
    contributions,
    proof,
    copyReportCommand,
  ],
};
