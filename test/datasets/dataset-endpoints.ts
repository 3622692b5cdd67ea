// Kafka and Redis for the dataset checks of `npm run verify:datasets` (the ones given by
// KAFKA_BROKERS and REDIS_URL, else the local stack, started with deploy/stack.sh if needed), and
// the wait for a worker process to have applied a topic.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { waitFor } from '../support/kafka-test-client.js';
import { appliedToEnd } from '../support/value-segmentation-check.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function datasetEndpoints(): { brokers: string; redisUrl: string; started: boolean } {
  if (process.env.KAFKA_BROKERS && process.env.REDIS_URL)
    return { brokers: process.env.KAFKA_BROKERS, redisUrl: process.env.REDIS_URL, started: false };
  execFileSync('bash', ['deploy/stack.sh', 'up'], { cwd: repoRoot, stdio: 'inherit' });
  const env = Object.fromEntries(
    readFileSync(join(repoRoot, '.stack/env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=') as [string, string]),
  );
  return { brokers: env.KAFKA_BROKERS!, redisUrl: env.REDIS_URL!, started: true };
}

/**
 * Waits until Redis's applied offsets of `worker` reach the end of every partition of `topic`,
 * failing at once if the worker process exits; returns the milliseconds it took.
 */
export async function waitUntilApplied(
  what: string,
  process: { child: { exitCode: number | null }; logFile: string },
  redis: Redis,
  keyPrefix: string,
  topic: string,
  brokers: string,
  worker: string,
): Promise<number> {
  const started = performance.now();
  await waitFor(
    what,
    async () => {
      if (process.child.exitCode !== null)
        throw new Error(`the worker exited (${process.child.exitCode}); log ${process.logFile}`);
      return appliedToEnd(redis, keyPrefix, topic, brokers, worker);
    },
    { timeoutMs: 600_000, intervalMs: 1000 },
  );
  return performance.now() - started;
}
