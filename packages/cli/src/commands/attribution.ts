import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AttributionIndex,
  decodeEvidence,
  type Evidence,
  type FoundChallenge,
} from '@openledger/attribution';
import { fieldsFromClaim } from '@openledger/chain';
import { BaseError, fromHex, type Hex, sha256, toHex } from '@openledger/core';
import {
  chainDatanets,
  chainTokenizer,
  chainTokenizers,
  chainVersions,
  checkIndex,
  contributionRowBytes,
  type JsonQuery,
  parsePins,
  syncDatanet,
} from '@openledger/node';
import { copyReport, downloadBlob, type OpenLedgerClient, type TraceAnswer, trace } from '@openledger/sdk';
import type { ParsedArgs } from '../args.js';
import { type Command, type Output, table } from '../command.js';
import { client, resolveSigner } from '../context.js';
import { demoAccounts, demoContributors, loadManifest } from '../devnet-config.js';
import { openLedgerHome } from '../keystore.js';
import {
  integer,
  list,
  open,
  option,
  positional,
  QUERY_OPTIONS,
  requireId,
  TX_OPTIONS,
} from './tx-helpers.js';

/** Readable names for the devnet's fixed addresses (demo accounts and demo contributors). */
function knownNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const a of demoAccounts()) names.set(a.address.toLowerCase(), a.name);
  try {
    for (const c of demoContributors(loadManifest())) names.set(c.address.toLowerCase(), c.name);
  } catch {
    // no manifest: addresses only
  }
  return names;
}

function who(address: string, names: Map<string, string>): string {
  const name = names.get(address.toLowerCase());
  const short = `${address.slice(0, 8)}…${address.slice(-4)}`;
  return name ? `${name} (${short})` : address;
}

const COLOURS = [33, 36, 35, 32, 34, 31];

/** The output with each span marked: colours on a terminal, [n: …] brackets otherwise. */
export function highlight(t: TraceAnswer, colour: boolean): string {
  const spans = [...t.spans].sort((a, b) => a.charStart - b.charStart);
  let out = '';
  let at = 0;
  spans.forEach((s) => {
    const n = t.spans.indexOf(s) + 1;
    out += t.outputText.slice(at, s.charStart);
    const text = t.outputText.slice(s.charStart, s.charEnd);
    out += colour
      ? `\x1b[1;4;${COLOURS[(n - 1) % COLOURS.length]}m${text}\x1b[0m\x1b[2m${n}\x1b[0m`
      : `[${n}: ${text}]`;
    at = s.charEnd;
  });
  return out + t.outputText.slice(at);
}

export function traceText(t: TraceAnswer, colour: boolean): string {
  const names = knownNames();
  const clip = (s: string, n: number) => {
    const one = s.replace(/\s+/g, ' ');
    return one.length > n ? `${one.slice(0, n - 1)}…` : one;
  };
  const pins = t.pins.map((p) => `${p.name || p.datanet} v${p.version}`).join(', ');
  const lines = [
    `${/^0x0+$/.test(t.modelVersion) ? 'explicit pins' : `model version ${t.modelVersion}`}: ${pins}; ${t.outputTokens} tokens, ${t.spans.length} span(s), traced in ${t.tookMs} ms`,
    '',
    highlight(t, colour),
    '',
  ];
  if (t.spans.length) {
    lines.push(
      table([
        ['#', 'tokens', 'span', 'Datanet', 'row', 'contributor', 'score'],
        ...t.spans.map((s, i) => [
          String(i + 1),
          `${s.outputOffset}+${s.length}`,
          `"${clip(s.text, 40)}"`,
          s.datanetName || `${s.datanet.slice(0, 10)}…`,
          s.rowIndex,
          who(s.contributor, names),
          s.credited === s.score ? s.score : `${s.score} (duplicate: 0)`,
        ]),
      ]),
      '',
    );
  } else {
    lines.push(`no span of at least ${t.params.minSpanTokens} tokens occurs in the pinned versions`, '');
  }
  lines.push(
    'weights:',
    table([
      ...t.weights.map((w) => [`  ${who(w.contributor, names)}`, w.share.padStart(7), `${w.ppm} ppm`]),
      ['  fallback (pro rata to the pinned rows)', t.fallbackShare.padStart(7), `${t.fallbackPpm} ppm`],
    ]),
    '',
    `evidence ${t.evidenceHash}`,
  );
  return lines.join('\n');
}

