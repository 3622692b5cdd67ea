// `npm run verify:datasets`: checks the retention models against the real CDNOW data and the
// published figures (shared/data/cdnow/SOURCE.md lists every file and figure with its source).
// The data are not part of the repo, so this is a separate command that CI runs with the data
// mounted; `npm test` stays self-contained (the unit tests embed the published figures).
//
//   DATASETS_DIR  folder holding cdnow/ (default ../shared/data; relative paths are resolved from
//                 the repo root)
//
// Prints one line per check (expected, got, tolerance, ok) and exits 1 if any check fails.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetsDir } from '../../shared/datasets-dir.js';
import {
  type BgNbdParams,
  conditionalExpectedTransactions,
  expectedTransactions,
  pAlive,
} from './models/bgnbd.js';
import { fitBgNbd, fitGammaGamma } from './models/fit.js';
import { expectedAverageSpend, type GammaGammaParams } from './models/gamma-gamma.js';
import {
  DAY_MS,
  type DailyPurchase,
  type PurchaseSummary,
  summarizeDailyPurchases,
} from './models/summary.js';

// Published figures (SOURCE.md, "Published reference figures").
/** BG/NBD MLE at full precision, BTYD vignette p. 20 (LL −9582.429). */
const BTYD_BGNBD: BgNbdParams = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };
const BTYD_BGNBD_LL = -9582.429;
/** Gamma-Gamma, Fader & Hardie (2013) note; LL from CLVTools tests/testthat/test_correctness_gg.R. */
const NOTE_GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const CLVTOOLS_GG_LL = -4055.9177;
/** The parameters the derived per-customer reference values were computed with (SOURCE.md). */
const DERIVED_GG: GammaGammaParams = { p: 6.24957302, q: 3.74422454, gamma: 15.44351798 };
/** Holdout (weeks 40–78) mean repeat transactions by calibration x = 0…6, 7+: BTYD vignette p. 24. */
const HOLDOUT_ACTUAL = [0.2367, 0.697, 1.3925, 1.56, 2.5323, 2.9474, 3.8621, 6.3594];
const HOLDOUT_EXPECTED = [0.2251, 0.5231, 1.0441, 1.5203, 2.1638, 2.6538, 3.504, 6.157];

const CALIBRATION_START = '19970101';
const CALIBRATION_END = '19970930';
const HOLDOUT_END = '19980630';
const WEEK_DAYS = 7;

interface Check {
  readonly name: string;
  readonly expected: string;
  readonly got: string;
  readonly tolerance: string;
  readonly ok: boolean;
}

const checks: Check[] = [];

function check(name: string, expected: number, got: number, tolerance: number, digits = 6): void {
  checks.push({
    name,
    expected: format(expected, digits),
    got: format(got, digits),
    tolerance: tolerance === 0 ? 'exact' : `±${format(tolerance, 2)}`,
    ok: Math.abs(got - expected) <= tolerance,
  });
}

function format(v: number, digits: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6
    ? Number(v.toPrecision(digits)).toString()
    : v.toExponential(2);
}

/** Half a unit in the 3rd significant digit of v: "agrees to 3 significant digits". */
function threeSignificant(v: number): number {
  return 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - 2);
}

/** Half a unit in the 2nd decimal, with slack for binary floating point (x.xx5 printed as x.xx). */
const HALF_CENT = 0.005 + 1e-9;

function dayOf(yyyymmdd: string): number {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (!/^\d{8}$/.test(yyyymmdd) || m < 1 || m > 12 || d < 1 || d > 31) {
    throw new Error(`bad date ${JSON.stringify(yyyymmdd)}`);
  }
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

function readCsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}

/** CDNOW_sample.txt: master id, sample id, date YYYYMMDD, CDs, dollars; whitespace-separated, no header. */
function readSample(path: string): Map<number, DailyPurchase[]> {
  const byCustomer = new Map<number, DailyPurchase[]>();
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 5) continue;
    const id = Number(cells[1]);
    const purchase = { day: dayOf(cells[2]!), amount: Number(cells[4]) };
    if (!Number.isInteger(id) || !Number.isFinite(purchase.amount)) throw new Error(`bad record: ${line}`);
    const list = byCustomer.get(id) ?? [];
    list.push(purchase);
    byCustomer.set(id, list);
  }
  return byCustomer;
}

