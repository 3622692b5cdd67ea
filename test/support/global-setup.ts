// vitest globalSetup of the integration and e2e projects: finds or starts Kafka, Redis and the
// schema registry and provides their endpoints to the tests (see ./endpoints.ts). In order of
// preference:
//   (a) KAFKA_BROKERS and REDIS_URL from the environment: used as they are;
//   (b) a Docker engine answers: Kafka (apache/kafka, the version of deploy/kafka/pom.xml) and
//       Redis started with testcontainers;
//   (c) otherwise `bash deploy/stack.sh up` (Kafka from Maven Central jars, local redis-server)
//       and the endpoints from .stack/env.
// VALUESTREAM_TEST_STACK=env|docker|local forces one of them. The catalogue topics are created in
// every case. The schema registry: SCHEMA_REGISTRY_URL from the environment, else the one of
// deploy/stack.sh (in (c) it comes with the stack; in (a) and (b) `deploy/stack.sh up
// schema-registry` starts it alone); none with STACK_SCHEMA_REGISTRY=off (its tests then skip).
// The teardown stops only what this setup started itself (set VALUESTREAM_KEEP_STACK=1 to keep a
// stack it started running for the next run).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { createTopics, topicSettingsFromEnv } from '../../shared/kafka/create-topics.js';
import { TEST_STACK_SETTINGS } from './cluster-stack.js';
import type {} from './endpoints.js';

type Teardown = () => Promise<void>;
interface Endpoints {
  kafkaBrokers: string;
  /** '' on a Redis Cluster. */
  redisUrl: string;
  /** host:port,... of a Redis Cluster; '' or absent for one Redis. */
  redisClusterNodes?: string;
  /** '' when there is none (STACK_SCHEMA_REGISTRY=off). */
  schemaRegistryUrl: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stackDir = process.env.VALUESTREAM_STACK_DIR ?? path.join(root, '.stack');
const REDIS_IMAGE = 'redis:7.0';

function log(message: string): void {
  process.stderr.write(`[global-setup] ${message}\n`);
}

async function kafkaVersion(): Promise<string> {
  if (process.env.KAFKA_VERSION) return process.env.KAFKA_VERSION;
  const pom = await readFile(path.join(root, 'deploy/kafka/pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('cannot read <kafka.version> from deploy/kafka/pom.xml');
  return version;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function run(command: string, args: string[], output: 'inherit' | 'ignore' = 'inherit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['ignore', output, output],
      // A stack it starts gets the tests' settings; one already running is used as it is.
      env: { ...TEST_STACK_SETTINGS, ...process.env },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A random KRaft cluster id (16 bytes, URL-safe base64), as `kafka-storage random-uuid` makes. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A URL without its password, for logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

async function ensureTopics(kafkaBrokers: string): Promise<void> {
  const settings = topicSettingsFromEnv({ ...process.env, KAFKA_BROKERS: kafkaBrokers });
  const result = await createTopics(settings);
  if (result.created.length > 0) log(`created topics ${result.created.join(', ')}`);
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), 10_000, 'container runtime');
    return true;
  } catch {
    return false;
  }
}

/** (b) Kafka and/or Redis in containers; only the ones the environment does not supply. */
async function startContainers(): Promise<{ endpoints: Endpoints; teardown: Teardown }> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient().catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `no container runtime for testcontainers (${reason}); unset VALUESTREAM_TEST_STACK to fall back`,
    );
  });
  const host = client.info.containerRuntime.host;
  const started: { stop(): Promise<unknown> }[] = [];
  const teardown = async () => {
    for (const container of started.reverse()) await container.stop().catch(() => {});
  };
  try {
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      log(`starting ${REDIS_IMAGE} with testcontainers`);
      const redis = await new GenericContainer(REDIS_IMAGE)
        .withCommand(['redis-server', '--appendonly', 'yes', '--appendfsync', 'always'])
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
        .start();
      started.push(redis);
      redisUrl = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
    }

    let kafkaBrokers = process.env.KAFKA_BROKERS;
    if (!kafkaBrokers) {
      const image = `apache/kafka:${await kafkaVersion()}`;
      // The advertised address must be known before the broker starts: bind a chosen host port.
      const port = await freePort();
      log(`starting ${image} with testcontainers on ${host}:${port}`);
      const kafka = await new GenericContainer(image)
        .withExposedPorts({ container: 9092, host: port })
        .withEnvironment({
          CLUSTER_ID: clusterId(),
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093,BROKER://localhost:9094',
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port},BROKER://localhost:9094`,
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
          KAFKA_NUM_PARTITIONS: '12',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
          KAFKA_MIN_INSYNC_REPLICAS: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .withStartupTimeout(180_000)
        .start();
      started.push(kafka);
      kafkaBrokers = `${host}:${port}`;
    }
    await ensureTopics(kafkaBrokers);
    return { endpoints: { kafkaBrokers, redisUrl, schemaRegistryUrl: '' }, teardown };
  } catch (error) {
    await teardown();
    throw error;
  }
}

