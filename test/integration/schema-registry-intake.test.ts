import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { codecFor, defaultSchemas } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { frameValue, readFrame } from '../../shared/schema-registry/wire-format.js';
import { testEndpoints } from '../support/endpoints.js';
import { encoderOf, purchaseIncompatible, purchaseV2 } from '../support/evolved-schemas.js';
import { produceRecords, readWholeTopic, type TopicRecord, waitFor } from '../support/kafka-test-client.js';
import {
  createScenario,
  deleteKeys,
  killWorker,
  type Scenario,
  scenarioStream,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { StandInRegistry } from '../support/stand-in-registry.js';
import { compareWithOracle, expectWaiting } from '../support/value-segmentation-check.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// The runtime's registry path through the real consumer, on real Kafka and Redis, against the
// in-process stand-in of the Confluent REST API (the real Apicurio is the lead's integration
// test): a foreign producer frames purchases with v1 and v2 (an added optional field) writer
// schemas; an unknown id, an incompatible writer and a plain value are dead-lettered with their
// own reasons; the registry goes down while records with a new id arrive (they wait, nothing is
// dead-lettered, the process stays up) and comes back (they are applied); the outputs are framed
// with the id registered under <topic>-value; and the whole run equals the oracle.

const purchaseCodec = codecFor('Purchase');
const segmentChangedCodec = codecFor('SegmentChanged');
const encodeV2 = encoderOf(purchaseV2());
const encodeIncompatible = encoderOf(purchaseIncompatible());
const v1Schema = defaultSchemas().schema('Purchase').schema;

let redis: Redis;
let scenario: Scenario;
let registry: StandInRegistry;
let worker: WorkerProcess | undefined;
const ids = { v1: 0, v2: 0, v1Again: 0, incompatible: 0 };
/** How each produced value reads as plain v1 for the oracle (null: expected dead letter). */
const plainOf = new Map<string, Buffer | null>();

beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  scenario = await createScenario('sreg');
  registry = await new StandInRegistry({ basePath: '/apis/ccompat/v7' }).start();
  // A foreign producer registered its schemas under the input topic's subject.
  const subject = `${scenario.purchases}-value`;
  ids.v1 = registry.add(subject, v1Schema);
  ids.v2 = registry.add(subject, purchaseV2());
  ids.incompatible = registry.add('elsewhere-value', purchaseIncompatible());
  // The same schema in other whitespace: a new id (Apicurio does this), not cached by the worker.
  ids.v1Again = registry.add(subject, JSON.stringify(v1Schema, null, 1));
});

afterAll(async () => {
  await killWorker(worker);
  await registry?.stop();
  if (scenario) await deleteKeys(redis, scenario.keyPrefix);
  redis?.disconnect();
});

function metric(text: string, name: string, label?: string): number {
  return metricSum(text, name, label === undefined ? undefined : (labels) => labels.includes(label));
}

