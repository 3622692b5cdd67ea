import type { Redis } from 'ioredis';
import type { SimulatedRecord } from '../../services/pos-simulator/generate.js';
import type { TopicRecord } from './kafka-test-client.js';
import { compareScenarioWithOracle, type Scenario } from './scenario.js';
import type { RunComparison } from './value-segmentation-check.js';

// Re-sent purchases as a producer without idempotence makes them (a retry after a timeout): the
// same key and bytes again, a few records later. Only purchases the worker applies are re-sent
// (valid, not late where they stand), so that the oracle without the copies is the whole truth.

/** `records` with every `every`-th valid, on-time purchase sent again 3 to 40 records later. */
export function withResentCopies(
  records: readonly SimulatedRecord[],
  allowedLatenessMs: number,
  every: number,
): { sequence: Array<{ key: string; value: Buffer }>; copies: number } {
  const sequence: Array<{ key: string; value: Buffer }> = [];
  const pending = new Map<number, Array<{ key: string; value: Buffer }>>();
  let latest = Number.NEGATIVE_INFINITY;
  let copies = 0;
  records.forEach((record, i) => {
    sequence.push({ key: record.key, value: record.value });
    const at = record.event?.occurredAt;
    if (record.malformed === undefined && at !== undefined) {
      if (at >= latest - allowedLatenessMs && i % every === 0) {
        const later = i + 3 + (i % 38);
        pending.set(later, [...(pending.get(later) ?? []), { key: record.key, value: record.value }]);
        copies += 1;
      }
      latest = Math.max(latest, at);
    }
    for (const copy of pending.get(i) ?? []) sequence.push(copy);
    pending.delete(i);
  });
  for (const left of pending.values()) sequence.push(...left);
  return { sequence, copies };
}

/** A topic as Kafka holds it without the re-sent copies (a value seen before in its partition). */
export function withoutResentCopies(purchases: TopicRecord[][]): {
  purchases: TopicRecord[][];
  copies: number;
} {
  let copies = 0;
  const kept = purchases.map((partition) => {
    const seen = new Set<string>();
    return partition.filter((r) => {
      const bytes = r.value?.toString('base64') ?? '';
      if (seen.has(bytes)) {
        copies += 1;
        return false;
      }
      seen.add(bytes);
      return true;
    });
  });
  return { purchases: kept, copies };
}

/** The scenario's run against the oracle over its purchases without the re-sent copies, and how many it left out. */
export async function compareWithoutResentCopies(
  scenario: Scenario,
  redis: Redis,
): Promise<{ comparison: RunComparison; copies: number }> {
  let copies = 0;
  const comparison = await compareScenarioWithOracle(scenario, redis, scenario.keyPrefix, (held) => {
    const without = withoutResentCopies(held);
    copies = without.copies;
    return without.purchases;
  });
  return { comparison, copies };
}