function main(): void {
  const started = performance.now();
  const cdnow = join(datasetsDir('cdnow'), 'cdnow');
  const sample = readSample(join(cdnow, 'CDNOW_sample.txt'));
  const calibrationEnd = dayOf(CALIBRATION_END);
  const holdoutEnd = dayOf(HOLDOUT_END);
  const ids = [...sample.keys()].sort((p, q) => p - q);
  let records = 0;
  for (const list of sample.values()) records += list.length;
  check('sample records', 6919, records, 0);
  check('sample customers', 2357, ids.length, 0);

  // Summaries with the SOURCE.md conventions.
  const summaries = new Map<number, PurchaseSummary>();
  const holdout = new Map<number, number>();
  for (const id of ids) {
    const purchases = sample.get(id)!;
    const s = summarizeDailyPurchases(purchases, calibrationEnd, WEEK_DAYS);
    if (s === null || s.firstDay < dayOf(CALIBRATION_START))
      throw new Error(`customer ${id}: no calibration purchase`);
    summaries.set(id, s);
    const holdoutDays = new Set(
      purchases.filter((p) => p.day > calibrationEnd && p.day <= holdoutEnd).map((p) => p.day),
    );
    holdout.set(id, holdoutDays.size);
  }
  const all = ids.map((id) => summaries.get(id)!);

  // Against lifetimes' published summaries (2 dp).
  const published = readCsv(join(cdnow, 'cdnow_customers_summary.csv'));
  const withSpend = new Map(
    readCsv(join(cdnow, 'cdnow_customers_summary_with_transactions.csv')).map((r) => [Number(r.ID), r]),
  );
  let xMismatches = 0;
  let maxTx = 0;
  let maxT = 0;
  let maxZbar = 0;
  for (const row of published) {
    const s = summaries.get(Number(row.ID));
    if (s === undefined)
      throw new Error(`customer ${row.ID} of cdnow_customers_summary.csv not in the sample`);
    if (s.x !== Number(row.frequency)) xMismatches += 1;
    maxTx = Math.max(maxTx, Math.abs(s.tx - Number(row.recency)));
    maxT = Math.max(maxT, Math.abs(s.T - Number(row.T)));
    maxZbar = Math.max(maxZbar, Math.abs(s.meanRepeatSpend - Number(withSpend.get(Number(row.ID))?.zbar)));
  }
  check('summary rows', 2357, published.length, 0);
  check('x ≠ published (count)', 0, xMismatches, 0);
  check('max |t_x − published| (wk)', 0, maxTx, HALF_CENT, 3);
  check('max |T − published| (wk)', 0, maxT, HALF_CENT, 3);
  check('max |z̄ − published| ($)', 0, maxZbar, HALF_CENT, 3);
  check('calibration repeat purchases', 2457, sum(all.map((s) => s.x)), 0);
  check('customers with x = 0', 1411, all.filter((s) => s.x === 0).length, 0);
  check('holdout repeat purchases', 1882, sum([...holdout.values()]), 0);

  // BG/NBD fit.
  const bg = fitBgNbd(all);
  check('BG/NBD fit converged (1 = yes)', 1, bg.converged ? 1 : 0, 0);
  for (const key of ['r', 'alpha', 'a', 'b'] as const) {
    check(`BG/NBD ${key} (3 s.f.)`, BTYD_BGNBD[key], bg.params[key], threeSignificant(BTYD_BGNBD[key]), 7);
  }
  check('BG/NBD LL (3 s.f.)', BTYD_BGNBD_LL, bg.logLikelihood, threeSignificant(BTYD_BGNBD_LL), 8);
  // The MLE cannot be worse than the published optimum (beyond the 3 decimals printed).
  check('BG/NBD LL ≥ published − 0.001', BTYD_BGNBD_LL, Math.max(bg.logLikelihood, BTYD_BGNBD_LL), 0.001, 8);

  // Gamma-Gamma fit on the repeat buyers' full-precision mean spend.
  const gg = fitGammaGamma(all.map((s) => ({ x: s.x, meanSpend: s.meanRepeatSpend })));
  check('Gamma-Gamma customers', 946, gg.customers, 0);
  check('Gamma-Gamma fit converged (1 = yes)', 1, gg.converged ? 1 : 0, 0);
  for (const key of ['p', 'q', 'gamma'] as const) {
    check(`Gamma-Gamma ${key} (3 s.f.)`, NOTE_GG[key], gg.params[key], threeSignificant(NOTE_GG[key]), 6);
  }
  check('Gamma-Gamma LL (3 s.f.)', CLVTOOLS_GG_LL, gg.logLikelihood, threeSignificant(CLVTOOLS_GG_LL), 8);
  check(
    'Gamma-Gamma LL ≥ published − 0.0001',
    CLVTOOLS_GG_LL,
    Math.max(gg.logLikelihood, CLVTOOLS_GG_LL),
    1e-4,
    8,
  );

  // Population figures with the published parameters.
  check('E[X(52)] (BTYD vignette)', 1.444004, expectedTransactions(BTYD_BGNBD, 52), 2e-6, 7);
  check('P(alive) customer 1516', 0.9688523, pAlive(BTYD_BGNBD, summaries.get(1516)!), 5e-7, 7);
  check(
    'E[Y(52)] customer 1516',
    25.75659,
    conditionalExpectedTransactions(BTYD_BGNBD, summaries.get(1516)!, 52),
    1e-4,
    7,
  );
  const bins = Array.from({ length: 8 }, () => ({ n: 0, actual: 0, expected: 0 }));
  for (const id of ids) {
    const s = summaries.get(id)!;
    const bin = bins[Math.min(s.x, 7)]!;
    bin.n += 1;
    bin.actual += holdout.get(id)!;
    bin.expected += conditionalExpectedTransactions(BTYD_BGNBD, s, 39);
  }
  bins.forEach((bin, x) => {
    const label = x === 7 ? '7+' : String(x);
    check(`holdout mean, x = ${label}: actual`, HOLDOUT_ACTUAL[x]!, bin.actual / bin.n, 5e-5, 5);
    check(`holdout mean, x = ${label}: BG/NBD`, HOLDOUT_EXPECTED[x]!, bin.expected / bin.n, 5e-5, 5);
  });

  // Per customer against the derived reference values (full-precision parameters).
  const reference = readCsv(join(cdnow, 'derived', 'cdnow_sample_cbs_with_reference_values.csv'));
  let maxSummary = 0;
  let maxPAlive = 0;
  let maxExpected = 0;
  let maxSpend = 0;
  for (const row of reference) {
    const s = summaries.get(Number(row.customer_id))!;
    maxSummary = Math.max(
      maxSummary,
      Math.abs(s.x - Number(row.x)),
      Math.abs(s.tx - Number(row.t_x_weeks)),
      Math.abs(s.T - Number(row.T_weeks)),
      Math.abs(s.meanRepeatSpend - Number(row.mean_repeat_spend)),
    );
    maxPAlive = Math.max(maxPAlive, Math.abs(pAlive(BTYD_BGNBD, s) - Number(row.p_alive_bgnbd)));
    maxExpected = Math.max(
      maxExpected,
      Math.abs(
        conditionalExpectedTransactions(BTYD_BGNBD, s, 39) -
          Number(row.expected_transactions_next_39wk_bgnbd),
      ),
    );
    const spend = expectedAverageSpend(DERIVED_GG, { x: s.x, meanSpend: s.meanRepeatSpend });
    maxSpend = Math.max(maxSpend, Math.abs(spend - Number(row.expected_avg_spend_gammagamma)));
  }
  check('reference rows', 2357, reference.length, 0);
  check('max |summary − reference|', 0, maxSummary, 1e-6);
  check('max |P(alive) − reference|', 0, maxPAlive, 1e-4);
  check('max |E[Y(39)] − reference|', 0, maxExpected, 1e-4);
  check('max |E[spend] − reference| ($)', 0, maxSpend, 1e-4);

  const seconds = (performance.now() - started) / 1000;
  printTable();
  const failed = checks.filter((c) => !c.ok);
  console.log(
    `\nBG/NBD fit: ${bg.iterations} iterations, ${bg.evaluations} evaluations; ` +
      `Gamma-Gamma fit: ${gg.iterations} iterations, ${gg.evaluations} evaluations; ${seconds.toFixed(2)} s`,
  );
  console.log(
    failed.length === 0
      ? `All ${checks.length} checks passed.`
      : `${failed.length} of ${checks.length} checks FAILED.`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
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
  console.error(`verify:datasets: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
