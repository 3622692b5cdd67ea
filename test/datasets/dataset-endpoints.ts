// Kafka and Redis for the dataset checks of `npm run verify:datasets`: the ones given by
// KAFKA_BROKERS and REDIS_URL, else the local stack (started with deploy/stack.sh if needed).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
