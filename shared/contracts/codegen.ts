// Renders TypeScript declarations from the Avro schemas, so the types cannot drift from the
// contract. Pure: schema JSON in, source text out. Written to shared/contracts/generated.ts by
// `npm run schemas:generate` (schemas/generate-types.ts); generated.test.ts re-renders it and
// fails when the committed file differs.
//
// Mapping: record → object type alias (`type X = {...}`: unlike an interface, it is assignable
// to Record<string, unknown>, e.g. OutputEvent.value); enum → `const X = [...] as const` plus
// `type X`, a union of string literals; ["null", T] → `T | null`; int, long, float, double and
// timestamp-millis → number; string → string; bytes and fixed → Buffer; array → T[];
// map → Record<string, T>.

import type { AvroFieldJson, AvroSchemaJson, AvroSchemaObject, SchemaFile } from '../avro/schema-files.js';

const LINE_WIDTH = 110;
const PRIMITIVES: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

interface Declaration {
  readonly fullName: string;
  readonly text: string;
}

export const GENERATED_HEADER = [
  '// GENERATED from schemas/*.avsc by `npm run schemas:generate`. Do not edit by hand:',
  '// shared/contracts/generated.test.ts fails when this file and the schemas disagree.',
].join('\n');

/** TypeScript source declaring every named type of every schema file, plus `EventTypes`. */
export function renderTypes(files: readonly SchemaFile[]): string {
  const declarations = new Map<string, Declaration>();
  const order: string[] = [];

  const fullNameOf = (name: string, namespace: string | undefined): string =>
    name.includes('.') || !namespace ? name : `${namespace}.${name}`;
  const shortName = (fullName: string): string => fullName.slice(fullName.lastIndexOf('.') + 1);

  /** Reserves the position of a named type (pre-order: a record before the types nested in it). */
  const reserve = (fullName: string, where: string): boolean => {
    if (order.includes(fullName)) return false;
    const short = shortName(fullName);
    if (order.some((other) => shortName(other) === short)) {
      throw new Error(`${where}: two named types are called ${short}`);
    }
    order.push(fullName);
    return true;
  };
  const declare = (fullName: string, text: string, where: string): void => {
    const existing = declarations.get(fullName);
    if (existing && existing.text !== text)
      throw new Error(`${where}: ${fullName} is defined twice, differently`);
    declarations.set(fullName, { fullName, text });
  };

  const typeOf = (schema: AvroSchemaJson, namespace: string | undefined, where: string): string => {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVES[schema];
      if (primitive) return primitive;
      return shortName(fullNameOf(schema, namespace)); // reference to a named type
    }
    if (Array.isArray(schema)) {
      const branches = schema.map((s) => typeOf(s, namespace, where));
      const nonNull = branches.filter((b) => b !== 'null');
      if (nonNull.length !== 1 || branches.length > 2) {
        throw new Error(`${where}: only unions of null and one type are supported`);
      }
      return branches.length === 2 ? `${nonNull[0]} | null` : nonNull[0]!;
    }
    const type = schema.type;
    if (typeof type !== 'string') return typeOf(type, namespace, where);
    if (schema.logicalType === 'timestamp-millis' && type === 'long') return 'number';
    switch (type) {
      case 'record':
      case 'error':
        return declareRecord(schema, namespace, where);
      case 'enum':
        return declareEnum(schema, namespace, where);
      case 'fixed':
        return 'Buffer';
      case 'array': {
        const items = typeOf(schema.items!, namespace, where);
        return /^[A-Za-z0-9_]+$/.test(items) ? `${items}[]` : `Array<${items}>`;
      }
      case 'map':
        return `Record<string, ${typeOf(schema.values!, namespace, where)}>`;
      default: {
        const primitive = PRIMITIVES[type];
        if (!primitive) return shortName(fullNameOf(type, namespace));
        return primitive;
      }
    }
  };

  const declareEnum = (schema: AvroSchemaObject, namespace: string | undefined, where: string): string => {
    const fullName = fullNameOf(schema.name!, schema.namespace ?? namespace);
    const name = shortName(fullName);
    const symbols = (schema.symbols ?? []).map((s) => `'${s}'`);
    const oneLine = `export const ${name} = [${symbols.join(', ')}] as const;`;
    const constLine =
      oneLine.length <= LINE_WIDTH
        ? oneLine
        : [`export const ${name} = [`, ...symbols.map((s) => `  ${s},`), '] as const;'].join('\n');
    const text = [
      docComment(schema.doc, ''),
      constLine,
      docComment(schema.doc, ''),
      `export type ${name} = (typeof ${name})[number];`,
    ]
      .filter((l) => l !== '')
      .join('\n');
    reserve(fullName, where);
    declare(fullName, text, where);
    return name;
  };

  const declareRecord = (schema: AvroSchemaObject, namespace: string | undefined, where: string): string => {
    const fullName = fullNameOf(schema.name!, schema.namespace ?? namespace);
    const name = shortName(fullName);
    const ownNamespace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    const isNew = reserve(fullName, where);
    if (!isNew && !declarations.has(fullName)) return name; // recursive reference
    const lines: string[] = [];
    for (const field of schema.fields ?? []) {
      lines.push(...fieldLines(field, ownNamespace, `${where} ${name}.${field.name}`));
    }
    const text = [docComment(schema.doc, ''), `export type ${name} = {`, ...lines, '};']
      .filter((l) => l !== '')
      .join('\n');
    declare(fullName, text, where);
    return name;
  };

  const fieldLines = (field: AvroFieldJson, namespace: string | undefined, where: string): string[] => {
    const type = typeOf(field.type, namespace, where);
    const comment = docComment(field.doc, '  ');
    return [...(comment ? [comment] : []), `  ${field.name}: ${type};`];
  };

  const eventLines: string[] = [];
  for (const file of files) {
    const name = typeOf(file.schema, undefined, `schemas/${file.fileName}`);
    eventLines.push(`  ${file.name}: ${name};`);
  }

  const names = files.map((f) => `'${f.name}'`);
  const namesOneLine = `export const SCHEMA_NAMES = [${names.join(', ')}] as const;`;
  const namesConst =
    namesOneLine.length <= LINE_WIDTH
      ? namesOneLine
      : ['export const SCHEMA_NAMES = [', ...names.map((n) => `  ${n},`), '] as const;'].join('\n');

  const blocks = [
    GENERATED_HEADER,
    ...order.map((n) => declarations.get(n)!.text).filter((t) => t !== ''),
    ['/** The top-level schema of each file in schemas/, by short name. */', namesConst].join('\n'),
    [
      '/** Value type of each top-level schema, by short name. */',
      'export interface EventTypes {',
      ...eventLines,
      '}',
    ].join('\n'),
  ];
  return `${blocks.join('\n\n')}\n`;
}

function docComment(doc: string | undefined, indent: string): string {
  if (!doc) return '';
  return `${indent}/** ${doc.replaceAll('*/', '* /')} */`;
}
