// Avro encoding and decoding for every schema in schemas/. This is the only module that imports
// avsc. Types are built once per schema and cached; decoding is strict (trailing bytes, truncated
// buffers, bad union or enum indexes and hostile array counts all throw) and its errors never
// carry field values, so they can go into logs and dead-letter headers as they are.
//
// Conventions: `timestamp-millis` stays a plain number (epoch milliseconds, no Date); `long`
// is a JS number (avsc refuses values beyond 2^53); unions are `null | T`, decoded unwrapped.

import type { Type } from 'avsc';
import avro from 'avsc';
import type { EventTypes } from '../contracts/generated.js';
import { DEFAULT_SCHEMA_DIR, readSchemaFiles, type SchemaFile } from './schema-files.js';

/** Decoding failed. The message names the schema and the kind of failure, never a field value. */
export class AvroDecodeError extends Error {
  override readonly name = 'AvroDecodeError';
  readonly retriable = false;
  constructor(
    readonly schemaName: string,
    /** Kind of failure: truncated, trailing-bytes, invalid-union-index, invalid-enum-index, ... */
    readonly failure: string,
  ) {
    super(`cannot decode ${schemaName}: ${failure}`);
  }
}

/** Encoding failed: the value does not match the schema. Lists the offending paths, never values. */
export class AvroEncodeError extends Error {
  override readonly name = 'AvroEncodeError';
  readonly retriable = false;
  constructor(
    readonly schemaName: string,
    readonly invalidPaths: readonly string[],
  ) {
    super(
      `cannot encode ${schemaName}: invalid ${invalidPaths.length > 0 ? invalidPaths.join(', ') : 'value'}`,
    );
  }
}

export interface IsValidOptions {
  /** Called once per invalid leaf with its path (e.g. ["lines", "0", "quantity"]). */
  errorHook?: (path: string[], value: unknown) => void;
  /** Also reject record fields the schema does not declare. */
  noUndeclaredFields?: boolean;
}

export interface AvroCodec<T> {
  /** Short schema name, e.g. "Purchase". */
  readonly schemaName: string;
  /** Full schema name, e.g. "valuestream.Purchase". */
  readonly fullName: string;
  /** Avro binary (no framing). Throws AvroEncodeError if the value does not match the schema. */
  encode(value: T): Buffer;
  /** Strict decode of a whole buffer. Throws AvroDecodeError. */
  decode(buf: Buffer): T;
  isValid(value: unknown, options?: IsValidOptions): value is T;
}

export type SchemaName = keyof EventTypes & string;

interface LoadedSchema {
  readonly file: SchemaFile;
  readonly type: Type;
}

/**
 * A writer schema (from a schema registry) cannot be read as our reader schema: avsc's schema
 * resolution refused the pair, or the writer schema is not Avro it can parse. The message names
 * the schemas and avsc's reason, never a value.
 */
export class AvroResolveError extends Error {
  override readonly name = 'AvroResolveError';
  readonly retriable = false;
  constructor(
    readonly readerName: string,
    readonly detail: string,
  ) {
    super(`writer schema cannot be read as ${readerName}: ${detail}`);
  }
}

export interface SchemaRegistry {
  readonly dir: string;
  readonly names: readonly string[];
  schema(name: string): SchemaFile;
  codec<T>(name: string): AvroCodec<T>;
  /**
   * A strict decoder of values written with `writerSchema` (Avro JSON, e.g. fetched from a schema
   * registry by id), read as `readerName` by Avro schema resolution: fields the writer added are
   * skipped, fields it lacks take our defaults. When the writer schema is ours (same canonical
   * form) this is the reader's own codec. Throws AvroResolveError when the pair cannot resolve.
   */
  writerDecoder<T>(readerName: string, writerSchema: unknown): (buf: Buffer) => T;
}

/**
 * Loads (synchronously) every schema in `dir` and builds its type. Named types are resolved
 * within each file, so every file must be self-contained.
 */
