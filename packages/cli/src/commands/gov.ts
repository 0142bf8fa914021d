import { readFile } from 'node:fs/promises';
import { BaseError, formatOpen, parseOpen } from '@openledger/core';
import {
  cancelProposal,
  delegateGov,
  executeProposal,
  getGovStake,
  getProposal,
  listProposals,
  lockGov,
  type ProposalInfo,
  type ProposalMessageInput,
  proposalIdOf,
  propose,
  type Support,
  unlockGov,
  vote,
} from '@openledger/sdk';
import type { ParsedArgs } from '../args.js';
import { type Command, table } from '../command.js';
import { client, HELP_OPTION, JSON_OPTION, RPC_OPTION, resolveAddress, resolveSigner } from '../context.js';
import { report, requirePositionals, sendOptions, TX_COMMAND_OPTIONS } from './submit.js';

const TX = TX_COMMAND_OPTIONS;
const positionals = requirePositionals;

function proposalId(text: string | undefined): bigint {
  if (!text || !/^[1-9]\d*$/.test(text)) {
    throw new BaseError('INVALID_ARGUMENT', `a proposal id is a positive integer, got "${text ?? ''}"`, {
      metaMessages: ['openledger gov list shows the proposals.'],
    });
  }
  return BigInt(text);
}

const time = (seconds: string | bigint) => new Date(Number(seconds) * 1000).toISOString();

/** The messages of `gov propose`, from its shortcut options and --messages. */
async function proposalMessages(args: ParsedArgs): Promise<ProposalMessageInput[]> {
  const messages: ProposalMessageInput[] = [];
  const setParam = args.options.get('set-param');
  if (typeof setParam === 'string') {
    const changes = setParam.split(',').map((change) => {
      const m = /^([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)=(\d+)$/.exec(change.trim());
      if (!m) {
        throw new BaseError('INVALID_ARGUMENT', `--set-param takes module.name=value, got "${change}"`, {
          metaMessages: ['Example: --set-param gov.quorumBps=600,staking.unbondingPeriod=120'],
        });
      }
      return { module: m[1]!, name: m[2]!, value: BigInt(m[3]!) };
    });
    messages.push({ kind: 'SetParams', fields: { changes } });
  }
  const spend = args.options.get('spend');
  if (typeof spend === 'string') {
    const [to, amount, ...memo] = spend.split(':');
    if (!to || !amount) throw new BaseError('INVALID_ARGUMENT', '--spend takes <to>:<OPEN>[:memo]');
    messages.push({
      kind: 'TreasurySpend',
      fields: { to: await resolveAddress(to), amount: parseOpen(amount), memo: memo.join(':') },
    });
  }
  const reverse = args.options.get('reverse-slash');
  if (typeof reverse === 'string')
    messages.push({ kind: 'ReverseSlash', fields: { slashId: BigInt(reverse) } });
  const raw = args.options.get('messages');
  if (typeof raw === 'string') {
    const text = raw.startsWith('@') ? await readFile(raw.slice(1), 'utf8') : raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new BaseError('INVALID_ARGUMENT', `--messages is not JSON: ${(e as Error).message}`);
    }
    if (
      !Array.isArray(parsed) ||
      parsed.some((m) => typeof m?.kind !== 'string' || typeof m?.fields !== 'object')
    ) {
      throw new BaseError('INVALID_ARGUMENT', '--messages is a JSON list of {"kind": …, "fields": {…}}');
    }
    messages.push(...(parsed as ProposalMessageInput[]));
  }
  if (!messages.length) {
    throw new BaseError('MISSING_ARGUMENT', 'a proposal carries at least one message', {
      metaMessages: ['Use --set-param, --spend, --reverse-slash or --messages.'],
    });
  }
  return messages;
}

function describe(p: ProposalInfo): string {
  const lines = [
    `proposal ${p.id}: ${p.title}  [${p.status}]`,
    `  proposer ${p.proposer}`,
    `  voting   ${time(p.voteStart)} → ${time(p.voteEnd)}  (snapshot block ${p.snapshotHeight})`,
    `  execute  ${time(p.executableAt)} → ${time(p.expiresAt)}`,
    `  votes    for ${formatOpen(BigInt(p.forVotes))}  against ${formatOpen(BigInt(p.againstVotes))}  abstain ${formatOpen(BigInt(p.abstainVotes))}  (quorum ${formatOpen(BigInt(p.quorum))} gOPEN, ${Number(p.quorumBps) / 100}%)`,
  ];
  if (p.reason) lines.push(`  reason   ${p.reason}`);
  if (p.description) lines.push('', String(p.description), '');
  lines.push('  messages:');
  for (const m of p.decoded) lines.push(`    ${m.kind} ${JSON.stringify(m.fields)}`);
  return lines.join('\n');
}

