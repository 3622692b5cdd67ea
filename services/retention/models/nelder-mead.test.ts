import { describe, expect, it } from 'vitest';
import { nelderMead, nelderMeadSteps, runYielding } from './nelder-mead.js';

describe('nelderMead', () => {
  it('finds the minimum of a shifted quadratic', () => {
    const result = nelderMead((x) => (x[0]! - 3) ** 2 + 10 * (x[1]! + 1) ** 2 + 1, [0, 0]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(3, 6);
    expect(result.x[1]).toBeCloseTo(-1, 6);
    expect(result.fx).toBeCloseTo(1, 12);
  });

  it('follows the Rosenbrock valley in four dimensions', () => {
    const rosenbrock = (x: readonly number[]) => {
      let sum = 0;
      for (let i = 0; i + 1 < x.length; i += 1) sum += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
      return sum;
    };
    const result = nelderMead(rosenbrock, [-1.2, 1, -1.2, 1], { maxIterations: 20_000 });
    expect(result.converged).toBe(true);
    for (const v of result.x) expect(v).toBeCloseTo(1, 4);
  });

  it('treats NaN and infinite values as +∞ and moves away from them', () => {
    const f = (x: readonly number[]) => (x[0]! < 0 ? Number.NaN : (x[0]! - 2) ** 2);
    const result = nelderMead(f, [0.1]);
    expect(result.x[0]).toBeCloseTo(2, 6);
  });

  it('reports non-convergence when the iteration budget runs out', () => {
    const result = nelderMead((x) => (x[0]! - 100) ** 2 + (x[1]! - 100) ** 2, [0, 0], { maxIterations: 5 });
    expect(result.converged).toBe(false);
    expect(result.iterations).toBe(5);
  });

  it('stops a run whose best value has stopped improving beyond the tolerance (a bound at infinity)', () => {
    // Its infimum is only approached as x0 runs off to infinity, improving by ever smaller,
    // representable amounts: as BG/NBD's likelihood does when a young population drives a to 0.
    const f = (x: readonly number[]) => 1 / (1 + x[0]! ** 2) + x[1]! ** 2;
    // Without the rule it creeps on until the value underflows to 0, x0 near 1e154.
    const unbounded = nelderMead(f, [1, 1], { stallIterations: Number.POSITIVE_INFINITY });
    expect(unbounded.iterations).toBeGreaterThan(3_000);
    const stalled = nelderMead(f, [1, 1]);
    expect(stalled.converged).toBe(false);
    expect(stalled.iterations).toBeLessThan(1_500);
    expect(stalled.fx).toBeLessThan(1e-12);
    // A run that converges is not stopped: the same iterations and the same point without the rule.
    const quadratic = (x: readonly number[]) => (x[0]! - 3) ** 2 + 10 * (x[1]! + 1) ** 2 + 1;
    const ruled = nelderMead(quadratic, [0, 0]);
    expect(ruled.converged).toBe(true);
    expect(nelderMead(quadratic, [0, 0], { stallIterations: Number.POSITIVE_INFINITY })).toEqual(ruled);
    expect(nelderMead(quadratic, [0, 0], { stallIterations: 20 }).converged, 'the rule can stop a run').toBe(
      false,
    );
  });

  it('restarts until a fresh simplex no longer improves', () => {
    const result = nelderMead((x) => (x[0]! - 1) ** 2 + (x[1]! - 2) ** 2, [0, 0]);
    expect(result.restarts).toBeGreaterThanOrEqual(1);
    expect(result.evaluations).toBeGreaterThan(result.iterations);
  });

  it('run with turns for the event loop, gives the same result, and lets timers and I/O in', async () => {
    const slow = (x: readonly number[]) => {
      let spin = 0;
      for (let i = 0; i < 2_000; i += 1) spin += Math.sqrt(i);
      return (x[0]! - 3) ** 2 + 10 * (x[1]! + 1) ** 2 + 1 + spin * 0;
    };
    let turns = 0;
    const ticker = setInterval(() => {
      turns += 1;
    }, 0);
    const yielding = await runYielding(nelderMeadSteps(slow, [0, 0]), 1);
    clearInterval(ticker);
    expect(yielding).toEqual(nelderMead(slow, [0, 0]));
    expect(turns).toBeGreaterThan(0);
  });
});
