import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { loadNextBestOfferConfig } from './config.js';
import { registerNextBestOfferMetrics } from './metrics.js';
import { createNextBestOfferWorker } from './worker.js';

// The next-best-offer worker process: configuration, then the runtime.
let config: ReturnType<typeof loadNextBestOfferConfig>;
try {
  config = loadNextBestOfferConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`next-best-offer: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger({ level: config.runtime.LOG_LEVEL, name: 'next-best-offer' });
const { settings } = config;
logger.info(
  {
    settings: { ...settings, ladders: settings.ladders.map((l) => l.name) },
  },
  'settings',
);
await runWorker({
  definition: createNextBestOfferWorker(settings),
  config: config.runtime,
  logger,
  registerMetrics: (registry, population, events) =>
    registerNextBestOfferMetrics(registry, population, events, config.runtime.TOPIC_PARTITIONS),
});
