import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { codecFor, defaultSchemas } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { frameValue, readFrame } from '../../shared/schema-registry/wire-format.js';
import { testSchemaRegistryUrl } from '../support/endpoints.js';
import { purchaseIncompatible, purchaseV2 } from '../support/evolved-schemas.js';
import {
  consumeFramed,
  type ForeignRecordToSend,
  produceFramed,
} from '../support/foreign-registry-client.js';
import { produceRecords, readWholeTopic, testKafka } from '../support/kafka-test-client.js';
import { plainEquivalents, purchaseJson, unframed } from '../support/registry-purchases.js';
import {
  type Scenario,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { checkCompatibility, latestSchema, registerSchema } from '../support/schema-registry-http.js';
import { compareWithOracle } from '../support/value-segmentation-check.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// The runtime against the stack's real registry (Apicurio, BACKWARD) and a registry-aware client
// outside Node (python3-confluent-kafka's AvroProducer and AvroConsumer), on real Kafka and Redis.
// One producer moves from Purchase v1 to a v2 with an added optional field mid-stream, plain
// records arrive on the same `detect` topic, and one record carries an id the registry never
// gave: a v1 worker applies what it can read exactly as the oracle does, dead-letters the unknown
// id, and frames its outputs so that the foreign consumer decodes them. The registry outage is in
// schema-registry-apicurio-outage.test.ts (a registry of its own).

const file = useScenarioFile();
const v1Schema = defaultSchemas().schema('Purchase').schema;
const v2Schema = purchaseV2();
const segmentChangedCodec = codecFor('SegmentChanged');
/** No Apicurio of a test run hands out ids this high (they count up from 1). */
const UNKNOWN_ID = 2_000_000_000;

function registryOrSkip(ctx: TestContext): string {
  const url = testSchemaRegistryUrl();
  if (!url) ctx.skip('no schema registry in this run (STACK_SCHEMA_REGISTRY=off)');
  return url;
}

function dlqReason(record: { headers: Record<string, Buffer> }): string {
  return record.headers['vs.dlt.reason']?.toString() ?? '';
}

describe('registry-framed and plain purchases from a foreign producer through a v1 worker', () => {
  let registryUrl = '';
  let scenario: Scenario;
  let worker: WorkerProcess;
  const ids = { v1: 0, v2: 0 };
  const byEventId = new Map<string, Purchase>();
  let unknownIdRecord: Buffer;

  beforeAll(async () => {
    registryUrl = testSchemaRegistryUrl();
    if (!registryUrl) return;
    scenario = await file.createScenario('apicurio');
    const stream = [...generatePurchaseStream({ ...scenarioStream, events: 2400, malformedShare: 0 })];
    for (const r of stream) byEventId.set(r.event!.eventId, r.event!);

    worker = await startScenarioWorker(scenario, 'schema-registry-apicurio', {
      SCHEMA_REGISTRY_URL: registryUrl,
      INPUT_FRAMING: 'detect',
      OUTPUT_FRAMING: 'registry',
    });
    file.workers.push(worker);

    // In stream order (the worker's lateness rules see event time): the foreign producer, then
    // a plain Node producer, and so on. From the 300th record on, every fourth one is v2.
    const target = { brokers: scenario.brokers, registryUrl, topic: scenario.purchases };
    const foreign = (from: number, to: number) =>
      produceFramed(
        target,
        [v1Schema, v2Schema],
        stream.slice(from, to).map((r, j): ForeignRecordToSend => {
          const i = from + j;
          const v2 = i >= 300 && i % 4 === 3;
          return {
            key: r.key,
            value: purchaseJson(r.event!, v2 ? { loyaltyCardId: i % 8 === 3 ? `card-${i % 13}` : null } : {}),
            schema: v2 ? 1 : 0,
          };
        }),
      );
    const plain = (from: number, to: number) =>
      produceRecords(
        scenario.brokers,
        scenario.purchases,
        stream.slice(from, to).map((r) => ({ key: r.key, value: r.value })),
      );
    const n = stream.length;
    const first = await foreign(0, Math.floor(n * 0.4));
    [ids.v1, ids.v2] = first.schemaIds as [number, number];
    await plain(Math.floor(n * 0.4), Math.floor(n * 0.5));
    const second = await foreign(Math.floor(n * 0.5), Math.floor(n * 0.9));
    expect(second.schemaIds).toEqual(first.schemaIds);
    const tail = stream[Math.floor(n * 0.9)]!;
    unknownIdRecord = frameValue(UNKNOWN_ID, codecFor('Purchase').encode(tail.event!));
    await produceRecords(scenario.brokers, scenario.purchases, [{ key: tail.key, value: unknownIdRecord }]);
    await plain(Math.floor(n * 0.9), n);
    await waitCommittedToEnd(scenario);
  });

  it('applies v1 and v2 frames of the foreign producer and plain values as the oracle does', async (ctx) => {
    registryOrSkip(ctx);
    expect(ids.v1).toBeGreaterThan(0);
    expect(ids.v2).not.toBe(ids.v1);
    // The registry holds both versions under TopicNameStrategy's subject; v2 is the latest.
    expect((await latestSchema(registryUrl, `${scenario.purchases}-value`)).body.id).toBe(ids.v2);

    const purchases = await readWholeTopic(scenario.brokers, scenario.purchases);
    const frames = purchases.flat().map((r) => readFrame(r.value!)?.schemaId ?? 'plain');
    expect(new Set(frames)).toEqual(new Set([ids.v1, ids.v2, UNKNOWN_ID, 'plain']));
    expect(frames.filter((f) => f === ids.v2).length).toBeGreaterThan(100);

    const outputSubject = await latestSchema(registryUrl, `${scenario.segmentChanges}-value`);
    const comparison = await compareWithOracle({
      settings: scenario.settings,
      purchases: plainEquivalents(
        purchases,
        new Map<number, object>([
          [ids.v1, v1Schema],
          [ids.v2, v2Schema],
        ]),
        byEventId,
      ),
      segmentChanges: unframed(
        await readWholeTopic(scenario.brokers, scenario.segmentChanges),
        outputSubject.body.id as number,
      ),
      deadLetters: await readWholeTopic(scenario.brokers, scenario.deadLetters),
      redis: file.redis,
      keyPrefix: scenario.keyPrefix,
      topicPrefix: scenario.topicPrefix,
    });
    expect(comparison.outputs).toBeGreaterThan(0);
    expect(worker.child.exitCode).toBeNull();
  });

  it('dead-letters the frame of an id the registry does not know with UNKNOWN_SCHEMA_ID, and runs on', async (ctx) => {
    registryOrSkip(ctx);
    const deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
    expect(deadLetters.map(dlqReason).filter((r) => r !== 'LATE_EVENT')).toEqual(['UNKNOWN_SCHEMA_ID']);
    const unknown = deadLetters.find((r) => dlqReason(r) === 'UNKNOWN_SCHEMA_ID')!;
    // The original bytes, frame included.
    expect(unknown.value).toEqual(unknownIdRecord);
    const metrics = await worker.metrics();
    expect(
      metricSum(metrics, 'vs_schema_registry_requests_total', (l) => l.includes('outcome="not-found"')),
    ).toBeGreaterThan(0);
    expect(metricSum(metrics, 'vs_schema_registry_up')).toBe(1);
    expect(worker.child.exitCode).toBeNull();
  });

  it('frames its outputs so that a foreign registry-aware consumer decodes what Node decodes', async (ctx) => {
    registryOrSkip(ctx);
    const subject = `${scenario.segmentChanges}-value`;
    const registered = await latestSchema(registryUrl, subject);
    expect(registered.status).toBe(200);
    const outputs = (await readWholeTopic(scenario.brokers, scenario.segmentChanges)).flat();
    expect(outputs.length).toBeGreaterThan(0);
    const nodeDecoded = new Map(
      outputs.map((r) => {
        const frame = readFrame(r.value!);
        expect(frame?.schemaId).toBe(registered.body.id);
        return [`${r.partition}/${r.offset}` as string, segmentChangedCodec.decode(frame!.body)] as const;
      }),
    );

    const consumed = await consumeFramed(
      { brokers: scenario.brokers, registryUrl, topic: scenario.segmentChanges },
      outputs.length,
    );
    expect(consumed).toHaveLength(outputs.length);
    for (const record of consumed) {
      const key = `${record.partition}/${record.offset}`;
      expect(record.value, key).toEqual(nodeDecoded.get(key));
    }
  });

  it('an incompatible v3 is refused by the registry (409) and never reaches the topic', async (ctx) => {
    registryOrSkip(ctx);
    const subject = `${scenario.purchases}-value`;
    const v3 = purchaseIncompatible();
    expect((await checkCompatibility(registryUrl, subject, v3)).body).toMatchObject({ is_compatible: false });
    expect((await registerSchema(registryUrl, subject, v3)).status).toBe(409);

    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    const ends = async () => (await admin.fetchTopicOffsets(scenario.purchases)).map((o) => o.high);
    try {
      const before = await ends();
      const event = byEventId.values().next().value!;
      const { currency: _dropped, ...rest } = event;
      await expect(
        produceFramed({ brokers: scenario.brokers, registryUrl, topic: scenario.purchases }, v3, [
          { key: event.customerId, value: { ...rest, store: 'store-1' } },
        ]),
      ).rejects.toThrow(/Incompatible Avro schema:409/);
      expect(await ends()).toEqual(before);
    } finally {
      await admin.disconnect();
    }
    expect((await latestSchema(registryUrl, subject)).body.id).toBe(ids.v2);
  });
});

describe('start-up against the real registry', () => {
  it('stops with exit code 1 naming the subject when the registry refuses our SegmentChanged', async (ctx) => {
    const registryUrl = registryOrSkip(ctx);
    const own = await file.createScenario('apicurio409');
    const subject = `${own.segmentChanges}-value`;
    // Someone else's SegmentChanged under our subject: ours cannot read its data (BACKWARD).
    const foreign = {
      type: 'record',
      name: 'SegmentChanged',
      namespace: 'valuestream',
      fields: [{ name: 'legacyTier', type: 'string' }],
    };
    expect((await registerSchema(registryUrl, subject, foreign)).status).toBe(200);

    const refused = await startScenarioWorker(own, 'schema-registry-apicurio-409', {
      SCHEMA_REGISTRY_URL: registryUrl,
    });
    file.workers.push(refused);
    expect((await refused.exited).code).toBe(1);
    const fatal = readFileSync(refused.logFile, 'utf8')
      .split('\n')
      .find((line) => line.includes('"level":"fatal"'));
    expect(fatal).toBeDefined();
    expect(fatal).toContain('"reasonCode":"SCHEMA_INCOMPATIBLE"');
    expect(fatal).toContain(subject);
    // Only the foreign schema: ours was not registered.
    expect(JSON.parse(String((await latestSchema(registryUrl, subject)).body.schema))).toEqual(foreign);
  });
});
