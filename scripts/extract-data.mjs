#!/usr/bin/env node
// Extracts the text the repo ships under data/ from Debian's dictd packages (see data/README.md):
//   data/base/gcide.txt            base corpus (GCIDE subset), `headword: definition` entries
//   data/datanets/<name>/NN-*.txt  demo Datanet files (FOLDOC, elements), one per demo contributor
//   data/datanets/manifest.json    names, summaries, licenses, files in seeding order
// Needs: apt-get install -y dict-gcide dict-foldoc dict-elements. Deterministic: same output every run.
// Usage: node scripts/extract-data.mjs [--dictd /usr/share/dictd] [--out data]
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] !== undefined ? args[index + 1] : fallback;
};
const root = new URL('..', import.meta.url).pathname;
const dictdDir = option('--dictd', '/usr/share/dictd');
const outDir = option('--out', join(root, 'data'));

/** Every GCIDE_STRIDE-th cleaned GCIDE entry (in file order) goes into the base corpus, up to the cap. */
const GCIDE_STRIDE = 4;
const GCIDE_MAX_BYTES = 8_000_000;
/** A Datanet row must stay under the row limit of DESIGN §4.4 (2,048 bytes); we keep a margin. */
const ROW_MAX_BYTES = 1_600;
const FOLDOC_MIN_BYTES = 100;
/** FOLDOC rows are kept short (whole sentences within this many bytes), so several fit in a prompt. */
const FOLDOC_MAX_BYTES = 500;
const FOLDOC_PER_CONTRIBUTOR = 200;

// ---------------------------------------------------------------------------------------------------
// dictd reading

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function b64number(text) {
  let value = 0;
  for (const char of text) {
    const digit = B64.indexOf(char);
    if (digit < 0) throw new Error(`bad dictd base64 number ${JSON.stringify(text)}`);
    value = value * 64 + digit;
  }
  return value;
}

/** Reads a dictd database: its entries (distinct byte ranges, in file order) with their index headwords. */
function readDictd(name) {
  let dict;
  let index;
  try {
    dict = gunzipSync(readFileSync(join(dictdDir, `${name}.dict.dz`)));
    index = readFileSync(join(dictdDir, `${name}.index`), 'utf8');
  } catch (error) {
    console.error(`cannot read the dictd database "${name}" in ${dictdDir}: ${error.message}`);
    console.error(
      'install it first: apt-get update && apt-get install -y dict-gcide dict-foldoc dict-elements',
    );
    process.exit(1);
  }
  const byOffset = new Map();
  for (const line of index.split('\n')) {
    if (line === '') continue;
    const [headword, offsetText, lengthText] = line.split('\t');
    if (headword.startsWith('00-database') || headword.startsWith('00database')) continue;
    const offset = b64number(offsetText);
    const length = b64number(lengthText);
    const entry = byOffset.get(offset);
    if (entry) entry.headwords.push(headword);
    else byOffset.set(offset, { offset, length, headwords: [headword] });
  }
  const decoder = new TextDecoder('utf-8');
  return [...byOffset.values()]
    .sort((a, b) => a.offset - b.offset)
    .map((entry) => ({
      ...entry,
      text: decoder.decode(dict.subarray(entry.offset, entry.offset + entry.length)),
    }));
}

/** Cuts an over-long entry after its last full sentence within ROW_MAX_BYTES (ASCII text). */
function truncateAtSentence(text) {
  if (byteLength(text) <= ROW_MAX_BYTES) return text;
  const cut = text.lastIndexOf('. ', ROW_MAX_BYTES - 1);
  return cut > 0 ? text.slice(0, cut + 1) : undefined;
}

const squeeze = (text) => text.replace(/\s+/g, ' ').trim();
const byteLength = (text) => Buffer.byteLength(text, 'utf8');

// ---------------------------------------------------------------------------------------------------
// GCIDE → `Headword: (pos) definition`

/** Removes [...] groups (etymologies, source tags, usage labels), innermost first. */
function dropBrackets(text) {
  let previous;
  do {
    previous = text;
    text = text.replace(/\[[^[\]]*\]/g, '');
  } while (text !== previous);
  return text;
}

