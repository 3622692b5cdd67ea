import { describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { decodeState } from '../../services/value-segmentation/state-codec.js';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { produceRecords } from '../support/kafka-test-client.js';
import { compareWithoutResentCopies, withResentCopies } from '../support/resent-copies.js';
import {
  PARTITIONS,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
  waitMetricAtLeast,
} from '../support/scenario.js';
import { metricSum } from '../support/worker-process.js';

// A point-of-sale producer without idempotence retries a send that timed out: the same purchase
// (same bytes, same eventId) lands twice, a few records apart. The customer must be counted once:
// the worker skips the re-send by eventId, also when the original was applied by a process that
// was then SIGKILLed, and after a rebalance moved the partition. The oracle here is independent:
// the topic as Kafka holds it with every re-sent copy removed.

const file = useScenarioFile();

describe('purchases sent twice', () => {
  it('count once, across a SIGKILL and a rebalance, equal to the oracle without the copies', async () => {
    const scenario = await file.createScenario('resent');
    const records = [...generatePurchaseStream({ ...scenarioStream, events: 4000, seed: 51 })];
    // Every 9th purchase that is valid and on time is sent again 3 to 40 records later (well within
    // the 7-day horizon: the stream covers 120 days in 4,000 records).
    const { sequence, copies: resent } = withResentCopies(records, scenario.settings.allowedLatenessMs, 9);
    expect(resent).toBeGreaterThan(300);
    // In three parts: the copies of the first part's purchases reach a process that did not apply
    // the originals (the first is SIGKILLed), those of the second part one that took a partition
    // over in a rebalance.
    const third = Math.ceil(sequence.length / 3);
    const part = (n: number) => sequence.slice(n * third, (n + 1) * third);
    await produceRecords(scenario.brokers, scenario.purchases, part(0));
    const first = await startScenarioWorker(scenario, 'resent-first');
    file.workers.push(first);
    await waitMetricAtLeast(first, 'vs_records_applied_total', third / 2, metricSum);
    first.kill('SIGKILL');
    await first.exited;
    await produceRecords(scenario.brokers, scenario.purchases, part(1));
    const second = await startScenarioWorker(scenario, 'resent-second');
    file.workers.push(second);
    await waitMetricAtLeast(second, 'vs_records_applied_total', 200, metricSum);
    const joining = await startScenarioWorker(scenario, 'resent-third');
    file.workers.push(joining);
    await waitMetricAtLeast(joining, 'vs_partition_claims_total', 1, metricSum);
    await produceRecords(scenario.brokers, scenario.purchases, part(2));
    await waitCommittedToEnd(scenario, 120_000);
    const skipped =
      metricSum(await second.metrics(), 'vs_duplicate_events_total') +
      metricSum(await joining.metrics(), 'vs_duplicate_events_total');

    const { comparison, copies } = await compareWithoutResentCopies(scenario, file.redis);
    expect(copies).toBe(resent);
    // Value counted once: every customer's ranking value as the oracle has it.
    const values = new Map<string, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const states = await file.redis.hgetall(
        partitionKeys(scenario.keyPrefix, VALUE_SEGMENTATION, p).customers,
      );
      for (const [id, encoded] of Object.entries(states))
        values.set(id, decodeState(encoded).rankingValueMinor);
    }
    expect(new Map([...values].sort())).toEqual(new Map([...comparison.oracle.finalValues].sort()));
    expect(skipped).toBeGreaterThan(0);
    console.log(
      `re-sent purchases: ${resent} copies skipped (${skipped} by the processes after the SIGKILL), ${comparison.outputs} segment changes and ${values.size} ranking values equal to the oracle`,
    );
  }, 240_000);
});
