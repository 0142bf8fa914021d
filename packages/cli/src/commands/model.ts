import { readFile } from 'node:fs/promises';
import { BaseError, type Hex, sha256, toHex } from '@openledger/core';
import { type Command, table } from '../command.js';
import { client, resolveAddress } from '../context.js';
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

type ModelView = {
  id: Hex;
  name: string;
  baseModel: string;
  description: string;
  owner: string;
  stage: string;
  grant: string;
  grantPaid: string;
  versions: Hex[];
};
type VersionView = {
  id: Hex;
  number: string;
  status: string;
  statusNow?: string;
  rateInPer1k: string;
  rateOutPer1k: string;
  operatorShareBps: string;
  operators: string[];
  pins: { datanet: Hex; version: string; root: Hex }[];
  adapterHash: Hex;
  tokenizerHash: Hex;
  evaluation: { name: string; value: string }[];
};

/** A hash given directly (0x…) or as a file whose sha-256 is taken. */
async function hashOf(
  args: Parameters<NonNullable<Command['run']>>[0],
  name: string,
  what: string,
): Promise<Hex> {
  const given = requireOption(args, name, what);
  if (/^0x[0-9a-fA-F]{64}$/.test(given)) return given.toLowerCase() as Hex;
  return toHex(sha256(new Uint8Array(await readFile(given))));
}

const register: Command = {
  name: 'register',
  summary: 'Register a model (stage Proposed); governance approves it.',
  usage: 'openledger model register --name NAME --base BASE_MODEL [--description TEXT] --from KEY',
  options: [
    { name: 'name', value: 'TEXT', description: 'model name' },
    { name: 'base', value: 'ID', description: 'base model id' },
    { name: 'description', value: 'TEXT', description: 'what it is for' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const fields = {
      name: requireOption(args, 'name', 'a name'),
      baseModel: requireOption(args, 'base', 'the base model'),
      description: option(args, 'description') ?? '',
    };
    return submitTx(
      args,
      out,
      'RegisterModel',
      fields,
      (r) => `registered model ${eventValue(r, 'models.registered', 'model')} (Proposed)`,
    );
  },
};

const tokenizer: Command = {
  name: 'tokenizer',
  summary: 'Register a canonical tokenizer file on chain (pays gas per byte).',
  usage: 'openledger model tokenizer <file.json> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const bytes = new Uint8Array(
      await readFile(positional(args, 0, 'openledger model tokenizer <file.json> --from KEY')),
    );
    return submitTx(
      args,
      out,
      'RegisterTokenizer',
      { vocabulary: toHex(bytes) },
      (r) => `registered tokenizer ${eventValue(r, 'models.tokenizerRegistered', 'hash')}`,
    );
  },
};

const publish: Command = {
  name: 'publish',
  summary: 'Publish a model version with its provenance, immutable rates and operators (owner).',
  usage:
    'openledger model publish <model> --adapter FILE|HASH --datanets ID@V,… --config FILE|HASH --tokenizer HASH --chat-template FILE|HASH --rate-in OPEN --rate-out OPEN --operators A,B [--operator-share BPS] [--eval name=value,…] --from KEY',
  options: [
    { name: 'adapter', value: 'FILE|HASH', description: 'adapter blob (its sha-256 is recorded)' },
    { name: 'datanets', value: 'ID@V,…', description: 'pinned Datanet versions (each needs a licence)' },
    { name: 'config', value: 'FILE|HASH', description: 'training configuration' },
    { name: 'tokenizer', value: 'HASH', description: 'registered tokenizer hash' },
    { name: 'chat-template', value: 'FILE|HASH', description: 'chat template' },
    { name: 'rate-in', value: 'OPEN', description: 'OPEN per 1,000 input tokens' },
    { name: 'rate-out', value: 'OPEN', description: 'OPEN per 1,000 output tokens' },
    { name: 'operators', value: 'A,B', description: 'authorised operators' },
    { name: 'operator-share', value: 'BPS', description: 'operator share of the owner’s part', default: '0' },
    { name: 'eval', value: 'NAME=VALUE,…', description: 'evaluation results' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const model = requireId(args.positionals[0], 'the model');
    const datanets = list(option(args, 'datanets')).map((pin) => {
      const [id, version] = pin.split('@');
      return {
        datanet: requireId(id, 'a pinned Datanet'),
        version: integer(version ?? '', `the version of ${id}`),
      };
    });
    const evaluation = list(option(args, 'eval')).map((e) => {
      const [name, ...value] = e.split('=');
      return { name: name ?? '', value: value.join('=') };
    });
    const fields = {
      model,
      adapterHash: await hashOf(args, 'adapter', 'the adapter'),
      datanets,
      trainingConfigHash: await hashOf(args, 'config', 'the training configuration'),
      tokenizerHash: requireId(requireOption(args, 'tokenizer', 'the tokenizer hash'), '--tokenizer'),
      chatTemplateHash: await hashOf(args, 'chat-template', 'the chat template'),
      evaluation,
      rateInPer1k: amount(requireOption(args, 'rate-in', 'the input rate'), 'rate-in'),
      rateOutPer1k: amount(requireOption(args, 'rate-out', 'the output rate'), 'rate-out'),
      operators: await addresses(requireOption(args, 'operators', 'the operators')),
      operatorShareBps: integer(String(args.options.get('operator-share')), 'operator-share'),
    };
    return submitTx(
      args,
      out,
      'PublishModelVersion',
      fields,
      (r) =>
        `published version ${eventValue(r, 'models.published', 'number')}: ${eventValue(r, 'models.published', 'version')}`,
    );
  },
};

const deploy: Command = {
  name: 'deploy',
  summary: 'Deploy a published version (owner; the model must be Approved); pays the deploy fee.',
  usage: 'openledger model deploy <version> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const version = requireId(args.positionals[0], 'the model version');
    return submitTx(
      args,
      out,
      'DeployModelVersion',
      { version },
      (r) =>
        `deployed ${version} (fee ${open(eventValue(r, 'models.deployed', 'fee'))}, grant paid ${open(eventValue(r, 'models.deployed', 'grantPaid') || '0')})`,
    );
  },
};

