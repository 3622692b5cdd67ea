// Walks Avro binary along a schema without building values, to tell how far a buffer that
// failed strict decoding is well-formed and where it stops: the evidence the runtime uses to
// tell truncated Avro and records of another schema from noise (shared/runtime/undecodable.ts).
// No avsc here: a walk must go on where avsc gives up (trailing bytes) and report positions.
//
// Stricter than Avro on purpose: a string must be valid UTF-8 without control characters, since
// every string of our contracts is text; that is what makes random bytes fail early.

import type { AvroSchemaJson, AvroSchemaObject, SchemaFile } from './schema-files.js';

export type WalkOutcome =
  /** Every field was read; `end` may be short of the buffer's length (trailing bytes). */
  | 'complete'
  /** The buffer ended inside a value; everything before it was well-formed. */
  | 'ran-out'
  /** A value is malformed: bad union or enum index, negative length, boolean not 0/1, bad text. */
  | 'invalid';

export interface AvroWalk {
  readonly outcome: WalkOutcome;
  /** Where the walk stopped (bytes read when complete). */
  readonly end: number;
  /** Top-level fields read completely. */
  readonly fieldsRead: number;
  /** The top-level field the walk stopped in (null when complete). */
  readonly stoppedIn: string | null;
  /** How many of the first top-level fields are non-empty strings (eventId, customerId, ...). */
  readonly leadingTexts: number;
}

class RanOut {}
class Malformed {}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const text = new TextDecoder('utf-8', { fatal: true });
// C0 controls and DEL except tab, line feed and carriage return.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Most items of an array whose items can take no bytes at all (nulls): beyond it, garbage. */
const MAX_EMPTY_ITEMS = 1_000_000;

/** Named types of a self-contained schema, by full and short name. */
function namedTypes(schema: AvroSchemaJson): Map<string, AvroSchemaObject> {
  const named = new Map<string, AvroSchemaObject>();
  const visit = (s: AvroSchemaJson, namespace: string | undefined): void => {
    if (Array.isArray(s)) {
      for (const branch of s) visit(branch, namespace);
      return;
    }
    if (typeof s === 'string') return;
    const ns = s.namespace ?? namespace;
    if (s.name !== undefined && (s.type === 'record' || s.type === 'enum' || s.type === 'fixed')) {
      named.set(s.name, s);
      if (ns) named.set(`${ns}.${s.name}`, s);
    }
    if (typeof s.type !== 'string') visit(s.type, ns);
    for (const f of s.fields ?? []) visit(f.type, ns);
    if (s.items !== undefined) visit(s.items, ns);
    if (s.values !== undefined) visit(s.values, ns);
  };
  visit(schema, undefined);
  return named;
}