const proposeCommand: Command = {
  name: 'propose',
  summary: 'Submit a proposal carrying messages (parameter changes, treasury spends, appeals, …).',
  usage: 'openledger gov propose --title TEXT [--description TEXT] <messages> --from <key>',
  details: [
    'Messages: --set-param gov.quorumBps=600[,…]   --spend <to>:<OPEN>[:memo]   --reverse-slash <slashId>',
    '          --messages \'[{"kind":"SetParams","fields":{…}}]\'  (or --messages @file.json)',
    'Example: openledger gov propose --title "Longer votes" --set-param gov.votingPeriod=120 --from alice',
  ].join('\n'),
  options: [
    { name: 'title', value: 'TEXT', description: 'one-line title' },
    { name: 'description', value: 'TEXT', description: 'what and why (markdown)', default: '' },
    { name: 'set-param', value: 'M.N=V[,…]', description: 'change governance parameters (SetParams)' },
    { name: 'spend', value: 'TO:OPEN[:MEMO]', description: 'pay from the treasury (TreasurySpend)' },
    { name: 'reverse-slash', value: 'ID', description: 'return a held slash on appeal (ReverseSlash)' },
    { name: 'messages', value: 'JSON|@FILE', description: 'any messages as [{"kind", "fields"}]' },
    ...TX,
  ],
  async run(args, out) {
    const title = args.options.get('title');
    if (typeof title !== 'string') throw new BaseError('MISSING_ARGUMENT', 'a proposal needs --title');
    const messages = await proposalMessages(args);
    const c = client(args);
    const sent = await propose(
      c,
      await resolveSigner(args),
      { title, description: String(args.options.get('description')), messages },
      sendOptions(args),
    );
    return report(args, out, sent, (r) => `proposal ${proposalIdOf(r)} submitted`);
  },
};

const voteCommand: Command = {
  name: 'vote',
  summary: 'Vote for, against or abstain on an active proposal with your gOPEN at its snapshot.',
  usage: 'openledger gov vote <id> <for|against|abstain> --from <key>',
  options: TX,
  async run(args, out) {
    const [idText, supportText] = positionals(args, 2, this.usage);
    const id = proposalId(idText);
    if (!['for', 'against', 'abstain'].includes(supportText!)) {
      throw new BaseError('INVALID_ARGUMENT', `vote for, against or abstain, not "${supportText}"`);
    }
    const sent = await vote(
      client(args),
      await resolveSigner(args),
      id,
      supportText as Support,
      sendOptions(args),
    );
    return report(args, out, sent, () => `voted ${supportText} on proposal ${id}`);
  },
};

const executeCommand: Command = {
  name: 'execute',
  summary: 'Execute a passed (Queued) proposal after its timelock; anyone may.',
  usage: 'openledger gov execute <id> --from <key>',
  options: TX,
  async run(args, out) {
    const id = proposalId(positionals(args, 1, this.usage)[0]);
    const sent = await executeProposal(client(args), await resolveSigner(args), id, sendOptions(args));
    const code = await report(args, out, sent, (r) =>
      r.events.some((e) => e.type === 'gov.proposal_failed')
        ? `proposal ${id} FAILED (its messages changed nothing; see gov show ${id})`
        : `proposal ${id} executed`,
    );
    return code;
  },
};

const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel your own proposal before its vote opens.',
  usage: 'openledger gov cancel <id> --from <key>',
  options: TX,
  async run(args, out) {
    const id = proposalId(positionals(args, 1, this.usage)[0]);
    const sent = await cancelProposal(client(args), await resolveSigner(args), id, sendOptions(args));
    return report(args, out, sent, () => `proposal ${id} canceled`);
  },
};

