import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { loadShareOfWalletConfig } from './config.js';
import { registerShareOfWalletMetrics } from './metrics.js';
import { describeTopology } from './topology.js';
import { createShareOfWalletWorker } from './worker.js';

// The share-of-wallet worker process: configuration, topology log, then the runtime.
let config: ReturnType<typeof loadShareOfWalletConfig>;
try {
  config = loadShareOfWalletConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`share-of-wallet: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger({ level: config.runtime.LOG_LEVEL, name: 'share-of-wallet' });
logger.info({ topology: describeTopology(config.settings) }, 'topology');
await runWorker({
  definition: createShareOfWalletWorker(config.settings),
  config: config.runtime,
  logger,
  registerMetrics: (registry, _population, events) => registerShareOfWalletMetrics(registry, events),
});
