import { compareHex, type Hex, normalizeBytes32 } from './bytes.js';
import { AttributionError } from './errors.js';
import type { Evidence, EvidenceDatanetVersion, EvidenceGradient } from './evidence.js';
import { assertEvidenceWellFormed } from './evidence.js';
import type { RowProof } from './rowProof.js';
import type { CreditedSpan, SpanParams, TokenCounts } from './spans.js';
import { computeWeights } from './weights.js';

export interface BuildEvidenceParameters {
  tokenizerHash: Hex;
  modelVersion: Hex;
  datanetVersions: readonly EvidenceDatanetVersion[];
  outputTokenIds: readonly number[];
  counts: TokenCounts;
  /** The kept spans from the span rule, each with its credited row's proof. */
  spans: readonly (CreditedSpan & { rowProof: RowProof })[];
  params: SpanParams;
  gradient?: EvidenceGradient;
  /** gradientSharePpm in force (default 0). */
  gradientSharePpm?: number;
}

/**
 * Assembles the canonical evidence (DESIGN §4.7): orders every list as the DESIGN says, lists the count of
 * every distinct output token, computes the weights, and checks the result is well formed. Deterministic:
 * two machines with the same index produce byte-identical evidence (except `gradient`).
 */
export function buildEvidence(p: BuildEvidenceParameters): Evidence {
  const datanetVersions = p.datanetVersions
    .map((d) => ({ id: normalizeBytes32(d.id), version: d.version, root: normalizeBytes32(d.root) }))
    .sort((a, b) => compareHex(a.id, b.id));
  const ids = [...new Set(p.outputTokenIds)].sort((a, b) => a - b);
  const spans = p.spans.slice().sort((a, b) => a.outputOffset - b.outputOffset);
  const weights = computeWeights(
    spans,
    p.params.maxAttributed,
    p.gradient === undefined
      ? undefined
      : { weights: p.gradient.weights, gradientSharePpm: p.gradientSharePpm ?? 0 },
  );
  const evidence: Evidence = {
    tokenizerHash: normalizeBytes32(p.tokenizerHash),
    modelVersion: normalizeBytes32(p.modelVersion),
    datanetVersions,
    outputTokenIds: p.outputTokenIds.slice(),
    counts: { N: p.counts.N, tokens: ids.map((id) => [id, p.counts.count(id)]) },
    spans: spans.map((s) => {
      if (s.rowProof.contributor !== s.contributor) {
        throw new AttributionError(
          'INVALID_ARGUMENT',
          `span at ${s.outputOffset}: row proof names another contributor`,
        );
      }
      return {
        outputOffset: s.outputOffset,
        length: s.length,
        datanet: s.datanet,
        rowIndex: s.rowIndex,
        rowOffset: s.rowOffset,
        rowProof: s.rowProof,
        score: s.score,
      };
    }),
    params: { ...p.params },
    weights: weights.weights,
    fallbackPpm: weights.fallbackPpm,
  };
  if (p.gradient !== undefined) evidence.gradient = p.gradient;
  assertEvidenceWellFormed(evidence);
  return evidence;
}