const showCommand: Command = {
  name: 'show',
  summary: 'Show a proposal: state, voting window, tallies, quorum and its messages.',
  usage: 'openledger gov show <id> [--json]',
  options: [RPC_OPTION, JSON_OPTION, HELP_OPTION],
  async run(args, out) {
    const p = await getProposal(client(args), proposalId(positionals(args, 1, this.usage)[0]));
    out.result(p, describe);
  },
};

const listCommand: Command = {
  name: 'list',
  summary: 'List proposals, newest first.',
  usage: 'openledger gov list [--status Pending|Active|Queued|…] [--limit N] [--json]',
  options: [
    RPC_OPTION,
    JSON_OPTION,
    { name: 'status', value: 'STATUS', description: 'only proposals in this state' },
    { name: 'limit', value: 'N', description: 'at most N (≤ 100)', default: '20' },
    HELP_OPTION,
  ],
  async run(args, out) {
    const status = args.options.get('status');
    const proposals = await listProposals(client(args), {
      ...(typeof status === 'string' ? { status } : {}),
      limit: Number(args.options.get('limit')),
    });
    out.result({ proposals }, (v) =>
      v.proposals.length
        ? table([
            ['id', 'status', 'for', 'against', 'title'],
            ...v.proposals.map((p) => [
              p.id,
              p.status,
              formatOpen(BigInt(p.forVotes)),
              formatOpen(BigInt(p.againstVotes)),
              p.title,
            ]),
          ])
        : 'no proposals',
    );
  },
};

const lockCommand: Command = {
  name: 'lock',
  summary: 'Lock OPEN into governance as gOPEN (voting power; earns nothing).',
  usage: 'openledger gov lock <amount> --from <key>',
  options: TX,
  async run(args, out) {
    const [amount] = positionals(args, 1, this.usage);
    const sent = await lockGov(
      client(args),
      await resolveSigner(args),
      parseOpen(amount!),
      sendOptions(args),
    );
    return report(args, out, sent, () => `locked ${amount} OPEN as gOPEN`);
  },
};

const unlockCommand: Command = {
  name: 'unlock',
  summary: 'Unlock gOPEN: its votes leave now, the OPEN returns after the unbonding period.',
  usage: 'openledger gov unlock <amount> --from <key>',
  options: TX,
  async run(args, out) {
    const [amount] = positionals(args, 1, this.usage);
    const sent = await unlockGov(
      client(args),
      await resolveSigner(args),
      parseOpen(amount!),
      sendOptions(args),
    );
    return report(args, out, sent, () => `unlocking ${amount} gOPEN`);
  },
};

const delegateCommand: Command = {
  name: 'delegate',
  summary: 'Delegate your gOPEN votes to another address (your own address takes them back).',
  usage: 'openledger gov delegate <address|key> --from <key>',
  options: TX,
  async run(args, out) {
    const to = await resolveAddress(positionals(args, 1, this.usage)[0]!);
    const sent = await delegateGov(client(args), await resolveSigner(args), to, sendOptions(args));
    return report(args, out, sent, () => `gOPEN votes delegated to ${to}`);
  },
};

const powerCommand: Command = {
  name: 'power',
  summary: "Show an account's gOPEN: locked, delegatee, voting power and unlocks on the way.",
  usage: 'openledger gov power <address|key> [--json]',
  options: [RPC_OPTION, JSON_OPTION, HELP_OPTION],
  async run(args, out) {
    const who = await resolveAddress(positionals(args, 1, this.usage)[0]!);
    const s = await getGovStake(client(args), who);
    out.result(s, (v) =>
      [
        `${v.address}: ${formatOpen(v.locked)} gOPEN locked, votes ${formatOpen(v.votes)}`,
        v.delegatee === v.address ? '  votes with its own gOPEN' : `  delegates its votes to ${v.delegatee}`,
        ...v.unlocking.map(
          (u) => `  unlocking ${formatOpen(u.amount)} OPEN, released at ${time(u.completionTime)}`,
        ),
      ].join('\n'),
    );
  },
};

export const govCommand: Command = {
  name: 'gov',
  summary: 'Governance by gOPEN: proposals, votes, execution, and the gOPEN stake (DESIGN §4.3).',
  usage: 'openledger gov <command>',
  subcommands: [
    proposeCommand,
    voteCommand,
    executeCommand,
    cancelCommand,
    showCommand,
    listCommand,
    lockCommand,
    unlockCommand,
    delegateCommand,
    powerCommand,
  ],
};
