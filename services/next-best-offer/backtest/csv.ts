// RFC 4180 CSV, because Online Retail's descriptions hold commas and quotes (`"SET 2 TEA
// TOWELS I LOVE LONDON "` is quoted, some carry `""`), so splitting a line on commas would shift
// columns. No dependency in package.json parses CSV, and the rules are few enough to get right here.

export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(`CSV row ${row}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

/**
 * The rows of a CSV text. A field in double quotes may hold commas, line breaks and `""` (one
 * quote); a quote anywhere else is an error rather than a guess. Rows end in LF or CRLF; a blank
 * line is skipped (no file we read means a row of one empty field by it).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = text.length;
  const endRow = () => {
    rows.push(row);
    row = [];
  };
  while (i < n) {
    if (row.length === 0) {
      const c = text.charCodeAt(i);
      if (c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) {
        i += c === CR ? 2 : 1;
        continue;
      }
    }
    let field: string;
    if (text.charCodeAt(i) === QUOTE) {
      const start = i;
      let value = '';
      i += 1;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0)
          throw new CsvSyntaxError(rows.length + 1, `quote opened at offset ${start} never closes`);
        value += text.slice(i, close);
        if (text.charCodeAt(close + 1) === QUOTE) {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      const next = text.charCodeAt(i);
      if (i < n && next !== COMMA && next !== LF && !(next === CR && text.charCodeAt(i + 1) === LF)) {
        throw new CsvSyntaxError(rows.length + 1, `text after the closing quote at offset ${i}`);
      }
      field = value;
    } else {
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === COMMA || c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) break;
        if (c === QUOTE)
          throw new CsvSyntaxError(rows.length + 1, `quote inside an unquoted field at offset ${i}`);
        i += 1;
      }
      field = text.slice(start, i);
    }
    row.push(field);
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i += 1;
      // A comma at the very end of the text still ends a field: the empty last one.
      if (i >= n) row.push('');
    } else {
      i += c === CR ? 2 : 1;
      endRow();
    }
  }
  if (row.length > 0) endRow();
  return rows;
}
