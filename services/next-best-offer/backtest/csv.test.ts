import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv } from './csv.js';

/** Quotes a field only when it has to, as spreadsheet exports do. */
function writeField(field: string): string {
  return /[",\r\n]/.test(field) || field === '' ? `"${field.replaceAll('"', '""')}"` : field;
}

function writeCsv(rows: readonly (readonly string[])[], lineEnd: string): string {
  return rows.map((row) => row.map(writeField).join(',')).join(lineEnd);
}

describe('parseCsv', () => {
  it('keeps commas, quotes and line breaks inside quoted fields', () => {
    const text =
      'InvoiceNo,Description,Quantity\r\n' +
      '536365,"SET 2 TEA TOWELS, I LOVE LONDON ",6\r\n' +
      '536366,"the ""best"" mug\nwith a break",1\n';
    expect(parseCsv(text)).toEqual([
      ['InvoiceNo', 'Description', 'Quantity'],
      ['536365', 'SET 2 TEA TOWELS, I LOVE LONDON ', '6'],
      ['536366', 'the "best" mug\nwith a break', '1'],
    ]);
  });

  it('reads empty fields, a trailing comma and a missing final line break', () => {
    expect(parseCsv('a,,c\n,b,\n""')).toEqual([['a', '', 'c'], ['', 'b', ''], ['']]);
  });

  it('skips blank lines but keeps a bare CR inside an unquoted field', () => {
    expect(parseCsv('a,b\n\r\n\nc\rd,e\n')).toEqual([
      ['a', 'b'],
      ['c\rd', 'e'],
    ]);
  });

  it('rejects a quote that never closes, text after a closing quote and a stray quote', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,"b"c\n')).toThrow(/row 1: text after the closing quote/);
    expect(() => parseCsv('x\na,b"c\n')).toThrow(/row 2: quote inside an unquoted field/);
  });

  it('reads back whatever a writer that quotes as needed wrote (LF or CRLF)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', '£', '0') });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (rows, lineEnd, finalBreak) => {
          const text = writeCsv(rows, lineEnd) + (finalBreak && rows.length > 0 ? lineEnd : '');
          expect(parseCsv(text)).toEqual(rows);
        },
      ),
    );
  });
});
