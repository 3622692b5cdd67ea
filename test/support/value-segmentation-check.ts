import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PurchaseLike } from '../../services/value-segmentation/purchase-value.js';
import type { ValueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { decodeState } from '../../services/value-segmentation/state-codec.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import {
  computeValueSegmentation,
  type OracleOutput,
  type OraclePurchaseRecord,
} from '../oracle/value-segmentation-oracle.js';
import { readWholeTopic, type TopicRecord, testKafka } from './kafka-test-client.js';

// Checks a value-segmentation run against the oracle: the input topic as Kafka holds it (the
// order the worker saw), the output topic, and the final state in Redis.

export function oracleInputFrom(
  purchases: TopicRecord[][],
  settings: ValueSegmentationSettings,
  futureToleranceMs = 86_400_000,
): OraclePurchaseRecord[][] {
  const worker = createValueSegmentationWorker(settings);
  const codec = codecFor('Purchase');
  return purchases.map((records) =>
    records.map((r) => {
      const key = r.key?.toString('utf8') ?? '';
      let purchase: PurchaseLike | null = null;
      try {
        const decoded = codec.decode(r.value ?? Buffer.alloc(0)) as unknown as PurchaseLike;
        const valid =
          worker.inputs[0]!.validate(decoded) === null &&
          decoded.customerId === key &&
          decoded.occurredAt <= Number(r.timestamp) + futureToleranceMs;
        purchase = valid ? decoded : null;
      } catch {
        purchase = null;
      }
      return { offset: r.offset, customerId: key, purchase };
    }),
  );
}

export interface RunComparison {
  readonly oracle: OracleOutput;
  readonly outputs: number;
  readonly duplicates: number;
  /** Dead-letter records, repeats included. */
  readonly deadLetters: number;
  /** Input records dead-lettered (distinct original partition and offset). */
  readonly uniqueDeadLetters: number;
}

export async function compareWithOracle(args: {
  settings: ValueSegmentationSettings;
  purchases: TopicRecord[][];
  segmentChanges: TopicRecord[][];
  deadLetters: TopicRecord[][];
  redis: RedisClient;
  keyPrefix: string;
  /** The worker's TOPIC_PREFIX: in every causation id, so in every event id. */
  topicPrefix: string;
}): Promise<RunComparison> {
  const input = oracleInputFrom(args.purchases, args.settings);
  const oracle = computeValueSegmentation({
    settings: args.settings,
    partitions: input,
    topicPrefix: args.topicPrefix,
  });
  expect(oracle.stalledPartitions).toEqual([]);

  const codec = codecFor('SegmentChanged');
  const byId = new Map<string, Record<string, unknown>>();
  let duplicates = 0;
  for (const record of args.segmentChanges.flat()) {
    const event = codec.decode(record.value!) as unknown as Record<string, unknown>;
    const id = String(event.eventId);
    const seen = byId.get(id);
    if (seen) {
      duplicates += 1;
      expect(event, 'a repeated output carries the same content under its id').toEqual(seen);
    }
    byId.set(id, event);
  }
  const line = (e: {
    eventId: unknown;
    customerId: unknown;
    fromSegment: unknown;
    toSegment: unknown;
    cause: unknown;
    occurredAt: unknown;
  }) => `${e.eventId} ${e.customerId} ${e.fromSegment}->${e.toSegment} ${e.cause} @${e.occurredAt}`;
  const streamed = [...byId.values()].map((e) => line(e as never)).sort();
  const expected = oracle.segmentChanges.map(line).sort();
  // On a difference, say which decisions: the first of those missing and of those extra.
  const streamedSet = new Set(streamed);
  const expectedSet = new Set(expected);
  const missing = expected.filter((l) => !streamedSet.has(l));
  const extra = streamed.filter((l) => !expectedSet.has(l));
  const detail = `${missing.length} missing, e.g.\n  ${missing.slice(0, 8).join('\n  ')}\n${extra.length} extra, e.g.\n  ${extra.slice(0, 8).join('\n  ')}`;
  if (missing.length + extra.length > 0) {
    const causes = new Map([...byId.values()].map((e) => [line(e as never), String(e.causationId)]));
    await writeDifference(args, input, oracle, missing, extra, causes);
  }
  // The first few of each side, so that even a log's last lines say which decisions differ.
  expect({ missing: missing.slice(0, 8), extra: extra.slice(0, 8) }, detail).toEqual({
    missing: [],
    extra: [],
  });
  expect(streamed.length, detail).toBe(expected.length);
  expect(streamed, detail).toEqual(expected);

  const worker = createValueSegmentationWorker(args.settings);
  const finalTiers = new Map<string, string>();
  for (let p = 0; p < args.purchases.length; p++) {
    const states = await args.redis.hgetall(partitionKeys(args.keyPrefix, worker.name, p).customers);
    for (const [id, encoded] of Object.entries(states)) {
      const tier = decodeState(encoded).tier;
      if (tier !== null) finalTiers.set(id, tier);
    }
  }
  expect(new Map([...finalTiers].sort())).toEqual(new Map([...oracle.finalTiers].sort()));

  const deadLettered = new Set(
    args.deadLetters
      .flat()
      .map((r) => `${r.headers['vs.dlt.original.partition']}/${r.headers['vs.dlt.original.offset']}`),
  );
  const expectedDead = new Set<string>();
  input.forEach((records, p) => {
    for (const r of records) if (r.purchase === null) expectedDead.add(`${p}/${r.offset}`);
  });
  for (const late of oracle.lateDeadLetters) expectedDead.add(`${late.partition}/${late.offset}`);
  expect([...deadLettered].sort()).toEqual([...expectedDead].sort());
  return {
    oracle,
    outputs: byId.size,
    duplicates,
    deadLetters: args.deadLetters.flat().length,
    uniqueDeadLetters: deadLettered.size,
  };
}

