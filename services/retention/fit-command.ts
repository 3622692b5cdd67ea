// `npm run retention:fit`: prints, as JSON, the models in force (the view the worker decides
// with: each model's last accepted fit, when it was fitted, its log-likelihood and customers) and
// a refit now from the worker's own per-partition summary counters in Redis (the same counters its
// periodic refits merge), with why each refit would be used or not. Reads only; the worker keeps
// refitting on its own schedule. Configuration: the worker's variables (REDIS_URL,
// KEY_PREFIX, TOPIC_PARTITIONS, RETENTION_*).

import { ConfigError } from '../../shared/errors.js';
import { connectRedis, openRedis } from '../../shared/redis/connection.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { RedisPopulationStore } from '../../shared/redis/partition-store.js';
import { loadRetentionConfig } from './config.js';
import { fitPopulation, MODEL_COUNTER_PREFIX, type ModelFit, type RetentionView } from './fit-view.js';
import { DAY_MS, type RetentionSettings } from './settings.js';
import { RETENTION } from './worker.js';

/** What `retention:fit` prints: the models in force (what the worker decides with) and a refit now. */
export function fitReport(
  inForce: RetentionView | null,
  totals: ReadonlyMap<string, number>,
  now: number,
  settings: RetentionSettings,
): { report: Record<string, unknown>; usable: boolean } {
  // Observed through yesterday: the counters hold today's purchases too, so T counts to today.
  const boundary = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  const started = performance.now();
  const refit = fitPopulation(
    boundary,
    [Object.fromEntries(totals)],
    { ...settings, minFitCustomers: 1 },
    inForce,
  );
  const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
  const iso = (ms: number) => new Date(ms).toISOString();
  const described = <P>(fit: ModelFit<P> | null, view: RetentionView) =>
    fit === null ? null : { ...fit, fittedAt: iso(fit.fittedAt ?? view.boundary) };
  return {
    usable: inForce !== null || refit.view !== null,
    report: {
      inForce:
        inForce === null
          ? null
          : {
              modelVersion: iso(inForce.boundary),
              observedThrough: iso(inForce.observedDay).slice(0, 10),
              bgnbd: described(inForce.bgnbd, inForce),
              gammaGamma: described(inForce.gammaGamma, inForce),
            },
      refitNow: {
        fittedAt: iso(now),
        observedThrough: iso(boundary - DAY_MS).slice(0, 10),
        seconds,
        outcomes: { bgnbd: refit.outcomes.bgnbd, gammaGamma: refit.outcomes.gammaGamma },
        bgnbd: refit.view === null ? null : described(refit.view.bgnbd, refit.view),
        // A spend refit that is not accepted keeps the one in force, as the worker's would.
        gammaGamma: refit.view === null ? null : described(refit.view.gammaGamma, refit.view),
      },
      spendUnit: `minor units of ${settings.currency}`,
      timeUnitDays: settings.timeUnitDays,
    },
  };
}

async function main(): Promise<void> {
  const config = loadRetentionConfig(process.env);
  const redis = connectRedis({
    url: config.runtime.REDIS_URL,
    clusterNodes: config.runtime.REDIS_CLUSTER_NODES,
    commandTimeoutMs: 30_000,
    connectionName: 'retention-fit',
    security: config.runtime.redisSecurity,
  });
  try {
    await openRedis(redis);
    const population = new RedisPopulationStore(
      redis,
      new FunctionCaller(redis),
      config.runtime.KEY_PREFIX,
      RETENTION,
    );
    const partitions = Array.from({ length: config.runtime.TOPIC_PARTITIONS }, (_, p) => p);
    const encoded = await population.latestAppliedView(partitions);
    const inForce = encoded === null ? null : (JSON.parse(encoded) as RetentionView | null);
    const totals = await population.readCounterTotals(partitions, MODEL_COUNTER_PREFIX);
    const { report, usable } = fitReport(inForce, totals, Date.now(), config.settings);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!usable) {
      process.stderr.write(
        'retention fit: no model in force and no usable fit now (see refitNow.outcomes)\n',
      );
      process.exitCode = 1;
    }
  } finally {
    redis.disconnect();
  }
}

// Run as a command, not when a test imports fitReport.
if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  main().catch((error: unknown) => {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : String(error);
    process.stderr.write(`retention fit: ${message}\n`);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  });
}
