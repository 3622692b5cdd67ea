import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codecFor } from '../avro/codec.js';
import { readSchemaFiles } from '../avro/schema-files.js';
import { renderTypes } from './codegen.js';
import {
  type CustomerProfile,
  type EventTypes,
  type Interaction,
  type Purchase,
  type RetentionOfferIssued,
  SCHEMA_NAMES,
  type SegmentChanged,
  type UnderConsumptionDetected,
} from './generated.js';
import { sampleBusinessProfile, sampleEvents, sampleReturn } from './samples.js';

describe('generated contract types', () => {
  it('shared/contracts/generated.ts is up to date with schemas/*.avsc (run npm run schemas:generate)', () => {
    const committed = readFileSync(new URL('./generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderTypes(readSchemaFiles()));
  });

  it('lists every schema file', () => {
    expect([...SCHEMA_NAMES]).toEqual(readSchemaFiles().map((f) => f.name));
  });

  it.each(SCHEMA_NAMES)('%s: a sample typed with the generated type round-trips', (name) => {
    const sample = sampleEvents()[name];
    const codec = codecFor(name);
    const decoded = codec.decode(codec.encode(sample as never));
    expect(decoded).toEqual(sample);
    expect(codec.isValid(sample, { noUndeclaredFields: true })).toBe(true);
  });

  it('typed samples compile against the generated types (nulls, enums, nested records)', () => {
    const p: Purchase = sampleReturn();
    const b: CustomerProfile = sampleBusinessProfile();
    const samples: EventTypes = sampleEvents();
    const i: Interaction = samples.Interaction;
    const s: SegmentChanged = samples.SegmentChanged;
    const u: UnderConsumptionDetected = samples.UnderConsumptionDetected;
    const r: RetentionOfferIssued = { ...samples.RetentionOfferIssued, holdout: true, offer: null };
    // Object type aliases (not interfaces): usable where the runtime wants Record<string, unknown>.
    const asOutputValue: Record<string, unknown> = s;
    expect(asOutputValue.dimension).toBe('value-tier');
    for (const [name, value] of [
      ['Purchase', p],
      ['CustomerProfile', b],
      ['Interaction', i],
      ['SegmentChanged', s],
      ['UnderConsumptionDetected', u],
      ['RetentionOfferIssued', r],
    ] as const) {
      const codec = codecFor(name);
      expect(codec.decode(codec.encode(value as never))).toEqual(value);
    }
  });
});

describe('renderTypes', () => {
  it('maps null unions, enums, arrays and timestamps', () => {
    const out = renderTypes([
      {
        name: 'Thing',
        fullName: 'x.Thing',
        fileName: 'Thing.avsc',
        schema: {
          type: 'record',
          name: 'Thing',
          namespace: 'x',
          doc: 'A thing.',
          fields: [
            { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'When.' },
            { name: 'maybe', type: ['null', 'string'], default: null, doc: 'Maybe.' },
            {
              name: 'colour',
              type: { type: 'enum', name: 'Colour', symbols: ['RED', 'BLUE'], doc: 'C.' },
              doc: 'c',
            },
            { name: 'tags', type: { type: 'array', items: 'string' }, doc: 'Tags.' },
            { name: 'again', type: ['null', 'Colour'], default: null, doc: 'Named reference.' },
          ],
        },
      },
    ]);
    expect(out).toContain('  at: number;');
    expect(out).toContain('  maybe: string | null;');
    expect(out).toContain("export const Colour = ['RED', 'BLUE'] as const;");
    expect(out).toContain('export type Colour = (typeof Colour)[number];');
    expect(out).toContain('  tags: string[];');
    expect(out).toContain('  again: Colour | null;');
    expect(out).toContain('  Thing: Thing;');
  });

  it('refuses unions of two non-null types', () => {
    expect(() =>
      renderTypes([
        {
          name: 'Bad',
          fullName: 'Bad',
          fileName: 'Bad.avsc',
          schema: { type: 'record', name: 'Bad', fields: [{ name: 'x', type: ['string', 'long'] }] },
        },
      ]),
    ).toThrow(/only unions of null and one type/);
  });
});
