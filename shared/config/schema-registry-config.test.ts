import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseRuntimeConfig } from './runtime-config.js';
import { inputFramingOf } from './schema-registry-config.js';

function failure(environment: Record<string, string>): ConfigError {
  try {
    parseRuntimeConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(environment)} was accepted`);
}

const URL = 'http://127.0.0.1:8080/apis/ccompat/v7';

describe('schema registry configuration', () => {
  it('defaults to plain framing and no registry', () => {
    const config = parseRuntimeConfig({});
    expect(config.schemaRegistry).toBeNull();
    expect(config.OUTPUT_FRAMING).toBe('plain');
    expect(inputFramingOf(config, 'purchases')).toBe('plain');
  });

  it('frames per topic: INPUT_FRAMING for all, INPUT_FRAMING_BY_TOPIC for exceptions', () => {
    const config = parseRuntimeConfig({
      SCHEMA_REGISTRY_URL: URL,
      INPUT_FRAMING: 'detect',
      INPUT_FRAMING_BY_TOPIC: ' purchases=registry , customer-erasures=plain',
    });
    expect(inputFramingOf(config, 'purchases')).toBe('registry');
    expect(inputFramingOf(config, 'customer-erasures')).toBe('plain');
    expect(inputFramingOf(config, 'interactions')).toBe('detect');
    expect(config.schemaRegistry?.describe()).toEqual({
      url: URL,
      privateCa: false,
      timeoutMs: 5000,
      cacheSize: 1000,
    });
  });

  it.each([
    [{ INPUT_FRAMING: 'registry' }, 'is required with INPUT_FRAMING=registry'],
    [{ INPUT_FRAMING: 'detect' }, 'is required with INPUT_FRAMING=detect'],
    [
      { INPUT_FRAMING_BY_TOPIC: 'purchases=registry' },
      'is required with INPUT_FRAMING_BY_TOPIC=purchases=registry',
    ],
    [{ OUTPUT_FRAMING: 'registry' }, 'is required with OUTPUT_FRAMING=registry'],
  ])('stops start-up naming SCHEMA_REGISTRY_URL when something is framed without it: %j', (env, message) => {
    const error = failure(env);
    expect(error.variable).toBe('SCHEMA_REGISTRY_URL');
    expect(error.message).toContain(message);
  });

  it('needs no registry when every exception is plain', () => {
    expect(parseRuntimeConfig({ INPUT_FRAMING_BY_TOPIC: 'purchases=plain' }).schemaRegistry).toBeNull();
  });

  it.each([
    ['purchases', 'is not topic=framing'],
    ['purchases=registry=x', 'is not topic=framing'],
    ['nope=registry', 'unknown topic nope'],
    ['purchases=framed', 'framing of purchases must be one of plain, registry, detect'],
    ['purchases=plain,purchases=registry', 'purchases is named twice'],
  ])('refuses INPUT_FRAMING_BY_TOPIC=%s', (raw, message) => {
    const error = failure({ INPUT_FRAMING_BY_TOPIC: raw, SCHEMA_REGISTRY_URL: URL });
    expect(error.variable).toBe('INPUT_FRAMING_BY_TOPIC');
    expect(error.message).toContain(message);
  });

  it.each(['ftp://registry', 'registry:8081', 'http://user:pw@registry:8081'])(
    'refuses SCHEMA_REGISTRY_URL=%s',
    (url) => {
      expect(failure({ SCHEMA_REGISTRY_URL: url }).variable).toBe('SCHEMA_REGISTRY_URL');
    },
  );

  it('refuses INPUT_FRAMING values it does not know', () => {
    expect(failure({ INPUT_FRAMING: 'confluent', SCHEMA_REGISTRY_URL: URL }).variable).toBe('INPUT_FRAMING');
  });

  it('checks that credentials and TLS fit together', () => {
    expect(failure({ SCHEMA_REGISTRY_USERNAME: 'w' }).message).toContain(
      'SCHEMA_REGISTRY_USERNAME: is set but SCHEMA_REGISTRY_URL is empty',
    );
    expect(failure({ SCHEMA_REGISTRY_URL: URL, SCHEMA_REGISTRY_USERNAME: 'w' }).variable).toBe(
      'SCHEMA_REGISTRY_PASSWORD',
    );
    expect(failure({ SCHEMA_REGISTRY_URL: URL, SCHEMA_REGISTRY_PASSWORD: 'p' }).variable).toBe(
      'SCHEMA_REGISTRY_USERNAME',
    );
    expect(failure({ SCHEMA_REGISTRY_URL: URL, SCHEMA_REGISTRY_CA_FILE: '/x.pem' }).message).toContain(
      'SCHEMA_REGISTRY_CA_FILE: is set but SCHEMA_REGISTRY_URL is not https://',
    );
    expect(
      failure({ SCHEMA_REGISTRY_URL: 'https://r:8081', SCHEMA_REGISTRY_CA_FILE: '/nonexistent/ca.pem' })
        .message,
    ).toContain('SCHEMA_REGISTRY_CA_FILE: cannot read /nonexistent/ca.pem');
  });

  it('reads the password from a file and never shows it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-registry-secret-'));
    writeFileSync(join(dir, 'password'), 'hunter2\n');
    const config = parseRuntimeConfig({
      SCHEMA_REGISTRY_URL: URL,
      SCHEMA_REGISTRY_USERNAME: 'worker',
      SCHEMA_REGISTRY_PASSWORD_FILE: join(dir, 'password'),
    });
    expect(config.schemaRegistry?.password).toBe('hunter2');
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(inspect(config.schemaRegistry)).not.toContain('hunter2');
    expect(JSON.stringify(config.schemaRegistry)).toContain('"username":"worker"');
    expect(
      failure({
        SCHEMA_REGISTRY_URL: URL,
        SCHEMA_REGISTRY_USERNAME: 'worker',
        SCHEMA_REGISTRY_PASSWORD: 'x',
        SCHEMA_REGISTRY_PASSWORD_FILE: join(dir, 'password'),
      }).variable,
    ).toBe('SCHEMA_REGISTRY_PASSWORD_FILE');
  });
});
