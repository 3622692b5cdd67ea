// Checks against published figures must fail when a figure is off by more than its printed digits
// allow, when a rule is missing, or when another rule comes first; and pass on the figures as printed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PublishedSetting } from './groceries-published.js';
import type { AssociationRule } from './model.js';
import {
  checkTable,
  checkVerdict,
  numberCheck,
  printedTolerance,
  settingChecks,
} from './published-checks.js';

describe('printedTolerance', () => {
  it('is half a unit of the 7th significant digit, or of the last printed decimal if finer', () => {
    expect(printedTolerance(0.9047619)).toBeCloseTo(5e-8, 11);
    // Printed with 8 significant digits: its last decimal is the finer unit.
    expect(printedTolerance(11.235269)).toBeCloseTo(5e-7, 11);
    // 0.4 stands for R's 0.4000000: seven significant digits, not one decimal.
    expect(printedTolerance(0.4)).toBeCloseTo(5e-8, 11);
  });

  it('accepts every value that prints as the published figure at 7 significant digits', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-4, max: 1e3, noNaN: true }),
        fc.double({ min: -0.49, max: 0.49 }),
        (v, shift) => {
          const published = Number(v.toPrecision(7));
          const unit = 10 ** (Math.floor(Math.log10(published)) - 6);
          const got = published + shift * unit;
          return (
            Number(got.toPrecision(7)) !== published ||
            Math.abs(got - published) <= printedTolerance(published)
          );
        },
      ),
    );
  });
});

describe('numberCheck', () => {
  it('is ok within the tolerance and fails outside it', () => {
    expect(numberCheck('n', 410, 410, 0).ok).toBe(true);
    expect(numberCheck('n', 410, 409, 0).ok).toBe(false);
    expect(numberCheck('x', 0.5, 0.50004, 5e-5).ok).toBe(true);
    expect(numberCheck('x', 0.5, 0.50006, 5e-5).ok).toBe(false);
  });
});

const rule = (antecedent: string[], consequent: string, count: number, lift: number): AssociationRule => ({
  antecedent,
  consequent,
  count,
  support: count / 100,
  confidence: 0.9,
  lift,
});

const setting: PublishedSetting = {
  name: 'toy',
  options: { minSupport: 0.01, minConfidence: 0.5, minLen: 1, maxLen: 10 },
  rules: 2,
  lengths: { 2: 1, 3: 1 },
  examples: [
    { antecedent: ['a', 'b'], consequent: 'c', support: 0.05, confidence: 0.9, lift: 3, count: 5, top: true },
  ],
};

describe('settingChecks', () => {
  const top = rule(['a', 'b'], 'c', 5, 3);
  const other = rule(['d'], 'e', 7, 2);

  it('passes the rules as published', () => {
    const checks = settingChecks(setting, { rules: [top, other], rulesByLength: { 2: 1, 3: 1 } });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checkVerdict(checks)).toBe(`All ${checks.length} checks passed.`);
  });

  it('fails a wrong count, an extra length, a missing or displaced rule, a wrong figure', () => {
    const failing = (rules: AssociationRule[], rulesByLength: Record<number, number>) =>
      settingChecks(setting, { rules, rulesByLength })
        .filter((c) => !c.ok)
        .map((c) => c.name);
    expect(failing([top], { 3: 1 })).toEqual(['toy: rules', 'toy: rules of length 2']);
    expect(failing([top, other], { 2: 1, 3: 1, 4: 1 })).toEqual(['toy: rules of length 4']);
    expect(failing([other, rule(['a'], 'c', 5, 3)], { 2: 2 })).toContain('toy: {a, b} => {c} found');
    expect(failing([other, top], { 2: 1, 3: 1 })).toEqual(['toy: highest lift']);
    expect(failing([rule(['a', 'b'], 'c', 6, 3), other], { 2: 1, 3: 1 })).toEqual([
      'toy: {a, b} => {c} support',
      'toy: {a, b} => {c} count',
    ]);
  });

  it('names its rows with the label given', () => {
    const checks = settingChecks(
      setting,
      { rules: [top, other], rulesByLength: { 2: 1, 3: 1 } },
      'view, toy',
    );
    expect(checks.every((c) => c.name.startsWith('view, toy: '))).toBe(true);
    expect(checkTable(checks)).toHaveLength(checks.length + 1);
  });
});
