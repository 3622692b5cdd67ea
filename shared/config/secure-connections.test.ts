import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { kafkaSecurityFromEnv, parseRuntimeConfig } from './runtime-config.js';
import { kafkaConnectionOptions, redisConnectionOptions } from './secure-connections.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-secure-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
// Content is only checked for its PEM armour here; the integration test uses real certificates.
const caFile = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const certFile = file('client.pem', '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');
const keyFile = file(
  'client.key',
  '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n',
);
const kafkaPasswordFile = file('kafka.password', 'kafka-secret-pw-123\n');
const redisPasswordFile = file('redis.password', 'redis-secret-pw-456\n');

function configError(env: Record<string, string>): ConfigError {
  try {
    parseRuntimeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

const scram = {
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA_FILE: caFile,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'vs-worker',
  KAFKA_SASL_PASSWORD_FILE: kafkaPasswordFile,
};
const redisAcl = {
  REDIS_URL: 'rediss://127.0.0.1:6380',
  REDIS_TLS_CA_FILE: caFile,
  REDIS_TLS_CERT_FILE: certFile,
  REDIS_TLS_KEY_FILE: keyFile,
  REDIS_USERNAME: 'vs-value-segmentation',
  REDIS_PASSWORD_FILE: redisPasswordFile,
};

describe('secure connection settings', () => {
  it('leaves plaintext connections alone by default', () => {
    const config = parseRuntimeConfig({});
    expect(kafkaConnectionOptions(config.kafkaSecurity)).toEqual({});
    expect(redisConnectionOptions(config.redisSecurity)).toEqual({});
  });

  it('reads the CA and the password file once into kafkajs options (trailing newline dropped)', () => {
    const options = kafkaConnectionOptions(parseRuntimeConfig(scram).kafkaSecurity);
    expect(options.ssl).toEqual({ ca: [expect.stringContaining('BEGIN CERTIFICATE')] });
    expect(options.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'vs-worker',
      password: 'kafka-secret-pw-123',
    });
  });

  it('uses the system CAs when TLS is on without a CA file', () => {
    const options = kafkaConnectionOptions(kafkaSecurityFromEnv({ KAFKA_SSL: 'true' }));
    expect(options).toEqual({ ssl: true });
  });

  it('gives ioredis the TLS material and the ACL user', () => {
    const options = redisConnectionOptions(parseRuntimeConfig(redisAcl).redisSecurity);
    expect(options.username).toBe('vs-value-segmentation');
    expect(options.password).toBe('redis-secret-pw-456');
    expect(options.tls?.ca).toEqual([expect.stringContaining('BEGIN CERTIFICATE')]);
    expect(options.tls?.key).toContain('SECRETKEYMATERIAL');
  });

  it.each([
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, 'KAFKA_SSL_CA_FILE', /ENOENT/],
    [{ KAFKA_SSL_CA_FILE: caFile }, 'KAFKA_SSL_CA_FILE', /KAFKA_SSL is false/],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: kafkaPasswordFile }, 'KAFKA_SSL_CA_FILE', /no PEM/],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certFile }, 'KAFKA_SSL_KEY_FILE', /required/],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      'KAFKA_SASL_MECHANISM',
      /clear/,
    ],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_USERNAME', /required/],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD', /required/],
    [{ ...scram, KAFKA_SASL_PASSWORD: 'inline' }, 'KAFKA_SASL_PASSWORD_FILE', /KAFKA_SASL_PASSWORD/],
    [{ KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_MECHANISM', /none/],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM', /invalid/],
    [
      { ...scram, KAFKA_SASL_PASSWORD_FILE: file('empty.password', '\n') },
      'KAFKA_SASL_PASSWORD_FILE',
      /empty/,
    ],
    [{ REDIS_TLS_CA_FILE: caFile }, 'REDIS_TLS_CA_FILE', /rediss/],
    [
      { REDIS_CLUSTER_NODES: 'h:1', REDIS_TLS_CERT_FILE: certFile },
      'REDIS_TLS_CERT_FILE',
      /REDIS_CLUSTER_TLS/,
    ],
    [
      { REDIS_CLUSTER_NODES: 'h:1', REDIS_CLUSTER_TLS: 'true', REDIS_TLS_KEY_FILE: keyFile },
      'REDIS_TLS_CERT_FILE',
      /required/,
    ],
    [{ REDIS_URL: 'rediss://h:1', REDIS_TLS_KEY_FILE: keyFile }, 'REDIS_TLS_CERT_FILE', /required/],
    [{ REDIS_USERNAME: 'vs' }, 'REDIS_PASSWORD', /required/],
    [{ REDIS_URL: 'redis://u:p@h:1', REDIS_PASSWORD: 'x' }, 'REDIS_PASSWORD', /REDIS_URL/],
    [{ ...redisAcl, REDIS_PASSWORD_FILE: join(dir, 'nope') }, 'REDIS_PASSWORD_FILE', /ENOENT/],
  ] as Array<[Record<string, string>, string, RegExp]>)('refuses %j naming %s', (env, variable, reason) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(reason);
  });

  it('never serialises a secret: JSON, util.inspect and a log line of the whole config', () => {
    const config = parseRuntimeConfig({ ...scram, ...redisAcl });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      name: 'test',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    logger.info({ config, kafka: config.kafkaSecurity, redis: config.redisSecurity }, 'config');
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), lines.join('')]) {
      expect(text).not.toContain('kafka-secret-pw-123');
      expect(text).not.toContain('redis-secret-pw-456');
      expect(text).not.toContain('SECRETKEYMATERIAL');
    }
    expect(JSON.parse(lines[0]!).config.kafkaSecurity).toEqual({
      tls: true,
      privateCa: true,
      clientCertificate: false,
      saslMechanism: 'scram-sha-512',
      username: 'vs-worker',
    });
  });

  it('keeps an inline password out of logs of the config too', () => {
    const config = parseRuntimeConfig({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'inline-secret-789',
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_PASSWORD: 'inline-secret-987',
    });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      name: 'test',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    logger.info({ runtime: config }, 'config');
    expect(lines.join('')).not.toMatch(/inline-secret/);
  });
});
