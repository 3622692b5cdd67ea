import { describe, expect, it } from 'vitest';
import { type BgNbdParams, pAlive } from './bgnbd.js';
import { oneTimeBuyerPAlive } from './one-time-buyers.js';
import { riskPAlive, riskTimer } from './risk-timing.js';

const BTYD: BgNbdParams = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };

describe('risk signal', () => {
  it('uses BG/NBD for repeat buyers and the fallback for one-time buyers', () => {
    const repeat = { x: 2, tx: 30.43, T: 38.86 };
    expect(riskPAlive(BTYD, repeat)).toEqual({ pAlive: pAlive(BTYD, repeat), basis: 'bgnbd' });
    expect(riskPAlive(BTYD, { x: 0, tx: 0, T: 38.86 })).toEqual({
      pAlive: oneTimeBuyerPAlive(BTYD, 38.86),
      basis: 'one-time-buyer-fallback',
    });
  });

  it('sets a timer at the age where the signal reaches the threshold', () => {
    for (const summary of [
      { x: 0, tx: 0 },
      { x: 1, tx: 3 },
      { x: 26, tx: 30.85714 },
    ]) {
      const timer = riskTimer(BTYD, summary, 0.55);
      const at = riskPAlive(BTYD, { ...summary, T: timer.age });
      expect(at.basis).toBe(timer.basis);
      expect(at.pAlive).toBeCloseTo(0.55, 9);
    }
  });
});