describe('registry-framed input through the consumer', () => {
  it('applies v1 and v2 writers, dead-letters what it must, waits out a registry outage', async () => {
    const stream = [...generatePurchaseStream({ ...scenarioStream, events: 3000, malformedShare: 0 })];
    const cut = Math.floor(stream.length * 0.7);
    const first = stream.slice(0, cut).map((r, i) => {
      const event = r.event as Purchase;
      const value =
        i % 2 === 0
          ? frameValue(ids.v1, r.value)
          : frameValue(ids.v2, encodeV2({ ...event, loyaltyCardId: `card-${i % 7}` }));
      return { key: r.key, value, plain: purchaseCodec.encode(event) as Buffer | null };
    });
    const template = stream[10]!.event as Purchase;
    const poison = [
      { key: template.customerId, value: frameValue(987_654, purchaseCodec.encode(template)), plain: null },
      {
        key: template.customerId,
        value: frameValue(
          ids.incompatible,
          encodeIncompatible({ ...template, currency: undefined, store: 's' }),
        ),
        plain: null,
      },
      {
        key: template.customerId,
        value: purchaseCodec.encode({ ...template, eventId: 'plain-1' }),
        plain: null,
      },
    ];
    const phase1 = [...first.slice(0, 20), ...poison, ...first.slice(20)];
    for (const r of phase1) plainOf.set(r.value.toString('base64'), r.plain);

    worker = await startScenarioWorker(scenario, 'schema-registry-intake', {
      SCHEMA_REGISTRY_URL: registry.url,
      SCHEMA_REGISTRY_TIMEOUT_MS: '1000',
      INPUT_FRAMING_BY_TOPIC: 'purchases=registry',
      OUTPUT_FRAMING: 'registry',
    });
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      phase1.map((r) => ({ key: r.key, value: r.value })),
    );
    await waitCommittedToEnd(scenario);

    // Our output schemas were registered under TopicNameStrategy subjects.
    const segmentChangesId = registry.versionsOf(`${scenario.segmentChanges}-value`)[0];
    expect(segmentChangesId).toBeDefined();
    expect(registry.versionsOf(`${scenario.topicPrefix}erasures-completed-value`)).toHaveLength(1);

    const deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
    const reasons = deadLetters.map((r) => r.headers['vs.dlt.reason']!.toString()).sort();
    expect(reasons.filter((r) => r !== 'LATE_EVENT')).toEqual([
      'INCOMPATIBLE_WRITER_SCHEMA',
      'NOT_REGISTRY_FRAMED',
      'UNKNOWN_SCHEMA_ID',
    ]);
    // Dead letters keep the original bytes, frame included.
    const unknown = deadLetters.find((r) => r.headers['vs.dlt.reason']!.toString() === 'UNKNOWN_SCHEMA_ID')!;
    expect(unknown.value).toEqual(poison[0]!.value);

    // The registry goes down; records framed with an id the worker has not seen arrive.
    registry.mode = 'down';
    // The last records come after the outage, framed with the v1 id the worker has cached.
    const tail = stream.length - 24;
    /** Frames plain v1 records with a schema id, notes their plain form, produces them. */
    const produceFramed = async (records: typeof stream, schemaId: number) => {
      const framed = records.map((r) => ({ key: r.key, value: frameValue(schemaId, r.value) }));
      for (const [i, r] of framed.entries())
        plainOf.set(r.value.toString('base64'), records[i]!.value as Buffer);
      await produceRecords(scenario.brokers, scenario.purchases, framed);
    };
    await produceFramed(stream.slice(cut, tail), ids.v1Again);
    const waiting = await waitFor(
      'partitions waiting for the registry',
      async () => {
        const text = await worker!.metrics();
        const retried = metric(text, 'vs_batch_retries_total', 'reason="SCHEMA_REGISTRY_UNAVAILABLE"');
        return retried >= 3 && metric(text, 'vs_schema_registry_up') === 0 ? text : false;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(metric(waiting, 'vs_schema_registry_requests_total', 'outcome="unavailable"')).toBeGreaterThan(0);
    // Waiting, not dead-lettering, not committing past them, not exiting.
    await expectWaiting(scenario, worker.child, deadLetters.length);

    // Back: the records are applied.
    registry.mode = 'up';
    await waitCommittedToEnd(scenario);
    const back = await worker.metrics();
    expect(metric(back, 'vs_schema_registry_up')).toBe(1);
    // Partitions that look an id up at once all count a miss (one fetch serves them), so hits
    // are certain only for an id cached before the step: v1, fetched in the first phase.
    const hitsBefore = metric(back, 'vs_schema_cache_lookups_total', 'result="hit"');
    const fetchesBefore = metric(back, 'vs_schema_registry_requests_total', 'operation="get-schema"');
    await produceFramed(stream.slice(tail), ids.v1);
    await waitCommittedToEnd(scenario);
    const text = await worker.metrics();
    expect(metric(text, 'vs_schema_cache_lookups_total', 'result="hit"')).toBeGreaterThan(hitsBefore);
    expect(metric(text, 'vs_schema_registry_requests_total', 'operation="get-schema"')).toBe(fetchesBefore);

    // The whole run against the oracle, on the plain equivalents of what was produced, with the
    // outputs' frames checked and taken off.
    const purchases = await readWholeTopic(scenario.brokers, scenario.purchases);
    const asPlain = purchases.map((records) =>
      records.map((r): TopicRecord => {
        const plain = plainOf.get(r.value!.toString('base64'));
        expect(plain, `produced record at ${r.partition}/${r.offset}`).not.toBeUndefined();
        return { ...r, value: plain ?? Buffer.from([0xff]) };
      }),
    );
    const segmentChanges = (await readWholeTopic(scenario.brokers, scenario.segmentChanges)).map((records) =>
      records.map((r): TopicRecord => {
        const frame = readFrame(r.value!);
        expect(frame?.schemaId).toBe(segmentChangesId);
        segmentChangedCodec.decode(frame!.body);
        return { ...r, value: Buffer.from(frame!.body) };
      }),
    );
    const comparison = await compareWithOracle({
      settings: scenario.settings,
      purchases: asPlain,
      segmentChanges,
      deadLetters: await readWholeTopic(scenario.brokers, scenario.deadLetters),
      redis,
      keyPrefix: scenario.keyPrefix,
      topicPrefix: scenario.topicPrefix,
    });
    expect(comparison.outputs).toBeGreaterThan(0);
  });
});

describe('start-up against the registry', () => {
  it('stops with exit code 1 naming the subject when the registry refuses an output schema of ours', async () => {
    const own = await createScenario('sreg409');
    const subject = `${own.segmentChanges}-value`;
    registry.add(subject, { type: 'record', name: 'SegmentChanged', namespace: 'valuestream', fields: [] });
    registry.refuse(subject);
    const refused = await startScenarioWorker(own, 'schema-registry-409', {
      SCHEMA_REGISTRY_URL: registry.url,
    });
    const exit = await refused.exited;
    expect(exit.code).toBe(1);
    const log = readFileSync(refused.logFile, 'utf8');
    const fatal = log.split('\n').find((line) => line.includes('"level":"fatal"'))!;
    expect(fatal).toContain('"reasonCode":"SCHEMA_INCOMPATIBLE"');
    expect(fatal).toContain(subject);
    await deleteKeys(redis, own.keyPrefix);
  });

  it('stops with exit code 2 naming SCHEMA_REGISTRY_URL when inputs are framed without a registry', async () => {
    const own = await createScenario('sregcfg');
    const misconfigured = await startScenarioWorker(own, 'schema-registry-config', {
      INPUT_FRAMING: 'detect',
      // Unset, whatever the test runner's environment holds (workers inherit it).
      SCHEMA_REGISTRY_URL: '',
    });
    expect((await misconfigured.exited).code).toBe(2);
    expect(readFileSync(misconfigured.logFile, 'utf8')).toContain(
      'SCHEMA_REGISTRY_URL: is required with INPUT_FRAMING=detect',
    );
  });
});