const traceCommand: Command = {
  name: 'trace',
  summary: 'Show which contributors’ rows an output copies: spans, contributors and weights (DESIGN §4.7).',
  usage:
    'openledger attribution trace "<text>" (--model <modelId@version|versionId> | --datanet <id@version,…>) [--json]',
  options: [
    {
      name: 'model',
      value: 'ID@N',
      description: 'model version (its pins and tokenizer): <modelId>@<n> or a version id',
    },
    { name: 'datanet', value: 'ID@V,…', description: 'explicit Datanet pins (instead of a model version)' },
    {
      name: 'tokenizer',
      value: 'HASH',
      description: 'tokenizer hash (with --datanet, when several are registered)',
    },
    {
      name: 'min-span',
      value: 'N',
      description: 'shortest span in tokens (default: the chain’s minSpanTokens)',
    },
    { name: 'file', value: 'FILE', description: 'read the output text from a file' },
    { name: 'evidence', value: 'FILE', description: 'also write the canonical evidence bytes to FILE' },
    ...QUERY_OPTIONS,
  ],
  details:
    'Example on the devnet:\n  openledger attribution trace "Ethernet: a family of local area network technologies" --datanet $(openledger datanet list --json | jq -r \'.[0].id\')@6',
  async run(args, out) {
    const file = option(args, 'file');
    const text = file ? await readFile(file, 'utf8') : args.positionals.join(' ');
    if (text.trim() === '')
      throw new BaseError('MISSING_ARGUMENT', 'give the output text to trace (or --file FILE)');
    const model = option(args, 'model');
    const datanet = option(args, 'datanet');
    if (!model && !datanet) {
      throw new BaseError(
        'MISSING_ARGUMENT',
        'say what to trace against: --model <modelId@version> or --datanet <id@version>',
        {
          metaMessages: ['openledger model list / openledger datanet list show the ids.'],
        },
      );
    }
    const minSpan = option(args, 'min-span');
    const evidenceFile = option(args, 'evidence');
    const t = await trace(client(args), {
      output: text,
      ...(model ? { model } : {}),
      ...(datanet ? { pins: parsePins(list(datanet)) } : {}),
      ...(option(args, 'tokenizer') ? { tokenizer: option(args, 'tokenizer')! } : {}),
      ...(minSpan ? { params: { minSpanTokens: Number(integer(minSpan, '--min-span')) } } : {}),
      ...(evidenceFile ? { evidence: true } : {}),
    });
    if (evidenceFile && t.evidence) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(evidenceFile, fromHex(t.evidence));
      out.info(`evidence written to ${evidenceFile}`);
    }
    const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
    out.result(t, (v) => traceText(v, colour));
  },
};

// ---- the local index (verify, challenge, index): built here from the node's chain data and blobs ----

type Local = { index: AttributionIndex; dir: string; query: JsonQuery; c: OpenLedgerClient; url: string };

async function localDir(args: ParsedArgs, c: OpenLedgerClient): Promise<string> {
  const given = option(args, 'dir');
  if (given) return given;
  const info = await c.chainInfo();
  const genesis = await c.getBlock(1);
  const hash = String((genesis as { hash?: string }).hash ?? '').slice(2, 14);
  return join(openLedgerHome(), 'attribution', `${info.chainId}-${hash}`);
}

/**
 * Opens the local index for a tokenizer registered on chain and brings the given Datanets (default:
 * all) up to the chain, downloading contribution blobs from the node (each checked against its rowsRoot
 * and version root on chain). Progress goes to stderr.
 */
