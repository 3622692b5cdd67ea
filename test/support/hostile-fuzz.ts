// Random hostile records for the fuzz run: fast-check draws a plan per record (what to do to
// the next valid purchase of a seeded stream), so the same seed gives the same records.

import fc from 'fast-check';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';

export const FUZZ_KINDS = [
  'valid',
  'bit-flips',
  'truncated',
  'random-bytes',
  'field-change',
  'random-key',
  'random-headers',
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

type FieldChange =
  | { field: 'customerId'; value: string }
  | { field: 'eventId'; value: string }
  | { field: 'currency'; value: string }
  | { field: 'quantity'; value: number }
  | { field: 'unitPriceMinor'; value: number }
  | { field: 'occurredAt'; value: number }
  | { field: 'lines'; value: number }
  | { field: 'kind'; value: 'SALE' | 'RETURN' };

export interface FuzzPlan {
  readonly kind: FuzzKind;
  readonly bytes: Uint8Array;
  readonly flips: readonly number[];
  /** Where to cut, in ten-thousandths of the length (fast-check's doubles crowd near 0). */
  readonly cut: number;
  readonly change: FieldChange;
  readonly key: Uint8Array | null;
  readonly headers: ReadonlyArray<readonly [string, Uint8Array]>;
}

const weighted = <T>(...pairs: Array<[number, fc.Arbitrary<T>]>) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** Any long avsc can encode (it refuses ±(2^53 - 1), where precision could already be lost). */
const avroLong = fc.maxSafeInteger().filter((n) => Math.abs(n) < Number.MAX_SAFE_INTEGER);

const fieldChange: fc.Arbitrary<FieldChange> = fc.oneof(
  fc.record({
    field: fc.constant('customerId' as const),
    value: fc.oneof(fc.constant(''), fc.string({ maxLength: 3 })),
  }),
  fc.record({
    field: fc.constant('eventId' as const),
    value: fc.oneof(fc.constant(''), fc.string({ minLength: 257, maxLength: 300 })),
  }),
  fc.record({
    field: fc.constant('currency' as const),
    value: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('USD', 'ZZZ', 'eur')),
  }),
  fc.record({
    field: fc.constant('quantity' as const),
    value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  fc.record({ field: fc.constant('unitPriceMinor' as const), value: avroLong }),
  fc.record({ field: fc.constant('occurredAt' as const), value: avroLong }),
  fc.record({ field: fc.constant('lines' as const), value: fc.constantFrom(0, 501, 700) }),
  fc.record({
    field: fc.constant('kind' as const),
    value: fc.constantFrom('SALE' as const, 'RETURN' as const),
  }),
);

export const fuzzPlan: fc.Arbitrary<FuzzPlan> = fc.record({
  kind: weighted<FuzzKind>(
    [40, fc.constant('valid')],
    [12, fc.constant('bit-flips')],
    [10, fc.constant('truncated')],
    [10, fc.constant('random-bytes')],
    [14, fc.constant('field-change')],
    [7, fc.constant('random-key')],
    [7, fc.constant('random-headers')],
  ),
  bytes: fc.uint8Array({ minLength: 0, maxLength: 300 }),
  flips: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  cut: fc.integer({ min: 0, max: 10_000 }),
  change: fieldChange,
  key: fc.option(fc.uint8Array({ minLength: 0, maxLength: 12 }), { freq: 3 }),
  headers: fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('vs.schema', 'content-type', 'x-trace'),
        fc.string({ minLength: 1, maxLength: 8 }),
      ),
      fc.oneof(
        fc
          .constantFrom('Purchase', 'valuestream.Purchase', 'SegmentChanged', 'Interaction')
          .map((s) => new TextEncoder().encode(s)),
        fc.uint8Array({ maxLength: 16 }),
      ),
    ),
    { minLength: 1, maxLength: 3 },
  ),
});

export interface FuzzRecord {
  readonly kind: FuzzKind;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
}

const purchaseCodec = codecFor('Purchase');

function changed(p: Purchase, change: FieldChange): Purchase {
  const lines = p.lines.map((l) => ({ ...l }));
  switch (change.field) {
    case 'quantity':
      lines[0]!.quantity = change.value;
      return { ...p, lines };
    case 'unitPriceMinor':
      lines[0]!.unitPriceMinor = change.value;
      return { ...p, lines };
    case 'lines':
      return { ...p, lines: Array.from({ length: change.value }, (_, i) => lines[i % lines.length]!) };
    default:
      return { ...p, [change.field]: change.value };
  }
}

/** Applies `plan` to a valid purchase (its key and encoded value). */
export function fuzzRecord(
  plan: FuzzPlan,
  base: { key: string; value: Buffer; event: Purchase },
): FuzzRecord {
  const key = Buffer.from(base.key);
  const record = (value: Buffer | null, extra: Partial<FuzzRecord> = {}): FuzzRecord => ({
    kind: plan.kind,
    key,
    value,
    headers: {},
    ...extra,
  });
  switch (plan.kind) {
    case 'valid':
      return record(base.value);
    case 'bit-flips': {
      const value = Buffer.from(base.value);
      for (const f of plan.flips) {
        const bit = f % (value.length * 8);
        value[bit >> 3]! ^= 1 << (bit & 7);
      }
      return record(value);
    }
    case 'truncated':
      return record(Buffer.from(base.value.subarray(0, Math.floor((plan.cut / 10_000) * base.value.length))));
    case 'random-bytes':
      return record(Buffer.from(plan.bytes));
    case 'field-change':
      return record(purchaseCodec.encode(changed(base.event, plan.change)));
    case 'random-key':
      return record(base.value, { key: plan.key === null ? null : Buffer.from(plan.key) });
    case 'random-headers':
      return record(base.value, {
        headers: Object.fromEntries(plan.headers.map(([name, value]) => [name, Buffer.from(value)])),
      });
  }
}
