// Customer state as stored in Redis: JSON with a fixed field order, so the same state always
// encodes to the same string (the runtime compares and replays encoded state).

import type { CustomerValueState } from './decide.js';
import type { ValueTier } from './tiers.js';
import type { Bucket } from './windows.js';

const TIERS: ReadonlySet<string> = new Set<ValueTier>(['top2', 'top', 'middle', 'bottom']);

export function encodeState(state: CustomerValueState): string {
  return JSON.stringify({
    buckets: state.buckets,
    tier: state.tier,
    rankingValueMinor: state.rankingValueMinor,
  });
}

function isBucket(value: unknown): value is Bucket {
  return Array.isArray(value) && value.length === 4 && value.every((n) => Number.isSafeInteger(n));
}

export function decodeState(encoded: string): CustomerValueState {
  const parsed: unknown = JSON.parse(encoded);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('value-segmentation state is not an object');
  const { buckets, tier, rankingValueMinor } = parsed as Record<string, unknown>;
  if (!Array.isArray(buckets) || !buckets.every(isBucket)) {
    throw new Error('value-segmentation state has malformed buckets');
  }
  if (tier !== null && (typeof tier !== 'string' || !TIERS.has(tier))) {
    throw new Error(`value-segmentation state has an unknown tier ${JSON.stringify(tier)}`);
  }
  if (!Number.isSafeInteger(rankingValueMinor)) {
    throw new Error('value-segmentation state has no whole ranking value');
  }
  return { buckets, tier: tier as ValueTier | null, rankingValueMinor: rankingValueMinor as number };
}
