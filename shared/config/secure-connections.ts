import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';

// TLS and credentials of the Kafka and Redis connections, from the KAFKA_SSL* / KAFKA_SASL_* /
// REDIS_TLS_* / REDIS_USERNAME / REDIS_PASSWORD* variables (declared in runtime-config.ts).
// Files (CA, certificates, keys, passwords mounted as secrets) are read once, at start-up; a
// file that cannot be read, or a combination that cannot be what the operator meant, stops
// start-up with a ConfigError naming the variable. Certificates are always verified: there is
// no switch to turn verification off (PITFALLS 17); a private CA is given as a CA file.

export type KafkaSaslMechanism = 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** kafkajs's `sasl` option for the mechanisms we support (kafkajs itself stays in shared/kafka). */
export type KafkaSasl = (
  | { readonly mechanism: 'plain' }
  | { readonly mechanism: 'scram-sha-256' }
  | { readonly mechanism: 'scram-sha-512' }
) & { readonly username: string; readonly password: string };

export interface KafkaSecurityValues {
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SSL_CA_FILE: string;
  readonly KAFKA_SSL_CERT_FILE: string;
  readonly KAFKA_SSL_KEY_FILE: string;
  readonly KAFKA_SASL_MECHANISM: KafkaSaslMechanism;
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD: string;
  readonly KAFKA_SASL_PASSWORD_FILE: string;
}

export interface RedisSecurityValues {
  readonly REDIS_URL: string;
  /** Set: a Cluster client (TLS with REDIS_CLUSTER_TLS). */
  readonly REDIS_CLUSTER_NODES?: readonly string[];
  /** TLS to every Cluster node (there is no URL to say rediss://). */
  readonly REDIS_CLUSTER_TLS?: boolean;
  readonly REDIS_TLS_CA_FILE: string;
  readonly REDIS_TLS_CERT_FILE: string;
  readonly REDIS_TLS_KEY_FILE: string;
  readonly REDIS_USERNAME: string;
  readonly REDIS_PASSWORD: string;
  readonly REDIS_PASSWORD_FILE: string;
}

/**
 * Kafka's TLS and SASL settings, secrets included. It serialises (JSON, pino, util.inspect) to
 * a summary without secrets, so logging a config object cannot leak a password or a key. The
 * summary is derived on each call and copes with pino's redaction, which logs a clone (same
 * prototype, own fields only) whose `sasl` may already be replaced by a placeholder.
 */
export class KafkaSecurity {
  constructor(
    /** true: TLS with the system's CAs; an object: TLS with our CA and/or client certificate. */
    readonly ssl: true | ConnectionOptions | undefined,
    readonly sasl: KafkaSasl | undefined,
  ) {}

  /** What may be logged: TLS on or off, a private CA or not, the mechanism and user; no secret. */
  describe(): Record<string, unknown> {
    const ssl: unknown = this.ssl;
    const sasl: unknown = this.sasl;
    return {
      tls: ssl !== undefined,
      ...tlsSummary(ssl),
      ...(isObject(sasl)
        ? { saslMechanism: String(sasl.mechanism), username: String(sasl.username) }
        : { saslMechanism: sasl === undefined ? 'none' : '[redacted]' }),
    };
  }

  toJSON(): Record<string, unknown> {
    return this.describe();
  }

  [inspect.custom](): string {
    return `KafkaSecurity ${JSON.stringify(this.describe())}`;
  }
}

/** Redis's TLS settings and ACL credentials (when not in REDIS_URL); serialises without secrets. */
export class RedisSecurity {
  constructor(
    readonly tls: ConnectionOptions | undefined,
    readonly username: string | undefined,
    readonly password: string | undefined,
  ) {}

  describe(): Record<string, unknown> {
    return {
      tlsFiles: this.tls !== undefined,
      ...tlsSummary(this.tls),
      ...(typeof this.username === 'string' ? { username: this.username } : {}),
      passwordSet: this.password !== undefined,
    };
  }

  toJSON(): Record<string, unknown> {
    return this.describe();
  }