async function readStackEnv(): Promise<Record<string, string>> {
  const file = path.join(stackDir, 'env');
  const text = await readFile(file, 'utf8');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!.trim();
  }
  return env;
}

/** (c) deploy/stack.sh: reuses a running stack, starts one otherwise (and then stops it after). */
async function startLocalStack(): Promise<{ endpoints: Endpoints; teardown: Teardown }> {
  const wasRunning = (await run('bash', ['deploy/stack.sh', 'status'], 'ignore')) === 0;
  log(
    wasRunning
      ? 'using the running local stack (deploy/stack.sh)'
      : 'starting the local stack: bash deploy/stack.sh up',
  );
  const code = await run('bash', ['deploy/stack.sh', 'up']);
  if (code !== 0) {
    throw new Error(`bash deploy/stack.sh up failed (exit code ${code}); see the messages above`);
  }
  const env = await readStackEnv();
  const kafkaBrokers = env.KAFKA_BROKERS;
  // A cluster stack (stack up --cluster) has REDIS_CLUSTER_NODES and no REDIS_URL.
  const redisUrl = env.REDIS_URL ?? '';
  const redisClusterNodes = env.REDIS_CLUSTER_NODES ?? '';
  if (!kafkaBrokers || (!redisUrl && !redisClusterNodes)) {
    throw new Error(
      `${path.join(stackDir, 'env')} lacks KAFKA_BROKERS, or REDIS_URL and REDIS_CLUSTER_NODES`,
    );
  }
  const schemaRegistryUrl = env.SCHEMA_REGISTRY_URL ?? '';
  const teardown = async () => {
    if (wasRunning) return;
    if (process.env.VALUESTREAM_KEEP_STACK === '1') {
      log('VALUESTREAM_KEEP_STACK=1: leaving the local stack running (bash deploy/stack.sh down stops it)');
      return;
    }
    log('stopping the local stack it started: bash deploy/stack.sh down');
    await run('bash', ['deploy/stack.sh', 'down']);
  };
  return { endpoints: { kafkaBrokers, redisUrl, redisClusterNodes, schemaRegistryUrl }, teardown };
}

function registryWanted(): boolean {
  return !['off', '0', 'false', 'no'].includes(process.env.STACK_SCHEMA_REGISTRY ?? 'on');
}

/**
 * The registry when Kafka and Redis came from elsewhere ((a), (b)): SCHEMA_REGISTRY_URL, else
 * deploy/stack.sh's own, started alone (and stopped after, if this setup started it).
 */
