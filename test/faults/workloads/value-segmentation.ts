import { VALUE_SEGMENTATION } from '../../../services/value-segmentation/worker.js';
import { deadLetterTopicOf, topicCatalogue } from '../../../shared/topics.js';
import { withoutResentCopies } from '../../support/resent-copies.js';
import {
  compareScenarioWithOracle,
  type Scenario,
  scenarioSettings,
  WORKER_ENTRY,
  workerEnv,
} from '../../support/scenario.js';
import { defaultLoad, type LoadOptions, startLoad } from '../load.js';
import type { RunContext, Workload } from '../workload.js';

// Value segmentation under faults: purchases from the point-of-sale simulator (a real process),
// 5 % of the on-time ones sent twice, checked with the oracle of
// test/support/value-segmentation-check.ts over the topic without the copies.

const purchases = topicCatalogue.purchases.name;

/** The run as the value-segmentation helpers of test/support/scenario.ts know it. */
export function valueSegmentationScenario(run: RunContext): Scenario {
  return {
    brokers: run.brokers,
    redisUrl: run.redisUrl,
    topicPrefix: run.topicPrefix,
    keyPrefix: run.keyPrefix,
    groupPrefix: run.groupPrefix,
    groupId: run.groupId,
    purchases: run.topic(purchases),
    deadLetters: run.topic(deadLetterTopicOf(purchases)),
    segmentChanges: run.topic(topicCatalogue.segmentChanges.name),
    settings: scenarioSettings,
  };
}

export function valueSegmentationWorkload(
  seed: number,
  load: Partial<Omit<LoadOptions, 'seed'>> = {},
): Workload {
  return {
    worker: VALUE_SEGMENTATION,
    entry: WORKER_ENTRY,
    inputs: [purchases],
    stream: purchases,
    outputs: [topicCatalogue.segmentChanges.name],
    env: (run) => workerEnv(valueSegmentationScenario(run)),
    before: [],
    after: [],
    startLoad(run) {
      const simulator = startLoad(
        run.brokers,
        run.topic(purchases),
        // Some purchases sent twice (a producer retrying): applied once, as the oracle without
        // the copies has them.
        { ...defaultLoad, resendShare: 0.05, ...load, seed },
        run.name,
      );
      return {
        finished: simulator.finished.then((code) => {
          if (code !== 0) throw new Error(`the simulator exited with ${code} (log ${simulator.logFile})`);
        }),
        stop: () => {
          if (simulator.child.exitCode === null) simulator.child.kill('SIGKILL');
        },
      };
    },
    compare: (run, redis) =>
      compareScenarioWithOracle(
        valueSegmentationScenario(run),
        redis,
        run.keyPrefix,
        (held) => withoutResentCopies(held).purchases,
      ),
  };
}
