// `npm run verify:datasets` (Groceries part): the next-best-offer basket mining against arules'
// published figures on the real Groceries baskets (shared/data/groceries/SOURCE.md lists the file
// and every figure with its source). The baskets go the way a running worker's would: encoded
// into per-partition day counters (12 partitions by transaction id, one UTC day), then the view's
// path, window → weighted baskets → rules. `npm test` stays self-contained; this needs the data.
//
//   DATASETS_DIR  folder holding groceries/ (default ../shared/data; relative paths are resolved
//                 from the repo root)
//
// Prints one line per check (expected, got, tolerance, ok), the mining time per setting and the
// counters' state size, and exits 1 if any check fails.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { datasetsDir } from '../../shared/datasets-dir.js';
import { type MiningOptions, type MiningResult, mineAssociationRules } from './apriori.js';
import { basketField } from './basket-key.js';
import { basketsInWindow, windowAt } from './basket-window.js';
import type { AssociationRule } from './model.js';

const PARTITIONS = 12;
/** The day the baskets are filed under (the data carry no timestamps): 2026-12-01 UTC. */
const BASKET_DAY = Date.UTC(2026, 11, 1) / 86_400_000;
const WINDOW_DAYS = 30;

// Published figures (SOURCE.md, "Published reference figures").
/** summary(Groceries): 9,835 transactions × 169 items. */
const TRANSACTIONS = 9835;
const ITEMS = 169;

interface ExpectedRule {
  readonly antecedent: readonly string[];
  readonly consequent: string;
  readonly support: number;
  readonly confidence: number;
  readonly lift: number;
  /** Where the source prints it. */
  readonly count?: number;
  /** The highest-lift rule of its setting. */
  readonly top?: boolean;
}

interface PublishedSetting {
  readonly name: string;
  readonly options: MiningOptions;
  readonly rules: number;
  readonly lengths: Readonly<Record<number, number>>;
  readonly examples: readonly ExpectedRule[];
}

const SETTINGS: readonly PublishedSetting[] = [
  {
    // Standard arules example output.
    name: 'supp 0.001, conf 0.8',
    options: { minSupport: 0.001, minConfidence: 0.8, minLen: 1, maxLen: 10 },
    rules: 410,
    lengths: { 3: 29, 4: 229, 5: 140, 6: 12 },
    examples: [
      {
        antecedent: ['liquor', 'red/blush wine'],
        consequent: 'bottled beer',
        support: 0.001931876,
        confidence: 0.9047619,
        lift: 11.235269,
        count: 19,
        top: true,
      },
    ],
  },
  {
    // arulesViz introduction example.
    name: 'supp 0.001, conf 0.5',
    options: { minSupport: 0.001, minConfidence: 0.5, minLen: 1, maxLen: 10 },
    rules: 5668,
    lengths: { 2: 11, 3: 1461, 4: 3211, 5: 939, 6: 46 },
    examples: [
      {
        antecedent: ['honey'],
        consequent: 'whole milk',
        support: 0.001118454,
        confidence: 0.7333333,
        lift: 2.870009,
      },
    ],
  },
  {
    // Lantz, Machine Learning with R, ch. 8 (the book's "potted plants" is arules' "pot plants").
    name: 'supp 0.006, conf 0.25, minlen 2',
    options: { minSupport: 0.006, minConfidence: 0.25, minLen: 2, maxLen: 10 },
    rules: 463,
    lengths: { 2: 150, 3: 297, 4: 16 },
    examples: [
      {
        antecedent: ['pot plants'],
        consequent: 'whole milk',
        support: 0.006914082,
        confidence: 0.4,
        lift: 1.56546,
        count: 68,
      },
      {
        antecedent: ['pasta'],
        consequent: 'whole milk',
        support: 0.006100661,
        confidence: 0.4054054,
        lift: 1.586614,
        count: 60,
      },
      {
        antecedent: ['herbs'],
        consequent: 'root vegetables',
        support: 0.00701576,
        confidence: 0.43125,
        lift: 3.956477,
      },
    ],
  },
];

interface Check {
  readonly name: string;
  readonly expected: string;
  readonly got: string;
  readonly tolerance: string;
  readonly ok: boolean;
}

const checks: Check[] = [];

function check(name: string, expected: number, got: number, tolerance: number, digits = 7): void {
  checks.push({
    name,
    expected: format(expected, digits),
    got: format(got, digits),
    tolerance: tolerance === 0 ? 'exact' : `±${format(tolerance, 2)}`,
    ok: Math.abs(got - expected) <= tolerance,
  });
}

function checkText(name: string, expected: string, got: string): void {
  checks.push({ name, expected, got, tolerance: 'exact', ok: expected === got });
}

function format(v: number, digits: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6
    ? Number(v.toPrecision(digits)).toString()
    : v.toExponential(2);
}

/**
 * Half a unit in the last digit of a published figure: R prints 7 significant digits and drops
 * trailing zeros (0.4 is 0.4000000); where a source printed more decimals, in its last decimal.
 */
function printedTolerance(v: number): number {
  const decimals = String(v).split('.')[1]?.length ?? 0;
  const sevenSignificant = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - 6);
  return Math.min(sevenSignificant, 0.5 * 10 ** -decimals) + 1e-12;
}