async function ensureSchemaRegistry(): Promise<{ url: string; teardown: Teardown }> {
  const none = async () => {};
  if (process.env.SCHEMA_REGISTRY_URL) return { url: process.env.SCHEMA_REGISTRY_URL, teardown: none };
  if (!registryWanted()) {
    log('STACK_SCHEMA_REGISTRY=off: no schema registry (its tests skip)');
    return { url: '', teardown: none };
  }
  const wasRunning = (await run('bash', ['deploy/stack.sh', 'status', 'schema-registry'], 'ignore')) === 0;
  const code = await run('bash', ['deploy/stack.sh', 'up', 'schema-registry']);
  if (code !== 0) {
    throw new Error(
      `bash deploy/stack.sh up schema-registry failed (exit code ${code}); see the messages above`,
    );
  }
  const url = (await readStackEnv()).SCHEMA_REGISTRY_URL;
  if (!url) throw new Error(`${path.join(stackDir, 'env')} lacks SCHEMA_REGISTRY_URL`);
  const teardown = async () => {
    if (wasRunning || process.env.VALUESTREAM_KEEP_STACK === '1') return;
    log('stopping the schema registry it started: bash deploy/stack.sh down schema-registry');
    await run('bash', ['deploy/stack.sh', 'down', 'schema-registry']);
  };
  return { url, teardown };
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const forced = process.env.VALUESTREAM_TEST_STACK;
  if (forced && !['env', 'docker', 'local'].includes(forced)) {
    throw new Error(`VALUESTREAM_TEST_STACK must be env, docker or local, got '${forced}'`);
  }
  let endpoints: Endpoints;
  let teardown: Teardown = async () => {};

  const { KAFKA_BROKERS, REDIS_URL, REDIS_CLUSTER_NODES } = process.env;
  const redisGiven = Boolean(REDIS_URL || REDIS_CLUSTER_NODES);
  if (forced === 'env' || (!forced && KAFKA_BROKERS && redisGiven)) {
    if (!KAFKA_BROKERS || !redisGiven) {
      throw new Error(
        'VALUESTREAM_TEST_STACK=env needs KAFKA_BROKERS and REDIS_URL (or REDIS_CLUSTER_NODES)',
      );
    }
    await ensureTopics(KAFKA_BROKERS);
    endpoints = {
      kafkaBrokers: KAFKA_BROKERS,
      redisUrl: REDIS_CLUSTER_NODES ? '' : (REDIS_URL ?? ''),
      redisClusterNodes: REDIS_CLUSTER_NODES ?? '',
      schemaRegistryUrl: '',
    };
  } else if (forced === 'docker' || (!forced && (await dockerAvailable()))) {
    ({ endpoints, teardown } = await startContainers());
  } else {
    ({ endpoints, teardown } = await startLocalStack());
  }
  if (!endpoints.schemaRegistryUrl) {
    const registry = await ensureSchemaRegistry();
    endpoints.schemaRegistryUrl = registry.url;
    const stackTeardown = teardown;
    teardown = async () => {
      await registry.teardown();
      await stackTeardown();
    };
  }

  // Later projects' setups (integration, then e2e) find these and reuse the same stack.
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers;
  if (endpoints.redisClusterNodes) process.env.REDIS_CLUSTER_NODES = endpoints.redisClusterNodes;
  else process.env.REDIS_URL = endpoints.redisUrl;
  project.provide('kafkaBrokers', endpoints.kafkaBrokers);
  project.provide('redisUrl', endpoints.redisUrl);
  project.provide('redisClusterNodes', endpoints.redisClusterNodes ?? '');
  // Provided, not exported to process.env: workers that tests spawn inherit process.env, and a
  // SCHEMA_REGISTRY_URL there would switch every test's runtime to the registry.
  project.provide('schemaRegistryUrl', endpoints.schemaRegistryUrl);
  const registry = endpoints.schemaRegistryUrl ? ` SCHEMA_REGISTRY_URL=${endpoints.schemaRegistryUrl}` : '';
  const redisShown = endpoints.redisClusterNodes
    ? `REDIS_CLUSTER_NODES=${endpoints.redisClusterNodes}`
    : `REDIS_URL=${redactUrl(endpoints.redisUrl)}`;
  const shown = `KAFKA_BROKERS=${endpoints.kafkaBrokers} ${redisShown}${registry}`;
  log(`project ${project.name}: ${shown}`);
  return teardown;
}
