// vitest globalSetup of the fault-injection suite: a Kafka broker and Redis of the suite's own,
// started with deploy/stack.sh in .stack-faults/ on their own ports, because the suite restarts
// the broker and must not disturb anything else running against the usual stack. Scenarios that
// crash, freeze or slow Redis start a redis-server of their own on top (ownRedisServer).
// The suite's stack is stopped and deleted at the end (VALUESTREAM_KEEP_STACK=1 keeps it).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { TEST_STACK_SETTINGS } from '../support/cluster-stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The stack directory of the suite's broker (for restarting it). */
    faultStackDir: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const faultStackDir = process.env.VALUESTREAM_FAULT_STACK_DIR ?? path.join(root, '.stack-faults');

/** Environment of deploy/stack.sh for the suite's stack: its own dir and ports. */
export function faultStackEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...TEST_STACK_SETTINGS,
    ...process.env,
    VALUESTREAM_STACK_DIR: faultStackDir,
    KAFKA_PORT: process.env.VALUESTREAM_FAULT_KAFKA_PORT ?? '29092',
    REDIS_PORT: process.env.VALUESTREAM_FAULT_REDIS_PORT ?? '26379',
    // No scenario uses a schema registry yet: spare the suite its JVM (~250 MB) and start time.
    STACK_SCHEMA_REGISTRY: 'off',
  };
  // The suite's stack is always local: endpoints of another stack must not leak into it.
  delete env.KAFKA_BROKERS;
  delete env.REDIS_URL;
  delete env.SCHEMA_REGISTRY_URL;
  return env;
}

export function stackCommand(...args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['deploy/stack.sh', ...args], {
      cwd: root,
      env: faultStackEnv(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export function readFaultStackEnv(): { kafkaBrokers: string; redisUrl: string } {
  const text = readFileSync(path.join(faultStackDir, 'env'), 'utf8');
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1]?.trim();
  const kafkaBrokers = value('KAFKA_BROKERS');
  const redisUrl = value('REDIS_URL');
  if (!kafkaBrokers || !redisUrl) throw new Error(`${faultStackDir}/env lacks KAFKA_BROKERS or REDIS_URL`);
  return { kafkaBrokers, redisUrl };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const code = await stackCommand('up');
  if (code !== 0) throw new Error(`the fault suite's stack did not start (deploy/stack.sh up: exit ${code})`);
  const { kafkaBrokers, redisUrl } = readFaultStackEnv();
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('redisUrl', redisUrl);
  project.provide('faultStackDir', faultStackDir);
  process.stderr.write(`[fault-stack] KAFKA_BROKERS=${kafkaBrokers} REDIS_URL=${redisUrl}\n`);
  return async () => {
    if (process.env.VALUESTREAM_KEEP_STACK === '1') return;
    await stackCommand('down', '--purge');
  };
}