/** GCIDE character codes such as [=a], [e^], [ae], [imac]: to plain letters (pronunciations are dropped). */
const ACCENT_PATTERN = /\[([=.'`"~^,-]?)([a-zA-Z]{1,5})(\^?)\]/g;
const ACCENT_WORDS = {
  ae: 'ae',
  oe: 'oe',
  oo: 'oo',
  imac: 'i',
  aum: 'a',
  asl: 'a',
  eth: 'th',
  thorn: 'th',
  ng: 'ng',
  th: 'th',
  deg: '°',
};
function accentToText(match, before, core, after) {
  if (core.length === 1 && (before !== '' || after !== '')) return core;
  if (Object.hasOwn(ACCENT_WORDS, core) && (before === '' || before === '=')) return ACCENT_WORDS[core];
  return match;
}

function cleanGcide(raw) {
  if (raw.includes('\ufffd')) return undefined;
  const lines = raw.split('\n').filter((line) => {
    if (/^\s*$/.test(line)) return true;
    if (/^ {12,}/.test(line)) return false; // quotations and their attributions
    if (/^\s*\[[^\]]*\]\s*$/.test(line)) return false; // source tags such as [1913 Webster]
    return true;
  });
  let text = lines.join('\n').trim().replace(ACCENT_PATTERN, accentToText);
  const header = /^([^\\\n]+?) \\[^\\\n]*\\,?/.exec(text);
  if (!header) return undefined;
  const headword = header[1].trim();
  text = text.slice(header[0].length).replace(/^\s*\([^)\n]*\),?/, ''); // second pronunciation form
  // Further variant spellings on the header line: "Colour \Col"our\,"
  text = text.replace(/^\s*(?:[^\\\n,]+ \\[^\\\n]*\\,?\s*)+/, ' ');
  text = dropBrackets(text);
  text = text
    .replace(/[{}]/g, '')
    .replace(/([A-Za-z])[*`"]+(?=[A-Za-z])/g, '$1') // syllable marks in cited forms: Di*chot"o*mous
    .replace(/\s--\s?[A-Z][A-Za-z.' ]{0,40}?\.(?=\s|$)/g, '') // author citations: --Bacon.
    .replace(/\s\?(?=[\s.,;:])/g, ''); // Greek words rendered as "?"
  text = squeeze(text);
  const pos = /^((?:[a-z]+\.\s?){1,4})(?:\s|$)/.exec(text);
  let definition = text;
  let posLabel = '';
  if (pos) {
    posLabel = `(${pos[1].trim()}) `;
    definition = text.slice(pos[0].length).trim();
  }
  definition = definition.replace(/^[,;.\s]+/, '');
  if (!/^[A-Za-z][A-Za-z '-]*$/.test(headword) || definition.length < 8) return undefined;
  return truncateAtSentence(`${headword}: ${posLabel}${definition}`);
}

function extractGcide() {
  const entries = readDictd('gcide');
  const cleaned = [];
  for (const entry of entries) {
    const text = cleanGcide(entry.text);
    if (text !== undefined) cleaned.push(text);
  }
  const picked = [];
  let bytes = 0;
  for (let i = 0; i < cleaned.length; i += GCIDE_STRIDE) {
    const size = byteLength(cleaned[i]) + 2;
    if (bytes + size > GCIDE_MAX_BYTES) break;
    picked.push(cleaned[i]);
    bytes += size;
  }
  return { entries: entries.length, cleaned: cleaned.length, picked };
}

// ---------------------------------------------------------------------------------------------------
// FOLDOC → `headword: definition`, themed contributors

function parseFoldoc(raw) {
  const [headBlock, ...rest] = raw.replace(/\r/g, '').split(/\n[ \t]*\n/);
  const headword = headBlock.split('\n')[0].trim();
  const paragraphs = rest.map((p) => p.trim()).filter((p) => p !== '');
  if (paragraphs.length === 0) return undefined;
  const tagMatch = /^<([^>]+)>\s*/.exec(paragraphs[0]);
  const tags = tagMatch ? tagMatch[1].split(',').map((t) => t.trim()) : [];
  if (tagMatch) paragraphs[0] = paragraphs[0].slice(tagMatch[0].length);
  const kept = [];
  let size = byteLength(headword) + 2;
  for (const paragraph of paragraphs) {
    if (/^\(\d{4}-\d{2}-\d{2}\)$/.test(paragraph)) continue; // revision date
    if (
      paragraph.startsWith('[') ||
      /^(See also|Home:|E-mail|Usenet newsgroup|FAQ:|Latest version)/i.test(paragraph)
    ) {
      continue; // bibliography and pointers
    }
    const clean = squeeze(paragraph.replace(/[{}]/g, '').replace(/<[a-z ,/-]+>\s*/g, ''));
    if (clean === '') continue;
    if (size + byteLength(clean) + 1 > FOLDOC_MAX_BYTES) {
      if (kept.length === 0) {
        const cut = clean.lastIndexOf('. ', FOLDOC_MAX_BYTES - size - 1);
        if (cut > 0) kept.push(clean.slice(0, cut + 1));
      }
      break;
    }
    kept.push(clean);
    size += byteLength(clean) + 1;
  }
  if (kept.length === 0) return undefined;
  const definition = kept.join(' ');
  if (
    /^(See|Same as|Abbreviation for|Alternative (term|spelling)|Former name)\b/i.test(definition) &&
    definition.length < 200
  ) {
    return undefined; // pure redirects
  }
  const text = `${headword}: ${definition}`;
  if (byteLength(text) < FOLDOC_MIN_BYTES || text.includes('\ufffd')) return undefined;
  return { headword, tags, text };
}

const COMPUTING = [
  {
    contributor: 'ada',
    theme: 'programming languages and programming',
    tags: ['language', 'programming', 'library', 'compiler', 'object-oriented'],
  },
  {
    contributor: 'grace',
    theme: 'operating systems, processors and hardware',
    tags: ['operating system', 'hardware', 'processor', 'architecture', 'storage', 'computer', 'electronics'],
  },
  {
    contributor: 'vint',
    theme: 'networking, protocols and the web',
    tags: ['networking', 'communications', 'protocol', 'web', 'messaging', 'chat'],
  },
  {
    contributor: 'edgar',
    theme: 'databases, data and file formats',
    tags: ['database', 'data', 'file format', 'text', 'graphics', 'security', 'file system'],
  },
  {
    contributor: 'alan',
    theme: 'theory, algorithms, logic and AI',
    tags: ['theory', 'algorithm', 'mathematics', 'logic', 'artificial intelligence', 'parallel'],
  },
  {
    contributor: 'linus',
    theme: 'software, tools, standards and jargon',
    tags: ['tool', 'software', 'application', 'standard', 'jargon', 'testing', 'job', 'project'],
  },
];

/**
 * Picks each contributor's entries: the FOLDOC entries of its theme (the first theme whose tags match), ranked by
 * how often other FOLDOC entries cross-reference them ({headword}), so the core terms come first; ties keep
 * dictionary order. Each headword and each definition is used once across all files.
 */
function extractFoldoc() {
  // Debian appends its own entries (Dictionary.debian, under other terms) at the end: leave them out.
  const all = readDictd('foldoc');
  const debianStart =
    all.find((entry) => entry.text.startsWith('Dictionary.debian'))?.offset ?? Number.POSITIVE_INFINITY;
  const raw = all.filter((entry) => entry.offset < debianStart);
  if (raw.length === all.length) throw new Error('FOLDOC: the Dictionary.debian section was not found');
  const references = new Map();
  for (const entry of raw) {
    for (const match of entry.text.matchAll(/\{([^{}]+)\}/g)) {
      const key = squeeze(match[1]).toLowerCase();
      references.set(key, (references.get(key) ?? 0) + 1);
    }
  }
  const entries = raw.map((entry) => parseFoldoc(entry.text)).filter((entry) => entry !== undefined);
  const seenHeadwords = new Set();
  const seenTexts = new Set();
  const buckets = COMPUTING.map(() => []);
  entries.forEach((entry, position) => {
    const key = entry.headword.toLowerCase();
    const body = entry.text.slice(entry.headword.length);
    if (seenHeadwords.has(key) || seenTexts.has(body)) return;
    const theme = COMPUTING.findIndex((c) => entry.tags.some((tag) => c.tags.includes(tag)));
    if (theme < 0) return;
    seenHeadwords.add(key);
    seenTexts.add(body);
    buckets[theme].push({ ...entry, position, references: references.get(key) ?? 0 });
  });
  return buckets.map((bucket, index) => {
    const ranked = [...bucket].sort((a, b) => b.references - a.references || a.position - b.position);
    const rows = ranked.slice(0, FOLDOC_PER_CONTRIBUTOR).sort((a, b) => a.position - b.position);
    return { ...COMPUTING[index], rows: rows.map((entry) => entry.text) };
  });
}

// ---------------------------------------------------------------------------------------------------
// elements → `name: Symbol: H. Atomic number: 1. Atomic weight: 1.0079. description`

const ELEMENTS = [
  { contributor: 'marie', theme: 'elements 1–40', from: 1, to: 40 },
  { contributor: 'dmitri', theme: 'elements 41–80', from: 41, to: 80 },
  { contributor: 'glenn', theme: 'elements 81 and above', from: 81, to: 1000 },
];

function extractElements() {
  const entries = [];
  for (const entry of readDictd('elements')) {
    const lines = entry.text.replace(/\r/g, '').trim().split('\n');
    const name = lines[0].trim();
    const fields = [];
    const description = [];
    let number;
    for (const line of lines.slice(1)) {
      const field = /^(Symbol|Atomic number|Atomic weight):\s*(.*)$/.exec(line.trim());
      if (field) {
        fields.push(`${field[1]}: ${field[2].trim()}.`);
        if (field[1] === 'Atomic number') number = Number.parseInt(field[2], 10);
      } else {
        description.push(line);
      }
    }
    if (number === undefined || !/^[a-z]+$/.test(name)) continue;
    let text = `${name}: ${fields.join(' ')} ${squeeze(description.join(' ').replace(/[{}]/g, ''))}`.trim();
    while (byteLength(text) > ROW_MAX_BYTES) text = text.slice(0, text.lastIndexOf(' ', ROW_MAX_BYTES - 1));
    entries.push({ number, name, text });
  }
  // One entry per atomic number (the index has e.g. both "aluminium" and "aluminum"): the first in file order.
  const byNumber = new Map();
  for (const entry of entries) if (!byNumber.has(entry.number)) byNumber.set(entry.number, entry);
  const sorted = [...byNumber.values()].sort((a, b) => a.number - b.number);
  return ELEMENTS.map((group) => ({
    ...group,
    rows: sorted.filter((e) => e.number >= group.from && e.number <= group.to).map((e) => e.text),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Output

/**
 * Writes entries separated by blank lines and checks that the row rule of DESIGN §4.4 (NFC, split on blank
 * lines, trim, ≤ 2,048 bytes) gives back exactly these entries, one row each.
 */
function writeEntries(path, rows) {
  const text = `${rows.join('\n\n')}\n`;
  const split = text
    .normalize('NFC')
    .split(/\n[ \t]*\n/)
    .map((part) => part.replace(/^[ \t\n]+|[ \t\n]+$/g, ''))
    .filter((part) => part !== '');
  const ok =
    split.length === rows.length && split.every((row, i) => row === rows[i] && byteLength(row) <= 2048);
  if (!ok) throw new Error(`${path}: the entries do not split into one row each`);
  const bytes = Buffer.from(text, 'utf8');
  writeFileSync(path, bytes);
  return bytes;
}

const gcide = extractGcide();
const computing = extractFoldoc();
const elements = extractElements();

rmSync(join(outDir, 'base'), { recursive: true, force: true });
rmSync(join(outDir, 'datanets'), { recursive: true, force: true });
mkdirSync(join(outDir, 'base'), { recursive: true });
writeEntries(join(outDir, 'base', 'gcide.txt'), gcide.picked);

const datanets = [
  {
    name: 'computing',
    summary: 'Definitions of computing terms from the Free On-line Dictionary of Computing (FOLDOC).',
    source: 'FOLDOC (Debian package dict-foldoc), http://foldoc.org/',
    license: 'GFDL-1.1-or-later',
    groups: computing,
  },
  {
    name: 'elements',
    summary: 'The chemical elements: symbol, atomic number, atomic weight and a short description.',
    source: 'The Elements database by Jay F. Kominek (Debian package dict-elements)',
    license: 'public-domain',
    groups: elements,
  },
];
const manifest = { version: 1, datanets: [] };
const stats = { gcide: { entries: gcide.entries, cleaned: gcide.cleaned, picked: gcide.picked.length } };
for (const datanet of datanets) {
  const dir = join(outDir, 'datanets', datanet.name);
  mkdirSync(dir, { recursive: true });
  const files = [];
  datanet.groups.forEach((group, index) => {
    const file = `${String(index + 1).padStart(2, '0')}-${group.contributor}.txt`;
    const bytes = writeEntries(join(dir, file), group.rows);
    files.push({
      file: `${datanet.name}/${file}`,
      contributor: group.contributor,
      theme: group.theme,
      rows: group.rows.length,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });
  manifest.datanets.push({
    name: datanet.name,
    summary: datanet.summary,
    source: datanet.source,
    license: datanet.license,
    files,
  });
  stats[datanet.name] = files.map((f) => f.rows);
}
writeFileSync(join(outDir, 'datanets', 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(JSON.stringify(stats));
