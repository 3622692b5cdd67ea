import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { defaultSchemas } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { frameValue } from '../../shared/schema-registry/wire-format.js';
import { testSchemaRegistryUrl } from '../support/endpoints.js';
import { encoderOf, purchaseV2 } from '../support/evolved-schemas.js';
import { produceFramed } from '../support/foreign-registry-client.js';
import { produceRecords, readWholeTopic, waitFor } from '../support/kafka-test-client.js';
import { type OwnSchemaRegistry, startOwnSchemaRegistry } from '../support/own-schema-registry.js';
import { plainEquivalents, purchaseJson, unframed } from '../support/registry-purchases.js';
import {
  appliedOffsets,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { latestSchema, registerSchema } from '../support/schema-registry-http.js';
import { compareWithOracle, expectWaiting } from '../support/value-segmentation-check.js';
import { metricSum } from '../support/worker-process.js';

// A real registry goes down and comes back under a running worker: an Apicurio of this file's
// own (the stack's serves the other files), frozen with SIGSTOP so that requests hang until the
// worker's timeout, as with a registry that is down, and thawed with SIGCONT with its in-memory
// ids intact. Records framed with an id the worker has not cached wait (not dead-lettered, not
// applied, vs_schema_registry_up 0) and are applied once it is back; the run equals the oracle.

const file = useScenarioFile();
const v1Schema = defaultSchemas().schema('Purchase').schema;
const v2Schema = purchaseV2();
let registry: OwnSchemaRegistry | undefined;

beforeAll(async () => {
  // Runs wherever the stack's registry does (the cached runner is the same build).
  if (testSchemaRegistryUrl()) registry = await startOwnSchemaRegistry('apicurio-outage');
});

afterAll(async () => {
  await registry?.stop();
});

function metric(text: string, name: string, label?: string): number {
  return metricSum(text, name, label === undefined ? undefined : (labels) => labels.includes(label));
}

describe('a registry outage under a running worker', () => {
  it('keeps records of an uncached id waiting while the registry is down and applies them when it is back', async (ctx) => {
    if (!registry) return ctx.skip('no schema registry in this run (STACK_SCHEMA_REGISTRY=off)');
    const scenario = await file.createScenario('apicurio-down');
    const subject = `${scenario.purchases}-value`;
    const stream = [...generatePurchaseStream({ ...scenarioStream, events: 2000, malformedShare: 0 })];
    const byEventId = new Map<string, Purchase>(stream.map((r) => [r.event!.eventId, r.event!]));
    const cut = Math.floor(stream.length * 0.6);

    // Before: the foreign producer's v1 frames, applied.
    const target = { brokers: scenario.brokers, registryUrl: registry.url, topic: scenario.purchases };
    const { schemaId: v1Id } = await produceFramed(
      target,
      v1Schema,
      stream.slice(0, cut).map((r) => ({ key: r.key, value: purchaseJson(r.event!) })),
    );
    const worker = await startScenarioWorker(scenario, 'schema-registry-apicurio-outage', {
      SCHEMA_REGISTRY_URL: registry.url,
      SCHEMA_REGISTRY_TIMEOUT_MS: '1000',
      INPUT_FRAMING: 'registry',
      OUTPUT_FRAMING: 'registry',
    });
    file.workers.push(worker);
    await waitCommittedToEnd(scenario);
    const outputId = (await latestSchema(registry.url, `${scenario.segmentChanges}-value`)).body.id as number;
    const deadLettersBefore = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat().length;
    const appliedBefore = await appliedOffsets(file.redis, scenario.keyPrefix);

    // v2 registered (the worker has not seen its id), then the registry goes down and v2 frames
    // arrive: the producer had its id cached.
    const v2 = await registerSchema(registry.url, subject, v2Schema);
    expect(v2.status).toBe(200);
    const v2Id = v2.body.id as number;
    const encodeV2 = encoderOf(v2Schema);
    registry.signal('SIGSTOP');
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      stream.slice(cut).map((r, i) => ({
        key: r.key,
        value: frameValue(v2Id, encodeV2({ ...r.event!, loyaltyCardId: i % 3 === 0 ? `card-${i}` : null })),
      })),
    );
    const waiting = await waitFor(
      'partitions waiting for the registry',
      async () => {
        const text = await worker.metrics();
        const waits = metric(text, 'vs_batch_retries_total', 'reason="SCHEMA_REGISTRY_UNAVAILABLE"');
        return waits >= 3 && metric(text, 'vs_schema_registry_up') === 0 ? text : false;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(metric(waiting, 'vs_schema_registry_requests_total', 'outcome="unavailable"')).toBeGreaterThan(0);
    // Waiting: nothing dead-lettered, applied or committed past them, and the process is up.
    await expectWaiting(scenario, worker.child, deadLettersBefore);
    expect(await appliedOffsets(file.redis, scenario.keyPrefix)).toEqual(appliedBefore);

    // Back, with the same ids: the waiting records are applied.
    registry.signal('SIGCONT');
    await waitCommittedToEnd(scenario);
    expect(metric(await worker.metrics(), 'vs_schema_registry_up')).toBe(1);
    const deadLetters = await readWholeTopic(scenario.brokers, scenario.deadLetters);
    const reasons = deadLetters.flat().map((r) => r.headers['vs.dlt.reason']?.toString());
    expect(reasons.filter((r) => r !== 'LATE_EVENT')).toEqual([]);

    const comparison = await compareWithOracle({
      settings: scenario.settings,
      purchases: plainEquivalents(
        await readWholeTopic(scenario.brokers, scenario.purchases),
        new Map<number, object>([
          [v1Id, v1Schema],
          [v2Id, v2Schema],
        ]),
        byEventId,
      ),
      segmentChanges: unframed(await readWholeTopic(scenario.brokers, scenario.segmentChanges), outputId),
      deadLetters,
      redis: file.redis,
      keyPrefix: scenario.keyPrefix,
      topicPrefix: scenario.topicPrefix,
    });
    expect(comparison.outputs).toBeGreaterThan(0);
  });
});
