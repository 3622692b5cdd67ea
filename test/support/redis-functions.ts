import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { testEndpoints } from './endpoints.js';

export interface RedisWithFunctions {
  readonly redis: Redis;
  readonly functions: FunctionCaller;
}

/**
 * A connection to the run's Redis with the runtime's function library loaded, for the tests of
 * one file (opened before them, closed after): read its fields inside tests and hooks.
 */
export function useRedisFunctions(): RedisWithFunctions {
  const opened = {} as { redis: Redis; functions: FunctionCaller };
  beforeAll(async () => {
    opened.redis = new Redis(testEndpoints().redisUrl);
    opened.functions = new FunctionCaller(opened.redis);
    await opened.functions.load();
  });
  afterAll(async () => {
    await opened.redis.quit();
  });
  return opened;
}
