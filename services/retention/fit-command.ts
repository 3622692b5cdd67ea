// `npm run retention:fit`: fits BG/NBD and Gamma-Gamma now, from the retention worker's own
// per-partition summary counters in Redis (the same counters its periodic refits merge), and
// prints the parameters with the fit time and log-likelihoods as JSON. Reads only; the worker
// keeps refitting on its own schedule. Configuration: the worker's variables (REDIS_URL,
// KEY_PREFIX, TOPIC_PARTITIONS, RETENTION_*).

import { ConfigError } from '../../shared/errors.js';
import { connectRedis } from '../../shared/redis/connection.js';
import { RedisPopulationStore } from '../../shared/redis/partition-store.js';
import { loadRetentionConfig } from './config.js';
import { MODEL_COUNTER_PREFIX, mergeModelSnapshots } from './fit-view.js';
import { DAY_MS } from './settings.js';
import { RETENTION } from './worker.js';

async function main(): Promise<void> {
  const config = loadRetentionConfig(process.env);
  const redis = connectRedis({
    url: config.runtime.REDIS_URL,
    commandTimeoutMs: 30_000,
    connectionName: 'retention-fit',
    security: config.runtime.redisSecurity,
  });
  try {
    await redis.connect();
    const population = new RedisPopulationStore(redis, config.runtime.KEY_PREFIX, RETENTION);
    const partitions = Array.from({ length: config.runtime.TOPIC_PARTITIONS }, (_, p) => p);
    const totals = await population.readCounterTotals(partitions, MODEL_COUNTER_PREFIX);
    // Observed through yesterday: the counters hold today's purchases too, so T counts to today.
    const boundary = (Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS;
    const started = performance.now();
    const view = mergeModelSnapshots(boundary, [Object.fromEntries(totals)], {
      ...config.settings,
      minFitCustomers: 1,
    });
    if (view === null) {
      process.stderr.write(
        'retention fit: no usable fit (no customer with a repeat purchase, or a degenerate fit)\n',
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(
      `${JSON.stringify(
        {
          fittedAt: new Date().toISOString(),
          observedThrough: new Date(view.observedDay).toISOString().slice(0, 10),
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
          bgnbd: view.bgnbd,
          gammaGamma: view.gammaGamma,
          spendUnit: `minor units of ${config.settings.currency}`,
          timeUnitDays: config.settings.timeUnitDays,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : String(error);
  process.stderr.write(`retention fit: ${message}\n`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
});
