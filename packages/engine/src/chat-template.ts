// The chat template of the built-in models (the chain records its hash with each model version).
// Special tokens come from the tokenizer; user text is encoded with special tokens disabled, so it
// can never inject a marker.
import { createHash } from 'node:crypto';
import { EngineError } from './errors.js';
import type { TokenizerLike } from './tokenizer-types.js';

/**
 * The template, as text. `{context}` rows are each cut to CONTEXT_ROW_MAX_TOKENS tokens; at most
 * CONTEXT_MAX_ROWS rows; a turn without context omits the <|context|> part.
 */
export const CHAT_TEMPLATE =
  '[<|system|>{system}](<|user|>{user}<|assistant|>{assistant}<|eos|>)*<|user|>{user}' +
  '[<|context|>{context[0]}<|sep|>…<|sep|>{context[n-1]}]<|assistant|>' +
  ' ; context rows cut to 40 tokens, at most 1 row (the best retrieved row), placed after the question';

export const CHAT_TEMPLATE_HASH = createHash('sha256').update(CHAT_TEMPLATE, 'utf8').digest('hex');

export const CONTEXT_ROW_MAX_TOKENS = 40;
export const CONTEXT_MAX_ROWS = 1;

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };
export type ChatInput = { context?: string[]; messages: ChatMessage[] };

/**
 * Encode a chat (ending with a user turn) into prompt ids that end in <|assistant|>. The context
 * comes right after the last question, so an answer copied from the row sits at a fixed distance
 * from it (a pattern a small model learns quickly).
 */
export function encodeChat(tok: TokenizerLike, chat: ChatInput): number[] {
  const s = tok.special;
  const ids: number[] = [];
  const enc = (t: string): number[] => tok.encode(t, { allowSpecial: false });
  const last = chat.messages[chat.messages.length - 1];
  if (last?.role !== 'user') throw new EngineError('BAD_ARGS', 'a chat prompt must end with a user message');
  for (const m of chat.messages.filter((x) => x.role === 'system')) ids.push(s.system, ...enc(m.content));
  const turns = chat.messages.filter((x) => x.role !== 'system');
  turns.forEach((m, i) => {
    if (m.role === 'assistant') {
      if (ids[ids.length - 1] !== s.assistant) ids.push(s.assistant);
      ids.push(...enc(m.content), s.eos);
      return;
    }
    ids.push(s.user, ...enc(m.content));
    if (i === turns.length - 1) {
      const rows = (chat.context ?? []).slice(0, CONTEXT_MAX_ROWS);
      if (rows.length > 0) {
        ids.push(s.context);
        rows.forEach((r, k) => {
          if (k > 0) ids.push(s.sep);
          ids.push(...enc(r).slice(0, CONTEXT_ROW_MAX_TOKENS));
        });
      }
    }
    ids.push(s.assistant);
  });
  return ids;
}
