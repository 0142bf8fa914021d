/**
 * Contributor weights (DESIGN §4.7 *fixed*): score shares in ppm by largest remainder, top maxAttributed
 * plus fallbackPpm, and the gradient mix with g = gradientSharePpm.
 */
import { compareHex, type Hex, normalizeAddress } from './bytes.js';
import { AttributionError } from './errors.js';

export const PPM = 1_000_000;

/** An [address, ppm] pair. */
export type Weight = readonly [address: Hex, ppm: number];

export interface Weights {
  /** Listed contributors, ordered by (ppm desc, address asc), none at 0 ppm. */
  weights: Weight[];
  fallbackPpm: number;
}

/** Weight order: ppm desc, address asc. */
export function compareWeights(a: Weight, b: Weight): number {
  if (a[1] !== b[1]) return b[1] - a[1];
  return compareHex(a[0], b[0]);
}

/**
 * Score shares in ppm: floors, then the leftover ppm one each to the largest remainders (ties by address
 * asc); contributors at 0 ppm are not listed. Returns [] when the total score is 0 (everything is
 * fallback). The result is ordered by (ppm desc, address asc).
 */
export function scoreSharesPpm(
  credits: ReadonlyMap<Hex, bigint> | Iterable<readonly [Hex, bigint]>,
): Weight[] {
  const entries: [Hex, bigint][] = [];
  const seen = new Map<Hex, bigint>();
  for (const [addr, s] of credits) {
    if (s < 0n) throw new AttributionError('INVALID_ARGUMENT', `negative score for ${addr}`);
    const a = normalizeAddress(addr);
    seen.set(a, (seen.get(a) ?? 0n) + s);
  }
  for (const e of seen) entries.push(e);
  let total = 0n;
  for (const [, s] of entries) total += s;
  if (total === 0n) return [];
  const rows = entries.map(([addr, s]) => {
    const scaled = s * BigInt(PPM);
    return { addr, ppm: scaled / total, rem: scaled % total };
  });
  let leftover = BigInt(PPM);
  for (const r of rows) leftover -= r.ppm;
  const byRemainder = rows
    .slice()
    .sort((a, b) => (a.rem !== b.rem ? (a.rem > b.rem ? -1 : 1) : compareHex(a.addr, b.addr)));
  for (let i = 0; leftover > 0n; i++, leftover--) byRemainder[i]!.ppm += 1n;
  return rows
    .filter((r) => r.ppm > 0n)
    .map((r) => [r.addr, Number(r.ppm)] as const)
    .sort(compareWeights);
}

/** Keeps the top `maxAttributed` by (ppm desc, address asc); the rest of 1,000,000 is fallbackPpm. */
export function topAttributed(ppms: readonly Weight[], maxAttributed: number): Weights {
  const sorted = ppms.filter((w) => w[1] > 0).sort(compareWeights);
  const weights = sorted.slice(0, Math.max(0, maxAttributed));
  let sum = 0;
  for (const w of weights) sum += w[1];
  if (sum > PPM) throw new AttributionError('INVALID_ARGUMENT', `weights sum to ${sum} ppm, over ${PPM}`);
  return { weights, fallbackPpm: PPM - sum };
}

/**
 * The gradient mix: each address gets ⌊span ppm × (1e6 − g)/1e6⌋ + ⌊gradient ppm × g/1e6⌋, then the top
 * maxAttributed are kept and the rest goes to fallback. `spanPpm` is the full list before the top cut.
 */
export function mixWeights(
  spanPpm: readonly Weight[],
  gradientPpm: readonly Weight[],
  gradientSharePpm: number,
  maxAttributed: number,
): Weights {
  const g = gradientSharePpm;
  if (!Number.isSafeInteger(g) || g < 0 || g > PPM) {
    throw new AttributionError('INVALID_ARGUMENT', `gradientSharePpm must be within 0..${PPM}, got ${g}`);
  }
  const mixed = new Map<Hex, bigint>();
  const add = (list: readonly Weight[], factor: bigint) => {
    for (const [addr, ppm] of list) {
      if (!Number.isSafeInteger(ppm) || ppm < 0 || ppm > PPM) {
        throw new AttributionError(
          'INVALID_ARGUMENT',
          `ppm must be within 0..${PPM}, got ${ppm} for ${addr}`,
        );
      }
      const a = normalizeAddress(addr);
      mixed.set(a, (mixed.get(a) ?? 0n) + (BigInt(ppm) * factor) / BigInt(PPM));
    }
  };
  add(spanPpm, BigInt(PPM - g));
  if (g > 0) add(gradientPpm, BigInt(g));
  return topAttributed(
    [...mixed].map(([a, p]) => [a, Number(p)] as const),
    maxAttributed,
  );
}

/** The weights for credited spans (and the evidence's gradient weights when g > 0). */
export function computeWeights(
  spans: readonly { contributor: Hex; credited: bigint }[],
  maxAttributed: number,
  gradient?: { weights: readonly Weight[]; gradientSharePpm: number },
): Weights {
  const credits = new Map<Hex, bigint>();
  for (const s of spans) {
    const a = normalizeAddress(s.contributor);
    credits.set(a, (credits.get(a) ?? 0n) + s.credited);
  }
  const shares = scoreSharesPpm(credits);
  if (gradient === undefined || gradient.gradientSharePpm === 0) return topAttributed(shares, maxAttributed);
  return mixWeights(shares, gradient.weights, gradient.gradientSharePpm, maxAttributed);
}
