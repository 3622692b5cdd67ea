import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// `bash deploy/stack.sh ... --cluster` run by tests: three Kafka brokers and a Redis Cluster of
// three primaries and three replicas, in a stack dir and on ports of the caller's own.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface StackRun {
  readonly code: number;
  readonly output: string;
}

/** Runs deploy/stack.sh with `env`; resolves with its exit code and output. */
export function runStack(env: NodeJS.ProcessEnv, ...args: string[]): Promise<StackRun> {
  return runCommand('bash', ['deploy/stack.sh', ...args], env);
}

/** Runs a command from the repo root with `env`; resolves with its exit code and its output (stdout and stderr). */
export function runCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<StackRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/**
 * The script's environment: its own dir and port bases (taken ones are replaced by free ones),
 * no schema registry, and nothing that names another stack.
 */
/**
 * deploy/stack.sh settings of every stack tests start: no 3 s wait before a new group's first
 * rebalance (Kafka's default, the stack's for users), since tests make groups all the time.
 */
export const TEST_STACK_SETTINGS = { KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } as const;

export function clusterStackEnv(
  stackDir: string,
  ports: { redis: number; kafka: number },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...TEST_STACK_SETTINGS,
    ...process.env,
    VALUESTREAM_STACK_DIR: stackDir,
    REDIS_CLUSTER_PORT: String(ports.redis),
    KAFKA_CLUSTER_PORT: String(ports.kafka),
    STACK_SCHEMA_REGISTRY: 'off',
  };
  for (const name of [
    'KAFKA_BROKERS',
    'REDIS_URL',
    'REDIS_CLUSTER_NODES',
    'SCHEMA_REGISTRY_URL',
    'STACK_CLUSTER',
    'TOPIC_REPLICATION_FACTOR',
  ]) {
    delete env[name];
  }
  return env;
}

/** The variables `up` wrote to <stackDir>/env. */
export function readStackEnvFile(stackDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path.join(stackDir, 'env'), 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

/** The pid of broker `n` (1–3) of a cluster stack. */
export function brokerPid(stackDir: string, n: number): number {
  return Number(readFileSync(path.join(stackDir, 'kafka-cluster', String(n), 'kafka.pid'), 'utf8').trim());
}

/** Whether a process runs (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
