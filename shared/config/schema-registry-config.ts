import { inspect } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { INPUT_FRAMINGS, type InputFraming } from '../schema-registry/input-framing.js';
import { topicCatalogue } from '../topics.js';
import { env, envVariable } from './env.js';
import { readPem, secret } from './secure-connections.js';

// The schema registry and the framing of inputs and outputs (README "Schema registry"). Framing
// is per logical input topic: INPUT_FRAMING for all, INPUT_FRAMING_BY_TOPIC for exceptions
// (`purchases=registry,customer-profiles=detect`). Anything framed needs SCHEMA_REGISTRY_URL;
// start-up stops naming it otherwise.

const topicNames: readonly string[] = Object.values(topicCatalogue).map((t) => t.name);

/** `topic=framing[,topic=framing]`, topics from the catalogue; empty = no exception. */
const framingByTopic = () =>
  z.string().transform((text, ctx) => {
    const map = new Map<string, InputFraming>();
    if (text.trim() === '') return map;
    for (const part of text.split(',')) {
      const [topic, framing, ...rest] = part.split('=').map((s) => s.trim());
      if (!topic || !framing || rest.length > 0) {
        ctx.addIssue({ code: 'custom', message: `"${part.trim()}" is not topic=framing` });
        return z.NEVER;
      }
      if (!topicNames.includes(topic)) {
        ctx.addIssue({ code: 'custom', message: `unknown topic ${topic} (known: ${topicNames.join(', ')})` });
        return z.NEVER;
      }
      if (!(INPUT_FRAMINGS as readonly string[]).includes(framing)) {
        ctx.addIssue({
          code: 'custom',
          message: `framing of ${topic} must be one of ${INPUT_FRAMINGS.join(', ')}, not ${framing}`,
        });
        return z.NEVER;
      }
      if (map.has(topic)) {
        ctx.addIssue({ code: 'custom', message: `${topic} is named twice` });
        return z.NEVER;
      }
      map.set(topic, framing as InputFraming);
    }
    return map;
  });

export const schemaRegistryEnvSpec = {
  INPUT_FRAMING: envVariable(
    'How input values are framed: plain (Avro of our schema), registry (Confluent wire format: magic byte 0, 4-byte schema id, Avro; writer schema fetched from SCHEMA_REGISTRY_URL) or detect (either, per record); see README "Schema registry"',
    env.oneOf(INPUT_FRAMINGS),
    'plain',
  ),
  INPUT_FRAMING_BY_TOPIC: envVariable(
    'Exceptions to INPUT_FRAMING per logical input topic, e.g. purchases=registry,customer-profiles=detect',
    framingByTopic(),
    '',
  ),
  OUTPUT_FRAMING: envVariable(
    'plain, or registry: outputs in the Confluent wire format with the id of their schema registered under <topic>-value (dead letters keep the original bytes)',
    env.oneOf(['plain', 'registry'] as const),
    'plain',
  ),
  SCHEMA_REGISTRY_URL: envVariable(
    'Confluent-compatible schema registry API (Confluent, Karapace, Apicurio /apis/ccompat/v7); required when anything is framed; when set, the output schemas are registered at start-up',
    z.string().refine((v) => v === '' || /^https?:\/\/[^\s/@]+(\/\S*)?$/.test(v), {
      message: 'must be an http:// or https:// URL without credentials (use SCHEMA_REGISTRY_USERNAME)',
    }),
    '',
  ),
  SCHEMA_REGISTRY_USERNAME: envVariable('Basic-auth user of the schema registry', env.text(), ''),
  SCHEMA_REGISTRY_PASSWORD: envVariable(
    'Basic-auth password (or SCHEMA_REGISTRY_PASSWORD_FILE, not both)',
    env.text(),
    '',
  ),
  SCHEMA_REGISTRY_PASSWORD_FILE: envVariable(
    'File holding the schema registry password (a mounted secret; one trailing newline is ignored)',
    env.text(),
    '',
  ),
  SCHEMA_REGISTRY_CA_FILE: envVariable(
    "PEM file of the CA that signed the registry's certificate (default: the system CAs); needs https://",
    env.text(),
    '',
  ),
  SCHEMA_REGISTRY_TIMEOUT_MS: envVariable(
    'Bound of one registry request; a registry that does not answer in time is unavailable (the partition waits and retries)',
    env.int(100, 120_000),
    '5000',
  ),
  SCHEMA_REGISTRY_CACHE_SIZE: envVariable(
    'Writer schemas kept by id (least recently used go first)',
    env.int(1, 1_000_000),
    '1000',
  ),
} as const;

