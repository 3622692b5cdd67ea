// What integration and e2e tests use to reach Kafka and Redis. test/support/global-setup.ts
// decides the endpoints (env, Docker, or deploy/stack.sh) and provides them to every test.
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import type { RedisClient } from '../../shared/redis/connection.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated host:port list (the KAFKA_BROKERS format). */
    kafkaBrokers: string;
    /** redis:// URL (the REDIS_URL format); '' when the run's Redis is a Cluster. */
    redisUrl: string;
    /** host:port,... of a Redis Cluster (the REDIS_CLUSTER_NODES format); '' for one Redis. */
    redisClusterNodes: string;
    /** The registry's Confluent-compatible API (the SCHEMA_REGISTRY_URL format); '' when none. */
    schemaRegistryUrl: string;
  }
}

export interface TestEndpoints {
  readonly kafkaBrokers: string;
  readonly redisUrl: string;
  readonly redisClusterNodes: string;
}

/** The Kafka and Redis of this test run. Call it inside a test or hook, not at import time. */
export function testEndpoints(): TestEndpoints {
  return {
    kafkaBrokers: inject('kafkaBrokers'),
    redisUrl: inject('redisUrl'),
    redisClusterNodes: inject('redisClusterNodes') ?? '',
  };
}

/** The worker variables that reach the run's Redis: REDIS_URL, or REDIS_CLUSTER_NODES on a Cluster. */
export function testRedisEnv(): Record<string, string> {
  const { redisUrl, redisClusterNodes } = testEndpoints();
  return redisClusterNodes ? { REDIS_CLUSTER_NODES: redisClusterNodes } : { REDIS_URL: redisUrl };
}

/** A client of the run's Redis (a Cluster client on a Cluster); the caller quits it. */
export function testRedisClient(): RedisClient {
  const { redisUrl, redisClusterNodes } = testEndpoints();
  if (!redisClusterNodes) return new Redis(redisUrl);
  return new Cluster(
    redisClusterNodes.split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
  );
}

/**
 * The schema registry of this test run (`http://host:port/apis/ccompat/v7` for the local one), or
 * '' when the run has none (STACK_SCHEMA_REGISTRY=off): tests that need it skip then.
 */
export function testSchemaRegistryUrl(): string {
  return inject('schemaRegistryUrl');
}

let sequence = 0;

/**
 * A name no other test (in this run or an earlier one against the same stack) uses, for topics,
 * consumer groups and Redis key prefixes: `<prefix>-<time>-<pid>-<n>-<random>`. Characters that
 * Kafka does not allow in topic names are replaced by '-'.
 */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 150);
  sequence += 1;
  return [
    safe,
    Date.now().toString(36),
    process.pid.toString(36),
    sequence.toString(36),
    randomBytes(3).toString('hex'),
  ].join('-');
}
