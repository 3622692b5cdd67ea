import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { loadRetentionConfig } from './config.js';
import type { FitOutcomes } from './fit-view.js';
import { registerRetentionMetrics } from './metrics.js';
import { createRetentionWorker } from './worker.js';

// The retention worker process: configuration (with the offer policy file), then the runtime.
let config: ReturnType<typeof loadRetentionConfig>;
try {
  config = loadRetentionConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`retention: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger({ level: config.runtime.LOG_LEVEL, name: 'retention' });
logger.info({ settings: config.settings, offerPolicy: config.policy }, 'retention settings and offer policy');
// The metrics registry comes with the runtime; fits run only once it consumes.
let countFit: (outcomes: FitOutcomes) => void = () => {};
await runWorker({
  definition: createRetentionWorker(
    {
      settings: config.settings,
      policy: config.policy,
      partitionCount: config.runtime.TOPIC_PARTITIONS,
      ladder: config.ladder,
    },
    (outcomes) => {
      countFit(outcomes);
      logger.info({ fit: outcomes }, 'retention model fit');
    },
  ),
  config: config.runtime,
  logger,
  registerMetrics: (registry, population, events) => {
    countFit = registerRetentionMetrics(
      registry,
      population,
      events,
      config.runtime.TOPIC_PARTITIONS,
      config.staleModelAfterMs,
    );
  },
});
