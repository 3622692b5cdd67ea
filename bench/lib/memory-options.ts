import { parseArgs } from 'node:util';
import { UsageError } from './options.js';
import type { WorkerKind } from './workers.js';

// The memory bench's command line (npm run bench:memory -- <options>). Pure: unit-tested.

export const MEMORY_WORKERS: readonly WorkerKind[] = ['value-segmentation', 'share-of-wallet', 'retention'];

export interface MemoryOptions {
  readonly customers: number;
  /** Point-of-sale purchases generated = customers × this (one year of event time). */
  readonly purchasesPerCustomer: number;
  readonly partitions: number;
  readonly seed: number;
  readonly workers: readonly WorkerKind[];
  /** Per worker: not at the end offsets by then fails the run. */
  readonly timeoutSeconds: number;
  /** Leave the Redis server running after the run (for experiments on the filled keys). */
  readonly keepRedis: boolean;
}

export const MEMORY_HELP = `usage: npm run bench:memory -- [options]

  --customers <n>                simulated customers (default 1000000)
  --purchases-per-customer <n>   purchases generated per customer, one year (default 2)
  --partitions <n>               partitions of every topic (default 12)
  --workers <list>               comma-separated: value-segmentation, share-of-wallet, retention
                                 (default value-segmentation)
  --timeout <s>                  per worker (default 1800)
  --seed <n>                     generator seed (default 42)
  --keep-redis                   leave the bench's Redis server running at the end
  --help

Each worker runs as its own process (npm run worker:<name>) against a fresh redis-server the
bench starts on a free port (no persistence), reading topics it creates on KAFKA_BROKERS
(default 127.0.0.1:19092, the local stack) under its own prefix; topics are deleted afterwards.`;

export function parseMemoryOptions(argv: readonly string[]): MemoryOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        customers: { type: 'string' },
        'purchases-per-customer': { type: 'string' },
        partitions: { type: 'string' },
        workers: { type: 'string' },
        timeout: { type: 'string' },
        seed: { type: 'string' },
        'keep-redis': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const int = (name: string, fallback: number, min = 1): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isSafeInteger(n) || n < min)
      throw new UsageError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    customers: int('customers', 1_000_000),
    purchasesPerCustomer: int('purchases-per-customer', 2),
    partitions: int('partitions', 12),
    seed: int('seed', 42, 0),
    workers: parseWorkers(values.workers as string | undefined),
    timeoutSeconds: int('timeout', 1800),
    keepRedis: values['keep-redis'] === true,
  };
}

function parseWorkers(text: string | undefined): WorkerKind[] {
  if (text === undefined || text.trim() === '') return ['value-segmentation'];
  const chosen = new Set<string>(
    text
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  );
  for (const name of chosen)
    if (!MEMORY_WORKERS.includes(name as WorkerKind))
      throw new UsageError(
        `--workers: unknown worker ${JSON.stringify(name)} (${MEMORY_WORKERS.join(', ')})`,
      );
  return MEMORY_WORKERS.filter((w) => chosen.has(w));
}
