import { describe, expect, it } from 'vitest';
import { ISO_4217_CODES, isActiveCurrency, minorUnitsOf } from './currencies.js';
import { isReasonCode, REASON_CODES, ReasonCode } from './reason-codes.js';

describe('ISO 4217 list', () => {
  it('holds the active codes with their minor units', () => {
    expect(ISO_4217_CODES.length).toBeGreaterThan(150);
    expect(ISO_4217_CODES.every((c) => /^[A-Z]{3}$/.test(c))).toBe(true);
    expect(minorUnitsOf('EUR')).toBe(2);
    expect(minorUnitsOf('JPY')).toBe(0);
    expect(minorUnitsOf('KWD')).toBe(3);
    expect(minorUnitsOf('CLF')).toBe(4);
    expect(minorUnitsOf('ZZZ')).toBeUndefined();
  });

  it('excludes withdrawn codes and codes that are not money in minor units', () => {
    for (const c of ['HRK', 'SLL', 'ZWL', 'VEF', 'XAU', 'XXX', 'XTS', 'XDR', 'eur']) {
      expect(isActiveCurrency(c), c).toBe(false);
    }
    for (const c of ['ZWG', 'XCG', 'SLE', 'VES', 'CHF', 'GBP']) expect(isActiveCurrency(c), c).toBe(true);
  });
});

describe('reason codes', () => {
  it('are their own names', () => {
    for (const [k, v] of Object.entries(ReasonCode)) expect(k).toBe(v);
    expect(REASON_CODES).toHaveLength(20);
    expect(isReasonCode('LATE_EVENT')).toBe(true);
    expect(isReasonCode('late_event')).toBe(false);
  });
});
