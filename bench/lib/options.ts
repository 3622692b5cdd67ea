import { parseArgs } from 'node:util';

// The bench's command line (npm run bench -- <options>). Pure: unit-tested in options.test.ts.

export const SCENARIOS = [
  'vs-daily',
  'vs-hourly',
  'backfill-live',
  'two-workers',
  'share-of-wallet',
  'retention',
  'scale-out-1',
  'scale-out-2',
  'scale-out-3',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_TITLES: Readonly<Record<ScenarioName, string>> = {
  'vs-daily': 'value segmentation, one year, daily refresh (VALUE_REFRESH_PERIOD=1d, the default)',
  'vs-hourly': "value segmentation, one year, hourly refresh (VALUE_REFRESH_PERIOD=1h, the demo's setting)",
  'backfill-live': 'value segmentation, first half backfilled, second half produced live while it reads',
  'two-workers': 'value segmentation, two worker processes sharing the partitions (one group)',
  'scale-out-1':
    'value segmentation, one worker process (scale-out baseline: compare with scale-out-2 and -3)',
  'scale-out-2': 'value segmentation, two worker processes of one group started together (scale-out)',
  'scale-out-3': 'value segmentation, three worker processes of one group started together (scale-out)',
  'share-of-wallet': 'share of wallet: purchases, profiles and value tiers',
  retention: 'retention: purchases, interactions, profiles and value tiers',
};

export interface BenchOptions {
  readonly scenarios: readonly ScenarioName[];
  /** Point-of-sale purchases generated per scenario (one year of event time). */
  readonly events: number;
  readonly customers: number;
  readonly partitions: number;
  readonly seed: number;
  /** Customers of the consumption-driven traffic (profiles and grocery purchases) of share of wallet and retention. */
  readonly consumptionCustomers: number;
  /** backfill-live: records per second of the live half. */
  readonly liveRate: number;
  /** Per scenario: a worker that has not applied everything by then fails the run. */
  readonly timeoutSeconds: number;
  /** Exit non-zero when a threshold of bench/README.md is not met (BENCH_CHECK=1 too). */
  readonly check: boolean;
  readonly quick: boolean;
}

export const HELP = `usage: npm run bench -- [options]

  --scenarios <list>   comma-separated names or numbers (default: all)
                       1 vs-daily, 2 vs-hourly, 3 backfill-live, 4 two-workers,
                       5 share-of-wallet, 6 retention, 7 scale-out-1, 8 scale-out-2,
                       9 scale-out-3
  --events <n>         point-of-sale purchases per scenario, one year (default 200000)
  --customers <n>      customers (default 20000)
  --partitions <n>     partitions of every topic (default 12)
  --consumption-customers <n>
                       consumption-driven customers of share of wallet and retention
                       (default customers / 20)
  --live-rate <n>      backfill-live: records/s of the live half (default 20000)
  --timeout <s>        per scenario; a worker not at the end by then fails the run (default 600)
  --seed <n>           generator seed (default 42)
  --quick              smoke run: 20000 events, 2000 customers, 4 partitions, live rate 5000,
                       timeout 180 s (explicit options win)
  --check              exit non-zero when a threshold is not met (also BENCH_CHECK=1)
  --help

Env: KAFKA_BROKERS and REDIS_URL or REDIS_CLUSTER_NODES (else the local stack, started if
needed; a cluster stack from stack up --cluster is used as it is); runtime variables
(MAX_BATCH_RECORDS, BARRIER_RETRY_MS, ...) pass through to the workers.`;

export class UsageError extends Error {}

export function parseBenchOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): BenchOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        scenarios: { type: 'string' },
        events: { type: 'string' },
        customers: { type: 'string' },
        partitions: { type: 'string' },
        'consumption-customers': { type: 'string' },
        'live-rate': { type: 'string' },
        timeout: { type: 'string' },
        seed: { type: 'string' },
        quick: { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const quick = values.quick === true;
  const int = (name: string, fallback: number, min = 1): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isSafeInteger(n) || n < min)
      throw new UsageError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  const customers = int('customers', quick ? 2000 : 20_000);
  return {
    scenarios: parseScenarios(values.scenarios as string | undefined),
    events: int('events', quick ? 20_000 : 200_000),
    customers,
    partitions: int('partitions', quick ? 4 : 12),
    seed: int('seed', 42, 0),
    consumptionCustomers: int('consumption-customers', Math.max(10, Math.round(customers / 20)), 0),
    liveRate: int('live-rate', quick ? 5000 : 20_000),
    timeoutSeconds: int('timeout', quick ? 180 : 600),
    check: values.check === true || env.BENCH_CHECK === '1' || env.BENCH_CHECK === 'true',
    quick,
  };
}

function parseScenarios(text: string | undefined): ScenarioName[] {
  if (text === undefined || text.trim() === '' || text.trim() === 'all') return [...SCENARIOS];
  const chosen = new Set<ScenarioName>();
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const byNumber = /^\d+$/.test(part) ? SCENARIOS[Number(part) - 1] : undefined;
    const name = byNumber ?? SCENARIOS.find((s) => s === part);
    if (!name)
      throw new UsageError(
        `--scenarios: unknown scenario ${JSON.stringify(part)} (one of 1-${SCENARIOS.length} or ${SCENARIOS.join(', ')})`,
      );
    chosen.add(name);
  }
  // Always in the documented order, whatever order they were given in.
  return SCENARIOS.filter((s) => chosen.has(s));
}
