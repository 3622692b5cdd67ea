// The Prometheus text exposition format (version 0.0.4, what /metrics serves), parsed into
// samples. Strict: a line it cannot read throws, naming the line, so that a test reading figures
// from /metrics never mistakes a parse problem for a zero.

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs?: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
function parseValue(text: string, line: number): number {
  if (/^nan$/i.test(text)) return Number.NaN;
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    throw new Error(`line ${line}: ${JSON.stringify(text)} is not a sample value`);
  return Number(text);
}

/** The labels of `{...}` starting at text[0] === '{'; returns them and the rest of the line. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new Error(`line ${line}: ${why} at column ${i + 1} of the labels ${JSON.stringify(text)}`);
  };
  const skipSpaces = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skipSpaces();
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) fail('a label name expected');
    i += name!.length;
    skipSpaces();
    if (text[i] !== '=') fail('"=" expected');
    i++;
    skipSpaces();
    if (text[i] !== '"') fail('a quoted label value expected');
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else fail(`unknown escape \\${next ?? ''}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    if (Object.hasOwn(labels, name!)) fail(`label ${name} repeated`);
    labels[name!] = value;
    skipSpaces();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('"," or "}" expected');
  }
}

export function parsePromText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const name = NAME.exec(trimmed)?.[0];
    if (!name) throw new Error(`line ${line}: no metric name in ${JSON.stringify(raw)}`);
    let rest = trimmed.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/[ \t]+/);
    if (!/^[ \t]/.test(rest) || fields.length < 1 || fields.length > 2 || fields[0] === '')
      throw new Error(
        `line ${line}: expected "<value> [timestamp]" after the labels in ${JSON.stringify(raw)}`,
      );
    const sample: PromSample = { name, labels, value: parseValue(fields[0]!, line) };
    if (fields.length === 2) {
      if (!/^-?\d+$/.test(fields[1]!)) throw new Error(`line ${line}: bad timestamp ${fields[1]}`);
      samples.push({ ...sample, timestampMs: Number(fields[1]) });
    } else samples.push(sample);
  });
  return samples;
}

/** The samples of one metric (exact name: a histogram's are `<name>_bucket`, `_sum`, `_count`). */
export function promSeries(
  samples: readonly PromSample[],
  name: string,
  where: (labels: Readonly<Record<string, string>>) => boolean = () => true,
): PromSample[] {
  return samples.filter((s) => s.name === name && where(s.labels));
}

/** The sum of a metric over its series (0 when it has none: check promSeries where that matters). */
export function promSum(
  samples: readonly PromSample[],
  name: string,
  where?: (labels: Readonly<Record<string, string>>) => boolean,
): number {
  return promSeries(samples, name, where).reduce((sum, s) => sum + s.value, 0);
}
