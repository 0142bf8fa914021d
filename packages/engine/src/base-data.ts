// The base corpus (data/base/gcide.txt: `headword: definition` entries separated by blank lines)
// as a pre-training dataset: entries → [bos] tokens [eos], held-out = every 50th entry.
import { type Dataset, type Example, packStream } from './dataset.js';
import { EngineError } from './errors.js';
import type { TokenizerLike } from './tokenizer-types.js';

export const HELD_OUT_EVERY = 50;

export function splitEntries(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Token streams of the train / held-out entries (each entry wrapped in bos … eos). */
export function baseStreams(
  text: string,
  tok: TokenizerLike,
): { train: Int32Array; heldOut: Int32Array; entries: number } {
  const entries = splitEntries(text);
  if (entries.length === 0) throw new EngineError('EMPTY_DATASET', 'the base corpus has no entries');
  const train: number[] = [];
  const held: number[] = [];
  entries.forEach((e, i) => {
    const dst = i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1 ? held : train;
    dst.push(tok.special.bos);
    for (const id of tok.encode(e)) dst.push(id);
    dst.push(tok.special.eos);
  });
  return { train: Int32Array.from(train), heldOut: Int32Array.from(held), entries: entries.length };
}

export function baseDataset(
  text: string,
  tok: TokenizerLike,
  seq: number,
): Dataset & { streams: { train: Int32Array; heldOut: Int32Array } } {
  const s = baseStreams(text, tok);
  const train: Example[] = packStream(s.train, seq);
  const heldOut: Example[] = packStream(s.heldOut, seq);
  return { train, heldOut, streams: { train: s.train, heldOut: s.heldOut } };
}
