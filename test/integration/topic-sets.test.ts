import { describe, expect, it } from 'vitest';
import { codecFor } from '../../shared/avro/index.js';
import { readWholeTopic } from '../support/kafka-test-client.js';
import {
  compareScenarioWithOracle,
  produceStream,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';

// A replay into new topics (a migration, a second environment on the same cluster) restarts
// offsets at 0: with causation ids of the catalogue name alone, the same offsets gave the same
// event ids to decisions of another topic set. Two topic sets (two TOPIC_PREFIXes) fed the same
// input make the same decisions, each equal to the oracle, under event ids no two share.

const file = useScenarioFile();

describe('two topic sets on one cluster', () => {
  it('replaying the same input decide alike under disjoint event ids', async () => {
    const sets = [await file.createScenario('topic-set-a'), await file.createScenario('topic-set-b')];
    const stream = { ...scenarioStream, events: 2000, seed: 61 };
    for (const scenario of sets) await produceStream(scenario, stream);
    for (const [i, scenario] of sets.entries())
      file.workers.push(await startScenarioWorker(scenario, `topic-set-${i}`));
    for (const scenario of sets) await waitCommittedToEnd(scenario);
    const codec = codecFor('SegmentChanged');
    const decisions = [];
    for (const scenario of sets) {
      await compareScenarioWithOracle(scenario, file.redis);
      const events = (await readWholeTopic(scenario.brokers, scenario.segmentChanges))
        .flat()
        .map((r) => codec.decode(r.value!) as unknown as Record<string, unknown>);
      expect(events.every((e) => String(e.causationId).startsWith(scenario.topicPrefix))).toBe(true);
      decisions.push(events);
    }
    const [a, b] = decisions as [Array<Record<string, unknown>>, Array<Record<string, unknown>>];
    const content = (events: Array<Record<string, unknown>>) =>
      events
        .map((e) => `${e.customerId} ${e.fromSegment}->${e.toSegment} ${e.cause} @${e.occurredAt}`)
        .sort();
    expect(content(a)).toEqual(content(b));
    const idsOfA = new Set(a.map((e) => e.eventId));
    expect(b.filter((e) => idsOfA.has(e.eventId))).toEqual([]);
    console.log(`topic sets: ${a.length} decisions each, alike, no event id shared`);
  }, 180_000);
});