async function openLocal(
  args: ParsedArgs,
  out: Output,
  p: { tokenizer?: Hex; datanets?: Hex[]; rebuild?: boolean } = {},
): Promise<Local> {
  const c = client(args);
  const url = String(args.options.get('rpc'));
  const query: JsonQuery = (path, a) => c.query(path, a);
  const dir = await localDir(args, c);
  if (p.rebuild) await rm(dir, { recursive: true, force: true });
  let hash = p.tokenizer;
  if (!hash) {
    const all = await chainTokenizers(query);
    if (all.length === 0) throw new BaseError('NO_TOKENIZER', 'no tokenizer is registered on this chain yet');
    hash = all[0]!;
  }
  const tokenizer = await chainTokenizer(query, hash);
  const index = AttributionIndex.open({ dir, tokenizer });
  const blobs = (h: Hex) => downloadBlob(url, h);
  const datanets = p.datanets ?? (await chainDatanets(query)).map((d) => d.id);
  for (const d of datanets) {
    const added = await syncDatanet(index, query, blobs, d, {
      onProgress: (x) =>
        out.info(`indexing ${d.slice(0, 10)}… version ${x.version}/${x.of} (${x.rows} rows)`),
    });
    if (added) out.info(`indexed ${added} new version(s) of ${d}`);
  }
  return { index, dir, query, c, url };
}

type ReceiptView = {
  id: Hex;
  operator: string;
  payer: string;
  modelVersion: Hex;
  evidenceHash: Hex;
  weights: { contributor: string; ppm: string }[];
  fallbackPpm: string;
  contributorsPool: string;
  params: { minSpanTokens: string; maxSpans: string; maxAttributed: string; gradientSharePpm: string };
  settledTime: string;
};

async function receiptEvidence(
  c: OpenLedgerClient,
  url: string,
  id: Hex,
): Promise<{ receipt: ReceiptView; bytes: Uint8Array }> {
  const receipt = await c.query<ReceiptView | null>('settlement.receipt', { id });
  if (!receipt) throw new BaseError('NOT_FOUND', `no settled receipt ${id}`);
  const bytes = await downloadBlob(url, receipt.evidenceHash);
  if (!bytes) {
    throw new BaseError('BLOB_NOT_FOUND', `the node does not have the evidence ${receipt.evidenceHash}`, {
      metaMessages: ['The sequencer refuses settlements without their evidence; try the sequencer’s RPC.'],
    });
  }
  if (toHex(sha256(bytes)) !== receipt.evidenceHash.toLowerCase()) {
    throw new BaseError('BLOB_MISMATCH', `the evidence blob does not hash to ${receipt.evidenceHash}`);
  }
  return { receipt, bytes };
}

function receiptDifferences(r: ReceiptView, e: Evidence): string[] {
  const out: string[] = [];
  const rw = r.weights.map((w) => `${w.contributor.toLowerCase()}:${w.ppm}`).join(',');
  const ew = e.weights.map(([a, ppm]) => `${a.toLowerCase()}:${ppm}`).join(',');
  if (rw !== ew || String(r.fallbackPpm) !== String(e.fallbackPpm)) {
    out.push(
      `the receipt's weights [${rw}] + fallback ${r.fallbackPpm} differ from the evidence's [${ew}] + fallback ${e.fallbackPpm}`,
    );
  }
  if (r.modelVersion.toLowerCase() !== e.modelVersion) {
    out.push(`the evidence names model version ${e.modelVersion}, the receipt ${r.modelVersion}`);
  }
  return out;
}

const paramsOf = (r: ReceiptView) => ({
  params: {
    minSpanTokens: Number(r.params.minSpanTokens),
    maxSpans: Number(r.params.maxSpans),
    maxAttributed: Number(r.params.maxAttributed),
  },
  gradientSharePpm: Number(r.params.gradientSharePpm),
});

