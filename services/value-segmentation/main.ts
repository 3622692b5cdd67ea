import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { loadValueSegmentationConfig } from './config.js';
import { registerValueTierGauges } from './tier-gauges.js';
import { createValueSegmentationWorker, describeTopology } from './worker.js';

// The value-segmentation worker process: configuration, topology log, then the runtime.
let config: ReturnType<typeof loadValueSegmentationConfig>;
try {
  config = loadValueSegmentationConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`value-segmentation: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger({ level: config.runtime.LOG_LEVEL, name: 'value-segmentation' });
logger.info({ topology: describeTopology(config.settings) }, 'topology');
await runWorker({
  definition: createValueSegmentationWorker(config.settings),
  config: config.runtime,
  logger,
  registerMetrics: (registry, population) =>
    registerValueTierGauges(registry, population, config.runtime.TOPIC_PARTITIONS),
});
