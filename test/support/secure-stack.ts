// A secured Kafka (SASL_SSL + SCRAM-SHA-512) and Redis (TLS, client certificates, ACL users) of
// the test's own, started by deploy/secure/secure-stack.sh in a temp dir and stopped at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { kafkaSecurityFromEnv, parseRuntimeConfig } from '../../shared/config/runtime-config.js';
import { kafkaConnectionOptions, redisConnectionOptions } from '../../shared/config/secure-connections.js';

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface SecureStack {
  readonly dir: string;
  /** What a worker needs to reach both (KAFKA_*, REDIS_URL, REDIS_TLS_*), without a Redis user. */
  readonly connectionEnv: Readonly<Record<string, string>>;
  /** The PLAINTEXT loopback listener of the same broker, for the test's own checks. */
  readonly observerBrokers: string;
  /** The Redis ACL user of a worker: its name and password file. */
  redisUser(worker: string): { username: string; passwordFile: string };
  /** A TLS connection as the given user (default: the unrestricted admin). */
  redis(user?: { username: string; passwordFile: string }): Redis;
  /** A kafkajs client on the SASL_SSL listener, with the worker's variables. */
  kafka(): Kafka;
  stop(): Promise<void>;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: repoRoot, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

export async function startSecureStack(keyPrefix: string): Promise<SecureStack> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-secure-'));
  const up = await run(['deploy/secure/secure-stack.sh', 'up', dir], { KEY_PREFIX: keyPrefix });
  if (up.code !== 0) {
    await run(['deploy/secure/secure-stack.sh', 'down', dir], {});
    throw new Error(`deploy/secure/secure-stack.sh up failed (${up.code}):\n${up.output}`);
  }
  const all = readEnvFile(join(dir, 'env'));
  const connectionEnv = Object.fromEntries(
    Object.entries(all).filter(([name]) => !name.startsWith('SECURE_')),
  );
  const admin = {
    username: all.SECURE_REDIS_ADMIN_USERNAME!,
    passwordFile: all.SECURE_REDIS_ADMIN_PASSWORD_FILE!,
  };
  const clients: Redis[] = [];
  return {
    dir,
    connectionEnv,
    observerBrokers: all.SECURE_KAFKA_OBSERVER_BROKERS!,
    redisUser(worker) {
      const key = worker.replace(/-/g, '_');
      return {
        username: all[`SECURE_REDIS_USER_${key}`]!,
        passwordFile: all[`SECURE_REDIS_PASSWORD_FILE_${key}`]!,
      };
    },
    redis(user = admin) {
      // Built through the workers' own config path, so the test connects the way they do.
      const config = parseRuntimeConfig({
        ...connectionEnv,
        REDIS_USERNAME: user.username,
        REDIS_PASSWORD_FILE: user.passwordFile,
      });
      const client = new Redis(config.REDIS_URL, {
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        ...redisConnectionOptions(config.redisSecurity),
      });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    kafka() {
      return new Kafka({
        clientId: 'valuestream-secure-test',
        brokers: connectionEnv.KAFKA_BROKERS!.split(','),
        logLevel: logLevel.NOTHING,
        connectionTimeout: 5000,
        ...kafkaConnectionOptions(kafkaSecurityFromEnv(connectionEnv)),
      });
    },
    async stop() {
      for (const client of clients) client.disconnect();
      await run(['deploy/secure/secure-stack.sh', 'down', dir], {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Produces keyed records over the SASL_SSL listener (idempotent, acks from all replicas). */
export async function produceSecurely(
  kafka: Kafka,
  topic: string,
  records: ReadonlyArray<{ key: string; value: Buffer }>,
  batchSize = 2000,
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      const messages: Message[] = records
        .slice(i, i + batchSize)
        .map((r) => ({ key: r.key, value: r.value }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}