  [inspect.custom](): string {
    return `RedisSecurity ${JSON.stringify(this.describe())}`;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function tlsSummary(tls: unknown): Record<string, boolean> {
  return isObject(tls) ? { privateCa: tls.ca !== undefined, clientCertificate: tls.cert !== undefined } : {};
}

/** The kafkajs options of a KafkaSecurity (spread into `new Kafka({...})`). */
export function kafkaConnectionOptions(security: KafkaSecurity): {
  ssl?: true | ConnectionOptions;
  sasl?: KafkaSasl;
} {
  return {
    ...(security.ssl === undefined ? {} : { ssl: security.ssl }),
    ...(security.sasl === undefined ? {} : { sasl: security.sasl }),
  };
}

/** The ioredis options of a RedisSecurity (merged with a REDIS_URL: these win over the URL's). */
export function redisConnectionOptions(security: RedisSecurity): {
  tls?: ConnectionOptions;
  username?: string;
  password?: string;
} {
  return {
    ...(security.tls === undefined ? {} : { tls: security.tls }),
    ...(security.username === undefined ? {} : { username: security.username }),
    ...(security.password === undefined ? {} : { password: security.password }),
  };
}

const NO_SECURITY = Object.freeze({});

export function resolveKafkaSecurity(values: KafkaSecurityValues): KafkaSecurity {
  const fileVariables = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;
  if (!values.KAFKA_SSL) {
    const set = fileVariables.find((name) => values[name] !== '');
    if (set) throw new ConfigError(set, 'is set but KAFKA_SSL is false: set KAFKA_SSL=true to use TLS');
  }
  requirePair(values, 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'the client certificate of mutual TLS');

  let ssl: true | ConnectionOptions | undefined;
  if (values.KAFKA_SSL) {
    const options = tlsFiles(
      values.KAFKA_SSL_CA_FILE,
      values.KAFKA_SSL_CERT_FILE,
      values.KAFKA_SSL_KEY_FILE,
      {
        ca: 'KAFKA_SSL_CA_FILE',
        cert: 'KAFKA_SSL_CERT_FILE',
        key: 'KAFKA_SSL_KEY_FILE',
      },
    );
    ssl = options === NO_SECURITY ? true : options;
  }

  const mechanism = values.KAFKA_SASL_MECHANISM;
  const credentials = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const;
  if (mechanism === 'none') {
    const set = credentials.find((name) => values[name] !== '');
    if (set) throw new ConfigError('KAFKA_SASL_MECHANISM', `is none, but ${set} is set: name the mechanism`);
    return new KafkaSecurity(ssl, undefined);
  }
  if (mechanism === 'plain' && !values.KAFKA_SSL) {
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM',
      'plain sends the password in clear text: it needs KAFKA_SSL=true (or use scram-sha-512)',
    );
  }
  if (values.KAFKA_SASL_USERNAME === '') {
    throw new ConfigError('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
  }
  const password = secret(
    values,
    'KAFKA_SASL_PASSWORD',
    'KAFKA_SASL_PASSWORD_FILE',
    `KAFKA_SASL_MECHANISM=${mechanism}`,
  );
  if (password === undefined) {
    throw new ConfigError(
      'KAFKA_SASL_PASSWORD',
      `is required with KAFKA_SASL_MECHANISM=${mechanism} (or KAFKA_SASL_PASSWORD_FILE)`,
    );
  }
  const sasl = { mechanism, username: values.KAFKA_SASL_USERNAME, password } as KafkaSasl;
  return new KafkaSecurity(ssl, sasl);
}

export function resolveRedisSecurity(values: RedisSecurityValues): RedisSecurity {
  const tlsUrl = values.REDIS_URL.startsWith('rediss://');
  const fileVariables = ['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'] as const;
  if ((values.REDIS_CLUSTER_NODES?.length ?? 0) > 0) {
    const tls = values.REDIS_CLUSTER_TLS === true;
    const set = fileVariables.find((name) => values[name] !== '');
    if (set && !tls)
      throw new ConfigError(
        set,
        'is set with REDIS_CLUSTER_NODES, but REDIS_CLUSTER_TLS is not true: set REDIS_CLUSTER_TLS=true for TLS to the Cluster',
      );
    const asOneServer = resolveRedisSecurity({
      ...values,
      REDIS_URL: tls ? 'rediss://cluster' : 'redis://cluster',
      REDIS_CLUSTER_NODES: [],
      REDIS_CLUSTER_TLS: false,
    });
    // One server learns TLS from rediss://; a Cluster client's nodes only from an options object.
    return tls && asOneServer.tls === undefined
      ? new RedisSecurity({}, asOneServer.username, asOneServer.password)
      : asOneServer;
  }
  if (values.REDIS_CLUSTER_TLS === true)
    throw new ConfigError(
      'REDIS_CLUSTER_TLS',
      'is true but REDIS_CLUSTER_NODES is empty: for TLS to one server use rediss:// in REDIS_URL',
    );
  if (!tlsUrl) {
    const set = fileVariables.find((name) => values[name] !== '');
    if (set) throw new ConfigError(set, 'is set but REDIS_URL is not rediss://: use rediss:// for TLS');
  }
  requirePair(values, 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE', 'the client certificate of mutual TLS');
  const files = tlsFiles(values.REDIS_TLS_CA_FILE, values.REDIS_TLS_CERT_FILE, values.REDIS_TLS_KEY_FILE, {
    ca: 'REDIS_TLS_CA_FILE',
    cert: 'REDIS_TLS_CERT_FILE',
    key: 'REDIS_TLS_KEY_FILE',
  });
  const tls = files === NO_SECURITY ? undefined : files;

  const password = secret(values, 'REDIS_PASSWORD', 'REDIS_PASSWORD_FILE', 'Redis authentication');
  const username = values.REDIS_USERNAME === '' ? undefined : values.REDIS_USERNAME;
  if (username !== undefined && password === undefined) {
    throw new ConfigError('REDIS_PASSWORD', 'is required with REDIS_USERNAME (or REDIS_PASSWORD_FILE)');
  }
  if ((username !== undefined || password !== undefined) && urlHasCredentials(values.REDIS_URL)) {
    throw new ConfigError(
      username !== undefined ? 'REDIS_USERNAME' : 'REDIS_PASSWORD',
      'is set, but REDIS_URL carries credentials too: give them in one place only',
    );
  }
  return new RedisSecurity(tls, username, password);
}

function requirePair<V extends object>(
  values: V,
  cert: keyof V & string,
  key: keyof V & string,
  what: string,
): void {
  if (values[cert] !== '' && values[key] === '')
    throw new ConfigError(key, `is required with ${cert} (${what})`);
  if (values[key] !== '' && values[cert] === '')
    throw new ConfigError(cert, `is required with ${key} (${what})`);
}

function tlsFiles(
  ca: string,
  cert: string,
  key: string,
  names: { ca: string; cert: string; key: string },
): ConnectionOptions {
  if (ca === '' && cert === '') return NO_SECURITY;
  return {
    ...(ca === '' ? {} : { ca: [readPem(ca, names.ca, 'CERTIFICATE')] }),
    ...(cert === ''
      ? {}
      : { cert: readPem(cert, names.cert, 'CERTIFICATE'), key: readPem(key, names.key, 'PRIVATE KEY') }),
  };
}

/** A variable or its *_FILE twin (a secret mounted as a file); never both. */
export function secret<V extends object>(
  values: V,
  direct: keyof V & string,
  file: keyof V & string,
  context: string,
): string | undefined {
  const inline = values[direct] as string;
  const path = values[file] as string;
  if (inline !== '' && path !== '')
    throw new ConfigError(file, `is set together with ${direct}: give one of them`);
  if (path === '') return inline === '' ? undefined : inline;
  // A trailing newline is how most tools write a secret file; it is not part of the secret.
  const value = readText(path, file).replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(file, `${path} is empty (needed for ${context})`);
  return value;
}

function readText(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(variable, `cannot read ${path} (${code})`);
  }
}

export function readPem(path: string, variable: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const text = readText(path, variable);
  const pattern =
    kind === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!pattern.test(text)) throw new ConfigError(variable, `${path} holds no PEM ${kind.toLowerCase()}`);
  return text;
}

function urlHasCredentials(url: string): boolean {
  return /^rediss?:\/\/[^/@]*@/.test(url);
}