const verifyCommand: Command = {
  name: 'verify',
  summary:
    'Recompute a receipt’s evidence from a local index of the pinned versions and print every difference.',
  usage: 'openledger attribution verify <receipt-id | evidence-file> [--json]',
  options: [
    { name: 'dir', value: 'DIR', description: 'local index directory (default: under $OPENLEDGER_HOME)' },
    ...QUERY_OPTIONS,
  ],
  async run(args, out) {
    const ref = positional(args, 0, 'openledger attribution verify <receipt-id | evidence-file>');
    const c = client(args);
    const url = String(args.options.get('rpc'));
    let bytes: Uint8Array;
    let receipt: ReceiptView | undefined;
    if (/^0x[0-9a-fA-F]{64}$/.test(ref)) {
      ({ receipt, bytes } = await receiptEvidence(c, url, ref.toLowerCase() as Hex));
    } else {
      const raw = new Uint8Array(await readFile(ref));
      const text = new TextDecoder().decode(raw.subarray(0, 2));
      bytes = text === '0x' ? fromHex(new TextDecoder().decode(raw).trim() as Hex) : raw;
    }
    let evidence: Evidence;
    try {
      evidence = decodeEvidence(bytes);
    } catch (e) {
      out.result(
        { ok: false, differences: [`the evidence does not decode: ${(e as Error).message}`] },
        (v) => `FALSE: ${v.differences[0]}`,
      );
      return 1;
    }
    const local = await openLocal(args, out, {
      tokenizer: evidence.tokenizerHash as Hex,
      datanets: evidence.datanetVersions.map((d) => d.id as Hex),
    });
    const report = local.index.verify(bytes, receipt ? paramsOf(receipt) : {});
    const differences = [...report.differences, ...(receipt ? receiptDifferences(receipt, evidence) : [])];
    const result = {
      ok: differences.length === 0,
      evidenceHash: toHex(sha256(bytes)),
      receipt: receipt?.id ?? null,
      spans: evidence.spans.length,
      outputTokens: evidence.outputTokenIds.length,
      differences,
    };
    out.result(result, (v) =>
      v.ok
        ? `OK: the evidence ${v.evidenceHash} holds — ${v.spans} span(s) over ${v.outputTokens} output tokens recomputed from the pinned versions, weights identical`
        : [
            `FALSE: ${v.differences.length} difference(s) in evidence ${v.evidenceHash}:`,
            ...v.differences.map((d) => `  - ${d}`),
          ].join('\n'),
    );
    return result.ok ? 0 : 1;
  },
};

const indexCommand: Command = {
  name: 'index',
  summary:
    'Build or update the local attribution index from the node’s Datanets and blobs; --check compares roots.',
  usage: 'openledger attribution index [--rebuild] [--check] [--dir DIR] [--json]',
  options: [
    { name: 'rebuild', description: 'delete the local index and build it again' },
    { name: 'check', description: 'check every indexed version root against the chain' },
    { name: 'dir', value: 'DIR', description: 'local index directory (default: under $OPENLEDGER_HOME)' },
    ...QUERY_OPTIONS,
  ],
  async run(args, out) {
    const t0 = performance.now();
    const local = await openLocal(args, out, { rebuild: args.options.has('rebuild') });
    const problems = args.options.has('check') ? await checkIndex(local.index, local.query) : [];
    const datanets = await chainDatanets(local.query);
    const result = {
      dir: local.dir,
      tokenizer: local.index.tokenizerHash,
      ms: Math.round(performance.now() - t0),
      datanets: datanets.map((d) => {
        const x = local.index.datanet(d.id);
        return {
          id: d.id,
          name: d.name,
          chainVersions: d.versionCount,
          indexedVersions: x.versionCount,
          tokens: x.versionCount ? x.tokenTotal() : 0,
          segments: x.segmentRuns.length,
          repairs: x.repairs,
        };
      }),
      checked: args.options.has('check'),
      problems,
    };
    out.result(result, (v) =>
      [
        `local index ${v.dir} (tokenizer ${v.tokenizer}), up to date in ${v.ms} ms`,
        table([
          ['Datanet', 'name', 'versions', 'tokens', 'segments'],
          ...v.datanets.map((d) => [
            d.id,
            d.name,
            `${d.indexedVersions}/${d.chainVersions}`,
            String(d.tokens),
            String(d.segments),
          ]),
        ]),
        ...(v.checked
          ? [
              v.problems.length
                ? `PROBLEMS:\n${v.problems.map((p) => `  - ${p}`).join('\n')}`
                : 'check: every indexed root equals the chain’s',
            ]
          : []),
      ].join('\n'),
    );
    return problems.length ? 1 : 0;
  },
};