export function loadSchemas(dir: string = DEFAULT_SCHEMA_DIR): SchemaRegistry {
  const loaded = new Map<string, LoadedSchema>();
  for (const file of readSchemaFiles(dir)) {
    const type = buildType(file.schema);
    loaded.set(file.name, { file, type });
    loaded.set(file.fullName, { file, type });
  }
  const codecs = new Map<string, AvroCodec<unknown>>();
  const names = [...new Set([...loaded.values()].map((l) => l.file.name))].sort();
  const get = (name: string): LoadedSchema => {
    const l = loaded.get(name);
    if (!l) throw new Error(`unknown Avro schema ${name} (known: ${names.join(', ')})`);
    return l;
  };
  return {
    dir,
    names,
    schema: (name) => get(name).file,
    codec<T>(name: string): AvroCodec<T> {
      let codec = codecs.get(name);
      if (!codec) {
        const l = get(name);
        codec = makeCodec<unknown>(l.file, l.type);
        codecs.set(name, codec);
      }
      return codec as AvroCodec<T>;
    },
    writerDecoder<T>(readerName: string, writerSchema: unknown): (buf: Buffer) => T {
      const reader = get(readerName);
      const own = this.codec<T>(readerName);
      let writer: Type;
      try {
        writer = buildType(writerSchema);
      } catch (err) {
        throw new AvroResolveError(reader.file.name, `not an Avro schema avsc can read (${scrubAvsc(err)})`);
      }
      if (writer.fingerprint().equals(reader.type.fingerprint())) return (buf) => own.decode(buf);
      let resolver: ReturnType<Type['createResolver']>;
      try {
        resolver = reader.type.createResolver(writer);
      } catch (err) {
        throw new AvroResolveError(reader.file.name, scrubAvsc(err));
      }
      return (buf: Buffer): T => {
        try {
          return reader.type.fromBuffer(buf, resolver, false) as T;
        } catch (err) {
          throw new AvroDecodeError(reader.file.name, classifyDecodeFailure(err));
        }
      };
    },
  };
}

function buildType(schema: unknown): Type {
  return avro.Type.forSchema(schema as never, {
    // No logical type implementations: timestamp-millis decodes to its underlying long (number).
    logicalTypes: {},
    wrapUnions: 'never',
    registry: {},
    typeHook: guardedTypeHook,
  });
}

/**
 * avsc's resolution errors name types and fields (`cannot read "string" as ["null","int"]`),
 * never values; they are cut short, as a writer schema is foreign text.
 */
function scrubAvsc(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

let defaultRegistry: SchemaRegistry | undefined;

/** The registry of the repository's schemas/ folder, loaded on first use. */
export function defaultSchemas(): SchemaRegistry {
  defaultRegistry ??= loadSchemas();
  return defaultRegistry;
}

/** The cached codec of a schema in schemas/ by short ("Purchase") or full name. */
export function codecFor<K extends SchemaName>(schemaName: K): AvroCodec<EventTypes[K]>;
export function codecFor<T = unknown>(schemaName: string): AvroCodec<T>;
export function codecFor(schemaName: string): AvroCodec<unknown> {
  return defaultSchemas().codec(schemaName);
}

function makeCodec<T>(file: SchemaFile, type: Type): AvroCodec<T> {
  const schemaName = file.name;
  const invalidPaths = (value: unknown): string[] => {
    const paths: string[] = [];
    type.isValid(value, {
      errorHook: (path: string[]) => {
        if (paths.length < 10) paths.push(path.length > 0 ? path.join('.') : '(root)');
      },
    });
    return paths;
  };
  return {
    schemaName,
    fullName: file.fullName,
    encode(value: T): Buffer {
      try {
        return type.toBuffer(value);
      } catch {
        throw new AvroEncodeError(schemaName, invalidPaths(value));
      }
    },
    decode(buf: Buffer): T {
      try {
        return type.fromBuffer(buf) as T;
      } catch (err) {
        throw new AvroDecodeError(schemaName, classifyDecodeFailure(err));
      }
    },
    isValid(value: unknown, options?: IsValidOptions): value is T {
      const hook = options?.errorHook;
      return type.isValid(value, {
        noUndeclaredFields: options?.noUndeclaredFields ?? false,
        ...(hook ? { errorHook: (path: string[], v: unknown) => hook(path, v) } : {}),
      });
    },
  };
}

/** Maps an avsc error to a fixed vocabulary, dropping anything that could echo data. */
function classifyDecodeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('truncated buffer')) return 'truncated';
  if (message.startsWith('trailing data')) return 'trailing-bytes';
  if (message.startsWith('invalid union index')) return 'invalid-union-index';
  if (message.includes('enum index')) return 'invalid-enum-index';
  if (message.startsWith('potential precision loss')) return 'long-out-of-range';
  if (err instanceof RangeError) return 'invalid-length';
  return 'malformed';
}