const retire: Command = {
  name: 'retire',
  summary: 'Retire a deployed version (effective after the voucher lifetime).',
  usage: 'openledger model retire <version> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const version = requireId(args.positionals[0], 'the model version');
    return submitTx(
      args,
      out,
      'RetireModelVersion',
      { version },
      (r) => `retiring ${version}; effective at block time ${eventValue(r, 'models.retired', 'effectiveAt')}`,
    );
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show a model and its versions (or one version by its id).',
  usage: 'openledger model show <model|version> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const id = requireId(args.positionals[0], 'the model or version');
    const c = client(args);
    const time = BigInt((await c.chainInfo()).time);
    const model = await c.query<ModelView | null>('models.model', { id });
    const describeVersion = (v: VersionView) => [
      `  version ${v.number}  ${v.id}  ${v.statusNow ?? v.status}`,
      `    rates ${open(v.rateInPer1k)} in / ${open(v.rateOutPer1k)} out per 1k tokens, operator share ${v.operatorShareBps} bps`,
      `    operators ${v.operators.join(', ')}`,
      `    pins ${v.pins.map((p) => `${p.datanet}@${p.version}`).join(', ') || '(none)'}`,
      `    adapter ${v.adapterHash}  tokenizer ${v.tokenizerHash}`,
      ...(v.evaluation.length
        ? [`    eval ${v.evaluation.map((e) => `${e.name}=${e.value}`).join(', ')}`]
        : []),
    ];
    if (!model) {
      const v = await c.query<VersionView | null>('models.version', { id, time });
      if (!v) throw new BaseError('NOT_FOUND', `no model or model version ${id}`);
      return out.result(v, (x) => describeVersion(x).join('\n'));
    }
    const versions = await c.query<VersionView[]>('models.versions', { model: id, time });
    out.result({ ...model, versions }, (m) =>
      [
        `${m.name}  (${m.id})  ${m.stage}`,
        `owner ${m.owner}, base ${m.baseModel}, grant ${open(m.grant)} (paid ${open(m.grantPaid)})`,
        ...m.versions.flatMap(describeVersion),
      ].join('\n'),
    );
  },
};

const listCommand: Command = {
  name: 'list',
  summary: 'List models.',
  usage: 'openledger model list [--owner ADDRESS] [--stage Proposed|Approved|Rejected|Deprecated] [--json]',
  options: [
    { name: 'owner', value: 'ADDRESS', description: 'only this owner’s' },
    { name: 'stage', value: 'STAGE', description: 'only this stage' },
    ...QUERY_OPTIONS,
  ],
  async run(args, out) {
    const owner = option(args, 'owner');
    const stage = option(args, 'stage');
    const all = await client(args).query<ModelView[]>('models.list', {
      ...(owner ? { owner: await resolveAddress(owner) } : {}),
      ...(stage ? { stage } : {}),
    });
    out.result(all, (v) =>
      v.length
        ? table([
            ['id', 'name', 'stage', 'versions'],
            ...v.map((m) => [m.id, m.name, m.stage, String(m.versions.length)]),
          ])
        : 'no models',
    );
  },
};

export const modelCommand: Command = {
  name: 'model',
  summary: 'The on-chain model registry: register, publish, deploy, retire, show, list.',
  usage: 'openledger model <command>',
  subcommands: [register, tokenizer, publish, deploy, retire, show, listCommand],
};