/**
 * For a run that differs from the oracle: every missing and extra decision, the oracle's views
 * and the views the worker agreed on in Redis, side by side, in .cache/faults/ (to find the first
 * boundary whose view differs).
 */
async function writeDifference(
  args: {
    redis: RedisClient;
    keyPrefix: string;
    purchases: TopicRecord[][];
  },
  input: OraclePurchaseRecord[][],
  oracle: ReturnType<typeof computeValueSegmentation>,
  missing: string[],
  extra: string[],
  causes: ReadonlyMap<string, string>,
): Promise<void> {
  const views = [];
  for (const view of oracle.views) {
    const stored = await args.redis
      .get(populationViewKey(args.keyPrefix, 'value-segmentation', view.boundary))
      .catch(() => null);
    views.push({ boundary: view.boundary, oracle: view.thresholds, worker: stored });
  }
  const dir = join(process.cwd(), '.cache', 'faults');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `difference-${args.keyPrefix}.json`);
  // The input as the oracle read it, per partition in offset order (what preceded a decision that
  // differs), and where each partition's state stands in Redis.
  const read = input.map((records, p) =>
    records.map((r, i) => {
      const raw = args.purchases[p]![i]!;
      return [r.offset, r.purchase?.occurredAt ?? null, r.customerId, Number(raw.timestamp)];
    }),
  );
  const metas = [];
  for (let p = 0; p < args.purchases.length; p++)
    metas.push(await args.redis.hgetall(partitionKeys(args.keyPrefix, 'value-segmentation', p).meta));
  writeFileSync(
    file,
    JSON.stringify({
      missing,
      extra: extra.map((l) => `${l} ${causes.get(l) ?? ''}`),
      views,
      metas,
      input: read,
    }),
  );
  console.log(`oracle difference written to ${file}`);
}

/** Resolves when the worker's group has committed up to the end of every partition of `topic`. */
export async function committedToEnd(
  admin: import('kafkajs').Admin,
  groupId: string,
  topic: string,
): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends.every((end) => {
    if (end.high === end.low) return true;
    const c = committed?.partitions.find((p) => p.partition === end.partition);
    return c !== undefined && BigInt(c.offset) >= BigInt(end.high);
  });
}

/**
 * A worker waiting on its input (a registry outage, say): no dead letter beyond `deadLettersBefore`,
 * nothing committed to the end of its purchases, and the process still up.
 */
export async function expectWaiting(
  scenario: {
    readonly brokers: string;
    readonly deadLetters: string;
    readonly groupId: string;
    readonly purchases: string;
  },
  child: { readonly exitCode: number | null },
  deadLettersBefore: number,
): Promise<void> {
  expect((await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat()).toHaveLength(
    deadLettersBefore,
  );
  const admin = testKafka(scenario.brokers).admin();
  await admin.connect();
  try {
    expect(await committedToEnd(admin, scenario.groupId, scenario.purchases)).toBe(false);
  } finally {
    await admin.disconnect();
  }
  expect(child.exitCode).toBeNull();
}

/**
 * Resolves when Redis's applied offsets (what the worker applied, not what it fetched or
 * committed) reach the end of every partition of `topic` for `worker` (value segmentation by default).
 */
export async function appliedToEnd(
  redis: RedisClient,
  keyPrefix: string,
  topic: string,
  kafkaBrokers: string,
  worker = 'value-segmentation',
  logicalTopic = 'purchases',
): Promise<boolean> {
  const admin = testKafka(kafkaBrokers).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      if (end.high === end.low) continue;
      const applied = await redis.hget(
        partitionKeys(keyPrefix, worker, end.partition).meta,
        `offset:${logicalTopic}`,
      );
      if (applied === null || BigInt(applied) + 1n < BigInt(end.high)) return false;
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}