class Walker {
  pos: number;
  private readonly minSizes = new Map<AvroSchemaJson, number>();

  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly named: Map<string, AvroSchemaObject>,
  ) {
    this.pos = start;
  }

  resolve(s: AvroSchemaJson): AvroSchemaJson {
    if (typeof s === 'string' && !PRIMITIVES.has(s)) {
      const found = this.named.get(s) ?? this.named.get(s.split('.').pop()!);
      if (!found) throw new Error(`unresolved Avro type ${s}`);
      return found;
    }
    return s;
  }

  long(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new RanOut();
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      scale *= 128;
    }
    throw new Malformed();
  }

  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new RanOut();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(): Buffer {
    const n = this.long();
    if (n < 0) throw new Malformed();
    return this.take(n);
  }

  string(): string {
    let s: string;
    try {
      s = text.decode(this.bytes());
    } catch (error) {
      if (error instanceof RanOut) throw error;
      throw new Malformed();
    }
    if (CONTROL.test(s)) throw new Malformed();
    return s;
  }

  /** Reads one value; returns the string read when the type is a string (for leadingTexts). */
  value(schema: AvroSchemaJson): string | null {
    const s = this.resolve(schema);
    if (Array.isArray(s)) {
      const index = this.long();
      if (index < 0 || index >= s.length) throw new Malformed();
      this.value(s[index]!);
      return null;
    }
    const type = typeof s === 'string' ? s : s.type;
    if (typeof type !== 'string') return this.value(type);
    const o = s as AvroSchemaObject;
    switch (type) {
      case 'null':
        return null;
      case 'boolean': {
        const b = this.take(1)[0]!;
        if (b > 1) throw new Malformed();
        return null;
      }
      case 'int':
      case 'long':
        this.long();
        return null;
      case 'float':
        this.take(4);
        return null;
      case 'double':
        this.take(8);
        return null;
      case 'bytes':
        this.bytes();
        return null;
      case 'string':
        return this.string();
      case 'fixed':
        this.take(o.size ?? 0);
        return null;
      case 'enum': {
        const index = this.long();
        if (index < 0 || index >= (o.symbols?.length ?? 0)) throw new Malformed();
        return null;
      }
      case 'array':
      case 'map':
        this.blocks(o);
        return null;
      case 'record':
      case 'error':
        for (const f of o.fields ?? []) this.value(f.type);
        return null;
      default:
        return this.value(type);
    }
  }

  private blocks(o: AvroSchemaObject): void {
    const item = o.type === 'map' ? o.values! : o.items!;
    const minItem = this.minSize(item) + (o.type === 'map' ? 1 : 0);
    for (let n = this.long(); n !== 0; n = this.long()) {
      if (n < 0) {
        n = -n;
        this.long(); // block size in bytes
      }
      // A count the bytes left cannot hold is a lie or a cut: like avsc's guard, say "ran out".
      if (minItem > 0 ? n * minItem > this.buf.length - this.pos : n > MAX_EMPTY_ITEMS) throw new RanOut();
      for (let i = 0; i < n; i++) {
        if (o.type === 'map') this.string();
        this.value(item);
      }
    }
  }

  /** Fewest bytes one value of the type takes. */
  private minSize(schema: AvroSchemaJson, seen = new Set<AvroSchemaJson>()): number {
    const cached = this.minSizes.get(schema);
    if (cached !== undefined) return cached;
    const s = this.resolve(schema);
    let size: number;
    if (Array.isArray(s)) size = 1;
    else if (typeof s === 'string') size = s === 'null' ? 0 : s === 'float' ? 4 : s === 'double' ? 8 : 1;
    else if (typeof s.type !== 'string') size = this.minSize(s.type, seen);
    else if (s.type === 'record' || s.type === 'error') {
      if (seen.has(s)) return 0;
      seen.add(s);
      size = (s.fields ?? []).reduce((sum, f) => sum + this.minSize(f.type, seen), 0);
      seen.delete(s);
    } else if (s.type === 'fixed') size = s.size ?? 0;
    else if (PRIMITIVES.has(s.type)) size = this.minSize(s.type, seen);
    else size = 1; // enum, array, map
    this.minSizes.set(schema, size);
    return size;
  }
}

const namedCache = new WeakMap<SchemaFile, Map<string, AvroSchemaObject>>();

/** Walks `buf` from `start` as one record of `file`'s schema. Pure; never throws on bad bytes. */
export function walkAvro(file: SchemaFile, buf: Buffer, start = 0): AvroWalk {
  let named = namedCache.get(file);
  if (!named) {
    named = namedTypes(file.schema);
    namedCache.set(file, named);
  }
  const root = file.schema as AvroSchemaObject;
  const fields = root.fields ?? [];
  const walker = new Walker(buf, start, named);
  let leadingTexts = 0;
  let leading = true;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    try {
      const read = walker.value(field.type);
      if (leading && read !== null && read.length > 0) leadingTexts += 1;
      else leading = false;
    } catch (error) {
      if (!(error instanceof RanOut || error instanceof Malformed)) throw error;
      return {
        outcome: error instanceof RanOut ? 'ran-out' : 'invalid',
        end: walker.pos,
        fieldsRead: i,
        stoppedIn: field.name,
        leadingTexts,
      };
    }
  }
  return { outcome: 'complete', end: walker.pos, fieldsRead: fields.length, stoppedIn: null, leadingTexts };
}
