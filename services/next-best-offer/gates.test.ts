import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdoutFraction, isHoldout } from '../../shared/experiments/holdout.js';
import {
  checkGateSettings,
  type GateInput,
  type GateSettings,
  gateSuggestion,
  holdoutShareOf,
} from './gates.js';

const DAY = 86_400_000;
const settings: GateSettings = {
  cooldownDays: 14,
  holdoutSalt: 'nbo',
  holdoutShareByTier: { top: 0.2, bottom: 0 },
  defaultHoldoutShare: 0.1,
};
const base: GateInput = {
  customerId: 'c-1',
  tier: 'bottom',
  consent: true,
  lastSuggestedAt: null,
  now: 100 * DAY,
  suggestionCount: 2,
};
const gate = (over: Partial<GateInput>, s: GateSettings = settings) =>
  gateSuggestion({ ...base, ...over }, s);

describe('gateSuggestion', () => {
  it('suggests to a consenting customer out of cooldown with suggestions, outside the holdout', () => {
    expect(gate({})).toEqual({ kind: 'suggest' });
  });

  it('stops at the first gate that fails, in the order consent, cooldown, nothing to suggest, holdout', () => {
    const heldOut = { ...settings, holdoutShareByTier: {}, defaultHoldoutShare: 0.999999 };
    const inCooldown = { lastSuggestedAt: base.now - DAY };
    const cases: [Partial<GateInput>, string][] = [
      [{ consent: null, ...inCooldown, suggestionCount: 0 }, 'no-consent'],
      [{ consent: false }, 'no-consent'],
      [{ ...inCooldown, suggestionCount: 0 }, 'cooldown'],
      [{ suggestionCount: 0 }, 'no-suggestion'],
    ];
    for (const [over, reason] of cases)
      expect(gate(over, heldOut), reason).toEqual({ kind: 'suppressed', reason });
    expect(gate({}, heldOut)).toEqual({ kind: 'holdout' });
  });

  it('runs the cooldown from the last suggestion for exactly cooldownDays, and treats a later one as within it', () => {
    expect(gate({ lastSuggestedAt: base.now - 14 * DAY + 1 })).toEqual({
      kind: 'suppressed',
      reason: 'cooldown',
    });
    expect(gate({ lastSuggestedAt: base.now - 14 * DAY })).toEqual({ kind: 'suggest' });
    expect(gate({ lastSuggestedAt: base.now + DAY })).toEqual({ kind: 'suppressed', reason: 'cooldown' });
    expect(gate({ lastSuggestedAt: base.now }, { ...settings, cooldownDays: 0 })).toEqual({
      kind: 'suggest',
    });
  });

  it('holds out the tier’s share, drawn on the salted tier: stable, and independent of retention’s draw', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `customer-${i}`);
    const held = ids.filter((customerId) => gate({ customerId, tier: 'top' }).kind === 'holdout');
    expect(Math.abs(held.length / ids.length - 0.2)).toBeLessThan(0.03);
    expect(held.every((id) => isHoldout(id, 'nbo|top', 0.2))).toBe(true);
    // Retention's holdout of the same tier and share overlaps only by chance (about 0.2² = 4%).
    const both = held.filter((id) => isHoldout(id, 'top', 0.2)).length / ids.length;
    expect(both).toBeGreaterThan(0.02);
    expect(both).toBeLessThan(0.06);
    // Unnamed tiers take the default share; a share of 0 holds nobody out.
    expect(holdoutShareOf('middle', settings)).toBe(0.1);
    expect(holdoutShareOf('constructor', settings)).toBe(0.1);
    expect(ids.every((customerId) => gate({ customerId, tier: 'bottom' }).kind === 'suggest')).toBe(true);
  });

  it('is a function of its inputs (re-deliveries repeat the outcome)', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('top', 'middle', 'bottom'), (customerId, tier) => {
        expect(gate({ customerId, tier })).toEqual(gate({ customerId, tier }));
        expect(gate({ customerId, tier }).kind === 'holdout').toBe(
          holdoutFraction(customerId, `nbo|${tier}`) < holdoutShareOf(tier, settings),
        );
      }),
    );
  });

  it('rejects bad settings', () => {
    expect(() => checkGateSettings({ ...settings, cooldownDays: -1 })).toThrow(/cooldownDays/);
    expect(() => checkGateSettings({ ...settings, holdoutSalt: '' })).toThrow(/holdoutSalt/);
    expect(() => checkGateSettings({ ...settings, holdoutSalt: 'a|b' })).toThrow(/holdoutSalt/);
    expect(() => checkGateSettings({ ...settings, holdoutShareByTier: { top: 1 } })).toThrow(/tier top/);
    expect(() => checkGateSettings({ ...settings, defaultHoldoutShare: -0.1 })).toThrow(
      /defaultHoldoutShare/,
    );
    expect(checkGateSettings(settings)).toBe(settings);
  });
});
