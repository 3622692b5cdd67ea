import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseRuntimeConfig } from './runtime-config.js';

function failure(environment: Record<string, string>): ConfigError {
  try {
    parseRuntimeConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(environment)} was accepted`);
}

describe('STALL_AFTER_MS', () => {
  it('defaults to one minute', () => {
    expect(parseRuntimeConfig({}).STALL_AFTER_MS).toBe(60_000);
    expect(parseRuntimeConfig({ STALL_AFTER_MS: '' }).STALL_AFTER_MS).toBe(60_000);
  });

  it.each([
    ['0', 0],
    ['1000', 1000],
    ['300000', 300_000],
    ['86400000', 86_400_000],
  ])('accepts %s', (raw, ms) => {
    expect(parseRuntimeConfig({ STALL_AFTER_MS: raw }).STALL_AFTER_MS).toBe(ms);
  });

  it.each(['1', '999', '-1', '86400001', '1.5', '60s', 'never'])(
    'stops start-up naming the variable for %s',
    (raw) => {
      const error = failure({ STALL_AFTER_MS: raw });
      expect(error.variable).toBe('STALL_AFTER_MS');
      expect(error.message).toContain(`STALL_AFTER_MS: invalid value "${raw}"`);
    },
  );

  it('says why a short bound is refused', () => {
    expect(failure({ STALL_AFTER_MS: '500' }).message).toContain('must be 0 (off) or at least 1000');
  });
});

describe('FETCH_MAX_WAIT_MS', () => {
  it('defaults to 100 ms (kafkajs sleeps this long while every partition is paused)', () => {
    expect(parseRuntimeConfig({}).FETCH_MAX_WAIT_MS).toBe(100);
    expect(parseRuntimeConfig({ FETCH_MAX_WAIT_MS: '500' }).FETCH_MAX_WAIT_MS).toBe(500);
  });

  it.each(['0', '9', '30001', '1.5', '100ms'])('stops start-up naming the variable for %s', (raw) => {
    const error = failure({ FETCH_MAX_WAIT_MS: raw });
    expect(error.variable).toBe('FETCH_MAX_WAIT_MS');
    expect(error.message).toContain(`FETCH_MAX_WAIT_MS: invalid value "${raw}"`);
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('is empty by default (one Redis at REDIS_URL) and lists host:port nodes when set', () => {
    expect(parseRuntimeConfig({}).REDIS_CLUSTER_NODES).toEqual([]);
    expect(
      parseRuntimeConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001' }).REDIS_CLUSTER_NODES,
    ).toEqual(['10.0.0.1:7000', 'redis-2:7001']);
  });

  it('names the variable for a node that is not host:port', () => {
    const error = failure({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-2' });
    expect(error.variable).toBe('REDIS_CLUSTER_NODES');
    expect(error.message).toContain('host:port');
  });

  it('takes credentials from REDIS_USERNAME/REDIS_PASSWORD; TLS files only with REDIS_CLUSTER_TLS=true', () => {
    const config = parseRuntimeConfig({
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      REDIS_USERNAME: 'worker',
      REDIS_PASSWORD: 'secret',
    });
    expect(config.redisSecurity.username).toBe('worker');
    expect(config.redisSecurity.tls).toBeUndefined();
    const error = failure({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_TLS_CA_FILE: '/etc/ca.pem' });
    expect(error.variable).toBe('REDIS_TLS_CA_FILE');
    expect(error.message).toContain('REDIS_CLUSTER_TLS');
  });

  it('REDIS_CLUSTER_TLS=true: TLS to every node, with the system CAs when no file is given', () => {
    const config = parseRuntimeConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_CLUSTER_TLS: 'true' });
    expect(config.REDIS_CLUSTER_TLS).toBe(true);
    expect(config.redisSecurity.tls).toEqual({});
    const error = failure({ REDIS_CLUSTER_TLS: 'true' });
    expect(error.variable).toBe('REDIS_CLUSTER_TLS');
    expect(error.message).toContain('rediss://');
  });
});
