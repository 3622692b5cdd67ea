// Derivative-free minimisation by the Nelder–Mead simplex method (Nelder & Mead 1965, with the
// coefficients and tie rules of Lagarias, Reeds, Wright & Wright 1998, "Convergence properties of
// the Nelder–Mead simplex method in low dimensions"). The model likelihoods have 3 or 4 smooth
// parameters and no cheap gradient (the gradient of log Γ needs digamma, and the fit runs rarely),
// which is the setting the method suits. Its known weakness is that the simplex can collapse
// before reaching a minimum; restarting from the best point with a fresh simplex until a restart
// no longer improves is the usual remedy (Press et al., Numerical Recipes, "Downhill simplex method").

export interface NelderMeadOptions {
  /** Side of the initial simplex along each coordinate (default 0.5). */
  readonly initialStep?: number;
  /** A run stops when the simplex's values differ by at most fTolerance · (1 + |f(best)|) … */
  readonly fTolerance?: number;
  /** … and its vertices by at most xTolerance in every coordinate. */
  readonly xTolerance?: number;
  /** Iterations over all runs (default 10 000). */
  readonly maxIterations?: number;
  /** Fresh simplices after the first run (default 10). */
  readonly maxRestarts?: number;
  /**
   * A run stops, unconverged, when its best value has not improved by more than
   * fTolerance · (1 + |f(best)|) in this many iterations (default 1,000; Infinity: never).
   */
  readonly stallIterations?: number;
}

export interface NelderMeadResult {
  readonly x: readonly number[];
  readonly fx: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly restarts: number;
  /** A run met the tolerances and a restart from its best point did not improve on it. */
  readonly converged: boolean;
}

const REFLECT = 1;
const EXPAND = 2;
const CONTRACT = 0.5;
const SHRINK = 0.5;

interface Vertex {
  x: number[];
  f: number;
}

/** Minimises f from x0. A NaN or infinite f(x) counts as +∞, so the simplex moves away from it. */
export function nelderMead(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  return runToEnd(nelderMeadSteps(f, x0, options));
}

/** A computation that pauses (yields) between its steps, so that its caller can let others run. */
export type Steps<T> = Generator<void, T, void>;

/** Runs steps to the end at once. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Runs steps to the end, giving the event loop a turn (setImmediate) whenever `sliceMs` of them
 * have run: a fit that takes seconds (one that does not converge runs a thousand iterations or more) must not
 * stop a worker's heartbeats, fetches and other partitions for that long. The result is the same
 * as runToEnd's.
 */
export async function runYielding<T>(steps: Steps<T>, sliceMs = 10): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** nelderMead, pausing after every iteration. */
export function* nelderMeadSteps(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): Steps<NelderMeadResult> {
  const step = options.initialStep ?? 0.5;
  const fTolerance = options.fTolerance ?? 1e-12;
  const xTolerance = options.xTolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 10_000;
  const maxRestarts = options.maxRestarts ?? 10;
  const stallIterations = options.stallIterations ?? 1000;
  const n = x0.length;
  let evaluations = 0;
  const evaluate = (x: number[]): Vertex => {
    evaluations += 1;
    const value = f(x);
    return { x, f: Number.isFinite(value) ? value : Number.POSITIVE_INFINITY };
  };

  let iterations = 0;
  let best = evaluate([...x0]);
  let restarts = 0;
  let converged = false;

  for (let run = 0; run <= maxRestarts && iterations < maxIterations; run += 1) {
    const simplex: Vertex[] = [best];
    for (let i = 0; i < n; i += 1) {
      const x = [...best.x];
      x[i] = x[i]! + step;
      simplex.push(evaluate(x));
    }
    let runConverged = false;
    // The best value of the run's last real improvement, and the iteration it came at.
    let improved = { f: Number.POSITIVE_INFINITY, at: iterations };
    while (iterations < maxIterations) {
      simplex.sort((u, v) => u.f - v.f);
      if (withinTolerance(simplex, fTolerance, xTolerance)) {
        runConverged = true;
        break;
      }
      const bestF = simplex[0]!.f;
      if (!(improved.f - bestF <= fTolerance * (1 + Math.abs(bestF))))
        improved = { f: bestF, at: iterations };
      else if (iterations - improved.at >= stallIterations) break;
      iterations += 1;
      iterate(simplex, evaluate);
      yield;
    }
    simplex.sort((u, v) => u.f - v.f);
    const previous = best;
    best = simplex[0]!;
    if (!runConverged) break;
    // A restart that cannot improve on the previous run's point confirms it.
    if (run > 0 && previous.f - best.f <= fTolerance * (1 + Math.abs(best.f))) {
      converged = true;
      break;
    }
    if (run < maxRestarts) restarts += 1;
  }
  return { x: best.x, fx: best.f, iterations, evaluations, restarts, converged };
}

function withinTolerance(simplex: readonly Vertex[], fTolerance: number, xTolerance: number): boolean {
  const best = simplex[0]!;
  if (!Number.isFinite(best.f)) return false;
  for (const v of simplex) {
    if (Math.abs(v.f - best.f) > fTolerance * (1 + Math.abs(best.f))) return false;
    for (let i = 0; i < best.x.length; i += 1) {
      if (Math.abs(v.x[i]! - best.x[i]!) > xTolerance) return false;
    }
  }
  return true;
}

/** One Nelder–Mead step on a simplex sorted by value (best first); updates it in place. */
function iterate(simplex: Vertex[], evaluate: (x: number[]) => Vertex): void {
  const n = simplex.length - 1;
  const worst = simplex[n]!;
  const centroid = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k += 1) {
    for (let i = 0; i < n; i += 1) centroid[i] = centroid[i]! + simplex[k]!.x[i]! / n;
  }
  const along = (t: number): number[] => centroid.map((c, i) => c + t * (c - worst.x[i]!));

  const reflected = evaluate(along(REFLECT));
  if (reflected.f < simplex[0]!.f) {
    const expanded = evaluate(along(REFLECT * EXPAND));
    simplex[n] = expanded.f < reflected.f ? expanded : reflected;
    return;
  }
  if (reflected.f < simplex[n - 1]!.f) {
    simplex[n] = reflected;
    return;
  }
  if (reflected.f < worst.f) {
    const outside = evaluate(along(REFLECT * CONTRACT));
    if (outside.f <= reflected.f) {
      simplex[n] = outside;
      return;
    }
  } else {
    const inside = evaluate(along(-CONTRACT));
    if (inside.f < worst.f) {
      simplex[n] = inside;
      return;
    }
  }
  const bestX = simplex[0]!.x;
  for (let k = 1; k <= n; k += 1) {
    simplex[k] = evaluate(bestX.map((b, i) => b + SHRINK * (simplex[k]!.x[i]! - b)));
  }
}