export interface SchemaRegistryValues {
  readonly INPUT_FRAMING: InputFraming;
  readonly INPUT_FRAMING_BY_TOPIC: ReadonlyMap<string, InputFraming>;
  readonly OUTPUT_FRAMING: 'plain' | 'registry';
  readonly SCHEMA_REGISTRY_URL: string;
  readonly SCHEMA_REGISTRY_USERNAME: string;
  readonly SCHEMA_REGISTRY_PASSWORD: string;
  readonly SCHEMA_REGISTRY_PASSWORD_FILE: string;
  readonly SCHEMA_REGISTRY_CA_FILE: string;
  readonly SCHEMA_REGISTRY_TIMEOUT_MS: number;
  readonly SCHEMA_REGISTRY_CACHE_SIZE: number;
}

/** Where the registry is and how to reach it; serialises without the password. */
export class SchemaRegistrySettings {
  constructor(
    readonly url: string,
    readonly username: string | undefined,
    readonly password: string | undefined,
    readonly ca: string | undefined,
    readonly timeoutMs: number,
    readonly cacheSize: number,
  ) {}

  describe(): Record<string, unknown> {
    return {
      url: this.url,
      ...(this.username === undefined ? {} : { username: this.username }),
      privateCa: this.ca !== undefined,
      timeoutMs: this.timeoutMs,
      cacheSize: this.cacheSize,
    };
  }

  toJSON(): Record<string, unknown> {
    return this.describe();
  }

  [inspect.custom](): string {
    return `SchemaRegistrySettings ${JSON.stringify(this.describe())}`;
  }
}

/** The framing of a logical input topic. */
export function inputFramingOf(values: SchemaRegistryValues, logicalTopic: string): InputFraming {
  return values.INPUT_FRAMING_BY_TOPIC.get(logicalTopic) ?? values.INPUT_FRAMING;
}

/** The registry settings (null without SCHEMA_REGISTRY_URL), after checking that they fit together. */
export function resolveSchemaRegistry(values: SchemaRegistryValues): SchemaRegistrySettings | null {
  const url = values.SCHEMA_REGISTRY_URL;
  if (url === '') {
    const framed =
      values.INPUT_FRAMING !== 'plain'
        ? `INPUT_FRAMING=${values.INPUT_FRAMING}`
        : [...values.INPUT_FRAMING_BY_TOPIC].find(([, f]) => f !== 'plain')
          ? `INPUT_FRAMING_BY_TOPIC=${[...values.INPUT_FRAMING_BY_TOPIC].map(([t, f]) => `${t}=${f}`).join(',')}`
          : values.OUTPUT_FRAMING === 'registry'
            ? 'OUTPUT_FRAMING=registry'
            : null;
    if (framed !== null) throw new ConfigError('SCHEMA_REGISTRY_URL', `is required with ${framed}`);
    const stray = (
      [
        'SCHEMA_REGISTRY_USERNAME',
        'SCHEMA_REGISTRY_PASSWORD',
        'SCHEMA_REGISTRY_PASSWORD_FILE',
        'SCHEMA_REGISTRY_CA_FILE',
      ] as const
    ).find((name) => values[name] !== '');
    if (stray) throw new ConfigError(stray, 'is set but SCHEMA_REGISTRY_URL is empty');
    return null;
  }
  if (values.SCHEMA_REGISTRY_CA_FILE !== '' && !url.startsWith('https://'))
    throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', 'is set but SCHEMA_REGISTRY_URL is not https://');
  const password = secret(
    values,
    'SCHEMA_REGISTRY_PASSWORD',
    'SCHEMA_REGISTRY_PASSWORD_FILE',
    'schema registry authentication',
  );
  const username = values.SCHEMA_REGISTRY_USERNAME === '' ? undefined : values.SCHEMA_REGISTRY_USERNAME;
  if (username !== undefined && password === undefined)
    throw new ConfigError(
      'SCHEMA_REGISTRY_PASSWORD',
      'is required with SCHEMA_REGISTRY_USERNAME (or SCHEMA_REGISTRY_PASSWORD_FILE)',
    );
  if (username === undefined && password !== undefined)
    throw new ConfigError('SCHEMA_REGISTRY_USERNAME', 'is required with a schema registry password');
  const ca =
    values.SCHEMA_REGISTRY_CA_FILE === ''
      ? undefined
      : readPem(values.SCHEMA_REGISTRY_CA_FILE, 'SCHEMA_REGISTRY_CA_FILE', 'CERTIFICATE');
  return new SchemaRegistrySettings(
    url,
    username,
    password,
    ca,
    values.SCHEMA_REGISTRY_TIMEOUT_MS,
    values.SCHEMA_REGISTRY_CACHE_SIZE,
  );
}
