// The parts of a worker's compact state text (one Redis hash field per customer): numbers, times
// and strings, written short and read back exactly. A worker's codec lays out its own fields with
// these; separators are its choice among the characters `text` always escapes.
//
// - A number: a safe integer in base 36 ('-' for negatives), any other finite number as '~' and
//   its shortest decimal form (exact both ways). A non-finite number cannot be written
//   (NotCompact): JSON would turn it into null, so the codec falls back to JSON for that state.
// - A time: '@' and the UTC day number in base 36 when on a day boundary, a number otherwise; ''
//   for null.
// - A string: encodeURIComponent, which escapes , ; : | @ = % (not ~ - _ . ! * ' ( ), never
//   separators), so a string's field never holds a separator and never starts with '=' or '@'.

const DAY_MS = 86_400_000;

/** The value cannot be written compact (a non-finite number). */
export class NotCompact extends Error {}

export function numberText(n: number): string {
  if (Number.isSafeInteger(n)) return n.toString(36);
  if (!Number.isFinite(n)) throw new NotCompact();
  return `~${String(n)}`;
}

export function timeText(t: number | null): string {
  if (t === null) return '';
  return Number.isSafeInteger(t) && t % DAY_MS === 0 ? `@${(t / DAY_MS).toString(36)}` : numberText(t);
}

export const stringText = (s: string): string => encodeURIComponent(s);

/** The items of a list section ('' is the empty list). */
export const listItems = (section: string, separator: string): string[] =>
  section === '' ? [] : section.split(separator);

const INTEGER_36 = /^-?[0-9a-z]+$/;

/** Reads the parts of one encoded state; what is malformed is named with the worker's state. */
export class StateTextReader {
  constructor(
    private readonly state: string,
    private readonly encoded: string,
  ) {}

  malformed(what: string): Error {
    return new Error(`${this.state} has a malformed ${what}: ${JSON.stringify(this.encoded.slice(0, 200))}`);
  }

  number(s: string | undefined): number {
    if (s === undefined) throw this.malformed('number');
    const decimal = s.startsWith('~');
    const n = decimal ? Number(s.slice(1)) : INTEGER_36.test(s) ? Number.parseInt(s, 36) : Number.NaN;
    if (!Number.isFinite(n) || (!decimal && !Number.isSafeInteger(n))) throw this.malformed('number');
    return n;
  }

  time(s: string | undefined): number | null {
    if (s === undefined) throw this.malformed('time');
    if (s === '') return null;
    return s.startsWith('@') ? this.number(s.slice(1)) * DAY_MS : this.number(s);
  }

  requiredTime(s: string | undefined): number {
    const t = this.time(s ?? '');
    if (t === null) throw this.malformed('time');
    return t;
  }

  string(s: string | undefined): string {
    if (s === undefined) throw this.malformed('text');
    try {
      return decodeURIComponent(s);
    } catch {
      throw this.malformed('text');
    }
  }
}