// --- Hostile array counts --------------------------------------------------------------------
// avsc trusts an array's block count: ten bytes announcing a billion items make it loop a
// billion times past the end of the buffer. Every item takes at least `minEncodedSize` bytes,
// so a count larger than the bytes left can only be garbage: fail fast as truncated. Arrays are
// built as GuardedArrayType (through avsc's typeHook); avsc itself is not patched.

interface TapLike {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
}

interface AvscTypeInternals {
  typeName: string;
  fields?: Array<{ type: AvscTypeInternals }>;
  itemsType?: AvscTypeInternals;
  types?: AvscTypeInternals[];
  underlyingType?: AvscTypeInternals;
  size?: number;
  _read(tap: TapLike): unknown;
}

function minEncodedSize(t: AvscTypeInternals, seen: Set<AvscTypeInternals>): number {
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error': {
      if (seen.has(t)) return 0; // recursive type: be conservative
      seen.add(t);
      let sum = 0;
      for (const f of t.fields ?? []) sum += minEncodedSize(f.type, seen);
      seen.delete(t);
      return sum;
    }
    default:
      if (t.underlyingType) return minEncodedSize(t.underlyingType, seen);
      // boolean, int, long, string, bytes, enum, array, map, union: at least one byte
      return 1;
  }
}

/** Smallest encoding of one item of each array type (types are frozen, so cache beside them). */
const minItemSizes = new WeakMap<object, number>();

class GuardedArrayType extends avro.types.ArrayType {
  _read(tap: TapLike): unknown[] {
    const items = this.itemsType as unknown as AvscTypeInternals;
    let minItem = minItemSizes.get(this);
    if (minItem === undefined) {
      minItem = minEncodedSize(items, new Set());
      minItemSizes.set(this, minItem);
    }
    const out: unknown[] = [];
    let n = tap.readLong();
    while (n !== 0) {
      if (n < 0) {
        n = -n;
        tap.skipLong(); // block size in bytes
      }
      const left = tap.buf.length - tap.pos;
      if (!(n <= (minItem > 0 ? left / minItem : 1_000_000))) throw new Error('truncated buffer');
      while (n-- > 0) out.push(items._read(tap));
      n = tap.readLong();
    }
    return out;
  }

  // A writer schema's field that our reader lacks is skipped, not read: the same guard.
  _skip(tap: TapLike): void {
    const items = this.itemsType as unknown as AvscTypeInternals & { _skip(tap: TapLike): void };
    const minItem = minEncodedSize(items, new Set());
    let n = tap.readLong();
    while (n !== 0) {
      if (n < 0) {
        tap.pos += tap.readLong();
      } else {
        const left = tap.buf.length - tap.pos;
        if (!(n <= (minItem > 0 ? left / minItem : 1_000_000))) throw new Error('truncated buffer');
        while (n-- > 0) items._skip(tap);
      }
      n = tap.readLong();
    }
  }
}

function guardedTypeHook(schema: unknown, opts: unknown): Type | undefined {
  if (typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'array') {
    return new GuardedArrayType(schema as never, opts);
  }
  return undefined;
}