/** transaction_id → items, from groceries_transactions_long.csv.gz. */
function readBaskets(path: string): Map<string, string[]> {
  const [header, ...lines] = gunzipSync(readFileSync(path))
    .toString('utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const names = header!.split(',');
  const id = names.indexOf('transaction_id');
  const item = names.indexOf('item');
  if (id < 0 || item < 0) throw new Error(`${path}: no transaction_id or item column`);
  const baskets = new Map<string, string[]>();
  for (const line of lines) {
    const cells = line.split(',');
    if (cells.length !== names.length) throw new Error(`${path}: bad row ${JSON.stringify(line)}`);
    const list = baskets.get(cells[id]!) ?? [];
    list.push(cells[item]!);
    baskets.set(cells[id]!, list);
  }
  return baskets;
}

/** The counters 12 partitions would hold: one field per distinct basket, per partition. */
function partitionCounters(baskets: ReadonlyMap<string, readonly string[]>): Record<string, number>[] {
  const partitions = Array.from({ length: PARTITIONS }, () => ({}) as Record<string, number>);
  for (const [id, items] of baskets) {
    const counters = partitions[Number(id) % PARTITIONS]!;
    const field = basketField(BASKET_DAY, items);
    counters[field] = (counters[field] ?? 0) + 1;
  }
  return partitions;
}

function sameItems(rule: AssociationRule, expected: ExpectedRule): boolean {
  return (
    rule.consequent === expected.consequent &&
    rule.antecedent.length === expected.antecedent.length &&
    rule.antecedent.every((item, i) => item === expected.antecedent[i])
  );
}

function describeRule(rule: { antecedent: readonly string[]; consequent: string }): string {
  return `{${rule.antecedent.join(', ')}} => {${rule.consequent}}`;
}

function checkSetting(setting: PublishedSetting, result: MiningResult): void {
  const label = setting.name;
  check(`${label}: rules`, setting.rules, result.rules.length, 0);
  const lengths = new Set(
    [...Object.keys(setting.lengths), ...Object.keys(result.rulesByLength)].map(Number),
  );
  for (const length of [...lengths].sort((a, b) => a - b)) {
    check(
      `${label}: rules of length ${length}`,
      setting.lengths[length] ?? 0,
      result.rulesByLength[length] ?? 0,
      0,
    );
  }
  for (const expected of setting.examples) {
    const name = `${label}: ${describeRule(expected)}`;
    const rule = result.rules.find((r) => sameItems(r, expected));
    if (rule === undefined) {
      checkText(`${name} found`, 'yes', 'no');
      continue;
    }
    if (expected.top)
      checkText(`${label}: highest lift`, describeRule(expected), describeRule(result.rules[0]!));
    check(`${name} support`, expected.support, rule.support, printedTolerance(expected.support));
    check(`${name} confidence`, expected.confidence, rule.confidence, printedTolerance(expected.confidence));
    check(`${name} lift`, expected.lift, rule.lift, printedTolerance(expected.lift), 8);
    if (expected.count !== undefined) check(`${name} count`, expected.count, rule.count, 0);
  }
}

function main(): void {
  const path = join(datasetsDir('groceries'), 'groceries', 'groceries_transactions_long.csv.gz');
  const transactions = readBaskets(path);
  const partitions = partitionCounters(transactions);
  let stateBytes = 0;
  let fields = 0;
  for (const counters of partitions) {
    for (const [field, count] of Object.entries(counters)) {
      stateBytes += Buffer.byteLength(field) + String(count).length;
      fields += 1;
    }
  }

  // The view of the boundary at the start of the next day: its 30-day window holds the day.
  const window = windowAt((BASKET_DAY + 1) * 86_400_000, WINDOW_DAYS);
  const { baskets, malformedFields } = basketsInWindow(partitions, window);
  check('transactions read', TRANSACTIONS, transactions.size, 0);
  check(
    'baskets in the window (N)',
    TRANSACTIONS,
    baskets.reduce((n, b) => n + b.count, 0),
    0,
  );
  check('items', ITEMS, new Set(baskets.flatMap((b) => b.items)).size, 0);
  check('malformed fields', 0, malformedFields, 0);
  const expired = basketsInWindow(
    partitions,
    windowAt((BASKET_DAY + 1 + WINDOW_DAYS) * 86_400_000, WINDOW_DAYS),
  );
  check('baskets once the day has left the window', 0, expired.baskets.length, 0);

  const timings: string[] = [];
  for (const setting of SETTINGS) {
    const started = performance.now();
    const result = mineAssociationRules(baskets, setting.options);
    const ms = performance.now() - started;
    timings.push(
      `${setting.name}: mined in ${ms.toFixed(0)} ms (min count ${result.minCount}, frequent itemsets ` +
        `${Object.entries(result.frequentItemsetsByLength)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ')})`,
    );
    checkSetting(setting, result);
  }

  printTable();
  console.log('');
  for (const line of timings) console.log(line);
  console.log(
    `State: ${fields} counter fields over ${PARTITIONS} partitions, ${stateBytes} bytes ` +
      `(field names + values), ${baskets.length} distinct baskets.`,
  );
  const failed = checks.filter((c) => !c.ok);
  console.log(
    failed.length === 0
      ? `All ${checks.length} checks passed.`
      : `${failed.length} of ${checks.length} checks FAILED.`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

function printTable(): void {
  const header = { name: 'check', expected: 'expected', got: 'got', tolerance: 'tolerance', ok: 'ok' };
  const rows = [header, ...checks.map((c) => ({ ...c, ok: c.ok ? 'ok' : 'FAIL' }))];
  const width = (key: keyof typeof header) => Math.max(...rows.map((r) => r[key].length));
  const w = {
    name: width('name'),
    expected: width('expected'),
    got: width('got'),
    tolerance: width('tolerance'),
  };
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w.name)}  ${r.expected.padStart(w.expected)}  ${r.got.padStart(w.got)}  ${r.tolerance.padEnd(w.tolerance)}  ${r.ok}`,
    );
  }
}

try {
  main();
} catch (error) {
  console.error(`verify:datasets (groceries): ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
