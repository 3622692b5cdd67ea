import { z } from 'zod';
import { ConfigError } from '../errors.js';

// Configuration is read from the environment once, validated, and frozen. Each variable has
// a doc string (shown in the README table) and a zod schema; a bad value stops start-up with
// a message naming the variable.

export interface EnvVariable<T> {
  readonly doc: string;
  readonly schema: z.ZodType<T>;
  /** Default as the user would write it in the environment (for docs); undefined = required. */
  readonly default?: string;
}

export type EnvSpec = Record<string, EnvVariable<unknown>>;
export type EnvValues<Spec extends EnvSpec> = {
  readonly [K in keyof Spec]: Spec[K] extends EnvVariable<infer T> ? T : never;
};

export function envVariable<T>(doc: string, schema: z.ZodType<T>, defaultValue?: string): EnvVariable<T> {
  return defaultValue === undefined ? { doc, schema } : { doc, schema, default: defaultValue };
}

export function parseEnv<Spec extends EnvSpec>(
  spec: Spec,
  env: Readonly<Record<string, string | undefined>>,
): EnvValues<Spec> {
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec)) {
    const raw = env[name] === undefined || env[name] === '' ? variable.default : env[name];
    if (raw === undefined) throw new ConfigError(name, `is required (${variable.doc})`);
    const parsed = variable.schema.safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new ConfigError(name, `invalid value ${JSON.stringify(raw)}: ${reason}`);
    }
    values[name] = parsed.data;
  }
  return Object.freeze(values) as EnvValues<Spec>;
}

// Reusable schemas for environment strings.
export const env = {
  string: () => z.string().min(1),
  /** Any string, empty allowed (for prefixes). */
  text: () => z.string(),
  int: (min: number, max: number) => z.coerce.number().int().min(min).max(max),
  number: (min: number, max: number) => z.coerce.number().min(min).max(max),
  bool: () =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: () =>
    z
      .string()
      .transform((v) => v.split(',').map((part) => part.trim()))
      .pipe(z.array(z.string().min(1)).min(1)),
  intList: (min: number, max: number) =>
    z
      .string()
      .transform((v) => v.split(',').map((part) => Number(part.trim())))
      .pipe(z.array(z.number().int().min(min).max(max)).min(1)),
  /** A duration such as 500ms, 30s, 15m, 6h or 7d, in milliseconds. */
  duration: () =>
    z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/, 'must be a number with a unit: ms, s, m, h or d (e.g. 24h)')
      .transform((v) => {
        const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
        const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
          unit as 'ms' | 's' | 'm' | 'h' | 'd'
        ];
        return Number(amount) * scale;
      }),
  oneOf: <T extends string>(values: readonly [T, ...T[]]) => z.enum(values),
  redisUrl: () => z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
  /** host:port[,host:port], or empty for none. */
  hostPorts: () =>
    z
      .string()
      .transform((v) => (v.trim() === '' ? [] : v.split(',').map((part) => part.trim())))
      .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each node must be host:port'))),
  brokers: () =>
    z
      .string()
      .transform((v) => v.split(',').map((part) => part.trim()))
      .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1)),
};

/** Markdown table of a spec, for the README's configuration section. */
export function describeEnv(spec: EnvSpec): string {
  const rows = Object.entries(spec).map(
    ([name, v]) =>
      `| \`${name}\` | ${v.default === undefined ? '(required)' : `\`${v.default}\``} | ${v.doc} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
