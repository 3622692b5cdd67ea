// Checks of mined rules against published figures, as rows of a printed table: what was expected,
// what came out, the tolerance the source's printed digits allow, ok or FAIL. Shared by the
// Groceries checks so the pure one and the one through Kafka judge alike.

import type { MiningResult } from './apriori.js';
import type { ExpectedRule, PublishedSetting } from './groceries-published.js';
import type { AssociationRule } from './model.js';

export interface Check {
  readonly name: string;
  readonly expected: string;
  readonly got: string;
  readonly tolerance: string;
  readonly ok: boolean;
}

export function numberCheck(
  name: string,
  expected: number,
  got: number,
  tolerance: number,
  digits = 7,
): Check {
  return {
    name,
    expected: formatFigure(expected, digits),
    got: formatFigure(got, digits),
    tolerance: tolerance === 0 ? 'exact' : `±${formatFigure(tolerance, 2)}`,
    ok: Math.abs(got - expected) <= tolerance,
  };
}

export function textCheck(name: string, expected: string, got: string): Check {
  return { name, expected, got, tolerance: 'exact', ok: expected === got };
}

export function formatFigure(v: number, digits: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6
    ? Number(v.toPrecision(digits)).toString()
    : v.toExponential(2);
}

/**
 * Half a unit in the last digit of a published figure: R prints 7 significant digits and drops
 * trailing zeros (0.4 is 0.4000000); where a source printed more decimals, in its last decimal.
 */
export function printedTolerance(v: number): number {
  const decimals = String(v).split('.')[1]?.length ?? 0;
  const sevenSignificant = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - 6);
  return Math.min(sevenSignificant, 0.5 * 10 ** -decimals) + 1e-12;
}

function sameItems(rule: AssociationRule, expected: ExpectedRule): boolean {
  return (
    rule.consequent === expected.consequent &&
    rule.antecedent.length === expected.antecedent.length &&
    rule.antecedent.every((item, i) => item === expected.antecedent[i])
  );
}

export function describeRule(rule: { antecedent: readonly string[]; consequent: string }): string {
  return `{${rule.antecedent.join(', ')}} => {${rule.consequent}}`;
}

/**
 * A setting's rules against its published figures: the rule count, the count of every length either
 * side has, and each example rule (found, its figures; the top one first by lift). `label` names
 * the rows (the setting, and where the rules came from).
 */
export function settingChecks(
  setting: PublishedSetting,
  result: Pick<MiningResult, 'rules' | 'rulesByLength'>,
  label = setting.name,
): Check[] {
  const checks = [numberCheck(`${label}: rules`, setting.rules, result.rules.length, 0)];
  const lengths = new Set(
    [...Object.keys(setting.lengths), ...Object.keys(result.rulesByLength)].map(Number),
  );
  for (const length of [...lengths].sort((a, b) => a - b)) {
    checks.push(
      numberCheck(
        `${label}: rules of length ${length}`,
        setting.lengths[length] ?? 0,
        result.rulesByLength[length] ?? 0,
        0,
      ),
    );
  }
  for (const expected of setting.examples) {
    const name = `${label}: ${describeRule(expected)}`;
    const rule = result.rules.find((r) => sameItems(r, expected));
    if (rule === undefined) {
      checks.push(textCheck(`${name} found`, 'yes', 'no'));
      continue;
    }
    if (expected.top) {
      const first = result.rules[0];
      checks.push(
        textCheck(`${label}: highest lift`, describeRule(expected), first ? describeRule(first) : '-'),
      );
    }
    checks.push(
      numberCheck(`${name} support`, expected.support, rule.support, printedTolerance(expected.support)),
      numberCheck(
        `${name} confidence`,
        expected.confidence,
        rule.confidence,
        printedTolerance(expected.confidence),
      ),
      numberCheck(`${name} lift`, expected.lift, rule.lift, printedTolerance(expected.lift), 8),
    );
    if (expected.count !== undefined)
      checks.push(numberCheck(`${name} count`, expected.count, rule.count, 0));
  }
  return checks;
}

/** The table's lines, a header first, columns padded to their widest cell. */
export function checkTable(checks: readonly Check[]): string[] {
  const header = { name: 'check', expected: 'expected', got: 'got', tolerance: 'tolerance', ok: 'ok' };
  const rows = [header, ...checks.map((c) => ({ ...c, ok: c.ok ? 'ok' : 'FAIL' }))];
  const width = (key: keyof typeof header) => Math.max(...rows.map((r) => r[key].length));
  const w = {
    name: width('name'),
    expected: width('expected'),
    got: width('got'),
    tolerance: width('tolerance'),
  };
  return rows.map(
    (r) =>
      `${r.name.padEnd(w.name)}  ${r.expected.padStart(w.expected)}  ${r.got.padStart(w.got)}  ${r.tolerance.padEnd(w.tolerance)}  ${r.ok}`,
  );
}

export function checkVerdict(checks: readonly Check[]): string {
  const failed = checks.filter((c) => !c.ok).length;
  return failed === 0
    ? `All ${checks.length} checks passed.`
    : `${failed} of ${checks.length} checks FAILED.`;
}
