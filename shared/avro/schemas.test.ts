// Conventions every schema in schemas/ must follow (see schemas/README.md).
import { describe, expect, it } from 'vitest';
import { topicCatalogue } from '../topics.js';
import { type AvroSchemaJson, type AvroSchemaObject, readSchemaFiles } from './schema-files.js';

const files = readSchemaFiles();

function walk(
  schema: AvroSchemaJson,
  visit: (s: AvroSchemaObject, path: string) => void,
  path: string,
): void {
  if (typeof schema === 'string') return;
  if (Array.isArray(schema)) {
    for (const branch of schema) walk(branch, visit, path);
    return;
  }
  visit(schema, path);
  if (typeof schema.type === 'object') walk(schema.type, visit, path);
  for (const f of schema.fields ?? []) walk(f.type, visit, `${path}.${f.name}`);
  if (schema.items) walk(schema.items, visit, `${path}[]`);
  if (schema.values) walk(schema.values, visit, `${path}{}`);
}

describe('schema conventions', () => {
  it('has a schema for every topic of the catalogue', () => {
    const names = files.map((f) => f.name);
    for (const topic of Object.values(topicCatalogue)) {
      if (topic.schema) expect(names).toContain(topic.schema);
    }
  });

  it.each(files.map((f) => [f.name, f] as const))('%s: namespace valuestream, docs everywhere', (_, file) => {
    expect(file.schema.namespace).toBe('valuestream');
    const missing: string[] = [];
    walk(
      file.schema,
      (s, path) => {
        if ((s.type === 'record' || s.type === 'enum') && !s.doc)
          missing.push(`${path} (${s.type} ${s.name})`);
        for (const f of s.fields ?? []) if (!f.doc) missing.push(`${path}.${f.name}`);
      },
      file.name,
    );
    expect(missing).toEqual([]);
  });

  it.each(files.map((f) => [f.name, f] as const))(
    '%s: eventId, customerId and occurredAt first',
    (_, file) => {
      const [eventId, customerId, occurredAt] = file.schema.fields ?? [];
      expect(eventId).toMatchObject({ name: 'eventId', type: 'string' });
      expect(customerId).toMatchObject({ name: 'customerId', type: 'string' });
      expect(occurredAt).toMatchObject({
        name: 'occurredAt',
        type: { type: 'long', logicalType: 'timestamp-millis' },
      });
    },
  );

  it.each(files.map((f) => [f.name, f] as const))(
    '%s: nullable fields put null first and default to null',
    (_, file) => {
      const wrong: string[] = [];
      walk(
        file.schema,
        (s, path) => {
          for (const f of s.fields ?? []) {
            if (Array.isArray(f.type) && (f.type[0] !== 'null' || f.default !== null))
              wrong.push(`${path}.${f.name}`);
          }
        },
        file.name,
      );
      expect(wrong).toEqual([]);
    },
  );

  it.each(files.map((f) => [f.name, f] as const))('%s: money fields are long minor units', (_, file) => {
    const wrong: string[] = [];
    walk(
      file.schema,
      (s, path) => {
        for (const f of s.fields ?? []) {
          if (!f.name.endsWith('Minor')) continue;
          const t = Array.isArray(f.type) ? f.type.filter((b) => b !== 'null')[0] : f.type;
          if (t !== 'long') wrong.push(`${path}.${f.name}`);
        }
      },
      file.name,
    );
    expect(wrong).toEqual([]);
  });
});