/** The rows of each pinned Datanet up to its pinned version (the cited rows' exact bytes). */
async function pinnedRows(local: Local, evidence: Evidence): Promise<Map<string, Uint8Array>> {
  const rows = new Map<string, Uint8Array>();
  const blobs = (h: Hex) => downloadBlob(local.url, h);
  for (const pin of evidence.datanetVersions) {
    for (const v of await chainVersions(local.query, pin.id as Hex, 1)) {
      if (BigInt(v.version) > pin.version) break;
      const bytes = await contributionRowBytes(local.query, blobs, v.contribution);
      bytes.forEach((r, i) => {
        rows.set(`${pin.id}/${v.firstRow + i}`, r);
      });
    }
  }
  return rows;
}

const challengeCommand: Command = {
  name: 'challenge',
  summary:
    'Look for a fraud proof against a receipt (recomputed from a local index) and submit it, posting challengerBond.',
  usage:
    'openledger attribution challenge <receipt-id> --from KEY [--dry-run] [--json]\n       openledger attribution challenge <receipt-id> --prompt-file P --output-file O --from PAYER   (token counts)',
  details:
    'With --prompt-file and --output-file the payer challenges the token counts instead: the files hold the exact templated prompt and output text whose sha-256 the usage statement signed; the chain recounts them with the pinned tokenizer.',
  options: [
    { name: 'dry-run', description: 'show the proof found, do not submit it' },
    { name: 'prompt-file', value: 'FILE', description: 'token-count challenge: the templated prompt text' },
    { name: 'output-file', value: 'FILE', description: 'token-count challenge: the output text' },
    { name: 'dir', value: 'DIR', description: 'local index directory (default: under $OPENLEDGER_HOME)' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const id = requireId(args.positionals[0], 'the receipt');
    const promptFile = option(args, 'prompt-file');
    const outputFile = option(args, 'output-file');
    if (promptFile !== undefined || outputFile !== undefined) {
      if (promptFile === undefined || outputFile === undefined) {
        throw new BaseError(
          'MISSING_ARGUMENT',
          'a token-count challenge needs both --prompt-file and --output-file',
        );
      }
      const fields = {
        receipt: id,
        prompt: await readFile(promptFile, 'utf8'),
        output: await readFile(outputFile, 'utf8'),
      };
      out.info(`challenging the token counts of receipt ${id}`);
      return submitChallenge(args, out, 'ChallengeTokenCount', fields);
    }
    const c = client(args);
    const url = String(args.options.get('rpc'));
    const { receipt, bytes } = await receiptEvidence(c, url, id);
    const evidence = decodeEvidence(bytes);
    const local = await openLocal(args, out, {
      tokenizer: evidence.tokenizerHash as Hex,
      datanets: evidence.datanetVersions.map((d) => d.id as Hex),
    });
    const rows = await pinnedRows(local, evidence);
    const { params, gradientSharePpm } = paramsOf(receipt);
    let found: FoundChallenge | null;
    try {
      found = local.index.findChallenge({
        evidence: bytes,
        rowBytes: (datanet, rowIndex) => {
          const r = rows.get(`${datanet}/${rowIndex}`);
          if (!r)
            throw new BaseError(
              'ROW_NOT_FOUND',
              `row ${rowIndex} of ${datanet} is not in the pinned versions`,
            );
          return r;
        },
        receipt: {
          weights: receipt.weights.map((w) => [w.contributor.toLowerCase() as Hex, Number(w.ppm)] as const),
          fallbackPpm: Number(receipt.fallbackPpm),
        },
        params,
        gradientSharePpm,
      });
    } catch (e) {
      throw new BaseError('CHALLENGE_FAILED', `could not check the evidence: ${(e as Error).message}`);
    }
    if (!found) {
      out.result(
        { receipt: id, found: false },
        () =>
          `nothing to challenge: receipt ${id}'s evidence holds against the pinned versions (a wrong count table alone goes to a penalty proposal)`,
      );
      return 1;
    }
    const fields = fieldsFromClaim(id, bytes, found.claim);
    const describe = `condition (${found.claim.condition}): ${found.reason}`;
    if (args.options.has('dry-run')) {
      out.result(
        { receipt: id, found: true, condition: found.claim.condition, reason: found.reason },
        () => `would challenge with ${describe}`,
      );
      return 0;
    }
    out.info(`challenging receipt ${id} with ${describe}`);
    return submitChallenge(args, out, 'ChallengeReceipt', fields);
  },
};

/** Signs and sends a challenge, waits for its block and prints the outcome (proven or not). */
async function submitChallenge(
  args: ParsedArgs,
  out: Output,
  kind: 'ChallengeReceipt' | 'ChallengeTokenCount',
  fields: Record<string, unknown>,
): Promise<number> {
  const c = client(args);
  {
    const signer = await resolveSigner(args);
    const gasPrice = option(args, 'gas-price');
    const gasLimit = option(args, 'gas-limit');
    const sent = await c.send(signer, kind, fields, {
      ...(gasPrice ? { gasPrice: BigInt(gasPrice) } : {}),
      ...(gasLimit ? { gasLimit: BigInt(gasLimit) } : {}),
    });
    if (args.options.has('no-wait')) {
      out.result({ hash: sent.hash }, (v) => `submitted ${v.hash}`);
      return 0;
    }
    const r = await sent.wait();
    const event = (type: string) => {
      const e = r.events.find((x) => x.type === type);
      return e ? (Object.fromEntries(e.attributes) as Record<string, string>) : undefined;
    };
    const proven = event('challenges.proven');
    const failed = event('challenges.failed');
    out.result({ ...r, outcome: proven ? 'proven' : failed ? 'failed' : r.status, proven, failed }, (v) => {
      if (v.status !== 'ok') return `FAILED in block ${v.height}: ${v.code}: ${v.error}`;
      if (proven) {
        return [
          `PROVEN in block ${v.height}: ${proven.reason}`,
          `  operator ${proven.operator} slashed ${open(proven.slashed)}`,
          `  re-credited to the receipt's contributors ${open(proven.recredited)}`,
          `  challenger reward ${open(proven.reward)} (plus the bond back)`,
          `  held until the appeal window closes ${open(proven.held)}`,
        ].join('\n');
      }
      return `NOT PROVEN in block ${v.height}: ${failed?.reason}; the bond of ${open(failed?.burned ?? '0')} burned`;
    });
    return proven ? 0 : 1;
  }
}

export const attributionCommand: Command = {
  name: 'attribution',
  summary:
    'Proof of Attribution: trace outputs to contributors, verify and challenge receipts, the local index.',
  usage: 'openledger attribution index|trace|verify|challenge',
  subcommands: [traceCommand, verifyCommand, challengeCommand, indexCommand],
};

/** `openledger datanet copy-report <contribution>`: for curators, before approving. */
export const copyReportCommand: Command = {
  name: 'copy-report',
  summary:
    'For curators: how much of a contribution (in spans of ≥ 12 tokens) is already in the Datanet, and whose rows.',
  usage: 'openledger datanet copy-report <contribution> [--min-tokens 12] [--json]',
  options: [
    { name: 'min-tokens', value: 'N', description: 'shortest copied span counted', default: '12' },
    ...QUERY_OPTIONS,
  ],
  async run(args, out) {
    const id = requireId(args.positionals[0], 'the contribution');
    const r = await copyReport(client(args), id, {
      minTokens: Number(integer(String(args.options.get('min-tokens')), '--min-tokens')),
    });
    const names = knownNames();
    out.result(r, (v) =>
      [
        `contribution ${v.contribution} by ${who(v.contributor, names)} (${v.status}) to ${v.datanetName || v.datanet}`,
        `compared with version ${v.comparedWithVersion}: ${v.copiedTokens} of ${v.totalTokens} tokens (${(v.copiedPpm / 10_000).toFixed(2)}%) are in spans of ≥ ${v.minTokens} tokens already in the Datanet`,
        ...(v.byContributor.length
          ? [
              '',
              table([
                ['from', 'tokens', 'rows'],
                ...v.byContributor.map((b) => [
                  who(b.contributor, names),
                  String(b.tokens),
                  b.rows.map((x) => x.rowIndex).join(', '),
                ]),
              ]),
            ]
          : []),
        ...(v.spans.length
          ? [
              '',
              'copied spans:',
              ...v.spans
                .slice(0, 20)
                .map(
                  (s) =>
                    `  row ${s.row} @${s.offset} (+${s.length}) ← row ${s.source.rowIndex}: "${s.text.replace(/\s+/g, ' ').slice(0, 80)}"`,
                ),
            ]
          : []),
      ].join('\n'),
    );
  },
};
