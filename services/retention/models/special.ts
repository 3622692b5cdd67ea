// Special functions for the BG/NBD and Gamma-Gamma models (README.md, "Numerics").
//
// The likelihoods multiply gamma and beta functions of arguments that grow with a customer's
// purchase count (Γ(r + x), B(a, b + x)); they overflow a double long before x is unusual, so
// everything is computed as logarithms. The conditional expectation of BG/NBD needs the Gauss
// hypergeometric function 2F1 on [0, 1): its Maclaurin series converges there, but ever more
// slowly as z → 1, which is where the linear transformation to 1 − z takes over.

/** Lanczos coefficients for g = 7, n = 9 (Godfrey): relative error below 1e-15 for x ≥ 0.5. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
] as const;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** log Γ(x) for x ≥ 0.5 by the Lanczos approximation. */
function lanczosLogGamma(x: number): number {
  const y = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i += 1) sum += LANCZOS[i]! / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log |Γ(x)| and the sign of Γ(x), for any real x; at the poles (0, −1, −2, …) the value is +∞. */
export interface SignedLogGamma {
  readonly value: number;
  readonly sign: 1 | -1;
}

/**
 * log |Γ(x)| with its sign. Below 0.5 the reflection formula Γ(x)Γ(1 − x) = π / sin(πx) keeps
 * the Lanczos sum in its accurate range; the hypergeometric transformation needs Γ at negative
 * arguments (for example Γ(a − 1) with a < 1).
 */
export function signedLogGamma(x: number): SignedLogGamma {
  if (Number.isNaN(x)) return { value: Number.NaN, sign: 1 };
  if (x >= 0.5) return { value: lanczosLogGamma(x), sign: 1 };
  if (Number.isInteger(x)) return { value: Number.POSITIVE_INFINITY, sign: 1 };
  // sin(πx) computed from the distance to the nearest integer, which keeps it accurate for large |x|.
  const s = sinPi(x);
  const reflected = lanczosLogGamma(1 - x);
  return { value: Math.log(Math.PI / Math.abs(s)) - reflected, sign: s > 0 ? 1 : -1 };
}

/** sin(πx) without the loss of precision of Math.sin(Math.PI * x) for large |x|. */
function sinPi(x: number): number {
  const n = Math.round(x);
  const f = x - n; // in [−0.5, 0.5]
  const s = Math.sin(Math.PI * f);
  return n % 2 === 0 ? s : -s;
}

/**
 * log Γ(x) for x > 0 (relative error about 1e-15, absolute error about 1e-15 near the zeros at
 * x = 1 and x = 2). NaN for x ≤ 0: the models only ever need positive arguments.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x >= 0.5) return lanczosLogGamma(x);
  // Γ(x) = Γ(x + 1) / x keeps small positive arguments accurate without the reflection formula.
  return lanczosLogGamma(x + 1) - Math.log(x);
}

/** log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** log(e^x + e^y) without overflow. */
export function logSumExp(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY) return y;
  if (y === Number.NEGATIVE_INFINITY) return x;
  const m = Math.max(x, y);
  return m + Math.log1p(Math.exp(-Math.abs(x - y)));
}

// ---------------------------------------------------------------------------------------------
// Gauss hypergeometric function

/** Above this z the series in 1 − z (at most 0.1) replaces the series in z. */
export const HYP2F1_TRANSFORM_ABOVE = 0.9;
/** The transformation is not used when c − a − b is this close to an integer (see hyp2f1). */
const NEAR_INTEGER = 1e-3;
const MAX_TERMS = 2_000_000;
const EPSILON = 1e-16;

/**
 * Sums the hypergeometric series Σ (a)_n (b)_n / ((c)_n n!) zⁿ for 0 ≤ z < 1.
 *
 * Convergence test: the tail after a term is bounded by |term| · ρ / (1 − ρ) when every later term
 * ratio is at most ρ < 1. Stopping on the size of the last term alone would stop far too early
 * near z = 1, where the tail is about 1 / (1 − z) times the last term.
 *
 * When is ρ a bound? The ratio of term n + 1 to term n is z · f(n) with
 * f(n) − 1 = ((a + b − c − 1) n + ab − c) / ((c + n)(n + 1)). Past the sign changes of the factors
 * (n > −a, −b, −c) and past the root of that linear numerator, f − 1 keeps one sign: either f ≤ 1
 * from there on (every later ratio ≤ z, so ρ = z), or f > 1 and f − 1 rises to one peak and then
 * falls to 0 (once the ratio stops growing, every later ratio ≤ the next one, so ρ = that ratio).
 */
function series(a: number, b: number, c: number, z: number): number {
  const slope = a + b - c - 1;
  const intercept = a * b - c;
  const root = slope !== 0 ? -intercept / slope : 0;
  const tailFrom = Math.max(0, -a, -b, -c, root);
  let term = 1;
  let sum = 1;
  let ratio = (a * b * z) / c;
  for (let n = 0; n < MAX_TERMS; n += 1) {
    term *= ratio;
    sum += term;
    if (term === 0) return sum;
    const next = (((a + n + 1) * (b + n + 1)) / ((c + n + 1) * (n + 2))) * z;
    if (n + 1 > tailFrom) {
      const inTail = next <= z || next <= ratio;
      const rho = Math.max(next, z);
      if (inTail && rho < 1 && (Math.abs(term) * rho) / (1 - rho) <= EPSILON * Math.abs(sum)) return sum;
    }
    ratio = next;
  }
  throw new RangeError(
    `hyp2f1: series did not converge in ${MAX_TERMS} terms (a=${a}, b=${b}, c=${c}, z=${z}); z is too close to 1`,
  );
}

/** 1 / Γ(x) as a signed log: log |1/Γ(x)| is −∞ at the poles, where 1/Γ is exactly 0. */
function logReciprocalGamma(x: number): SignedLogGamma {
  const g = signedLogGamma(x);
  return { value: -g.value, sign: g.sign };
}

/**
 * The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 (c not 0, −1, −2, …).
 *
 * - z ≤ 0.9: the Maclaurin series in z with the tail-bound convergence test (a few hundred terms
 *   at most, unless a or b are large, when the terms first grow then decay).
 * - z > 0.9: the linear transformation z → 1 − z (Abramowitz & Stegun 15.3.6):
 *
 *     F(a,b;c;z) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) · F(a, b; a+b−c+1; 1−z)
 *                + (1−z)^(c−a−b) Γ(c)Γ(a+b−c)/(Γ(a)Γ(b)) · F(c−a, c−b; c−a−b+1; 1−z)
 *
 *   Near z = 1 the series in z needs about 37 / (1 − z) terms (37 000 at z = 0.999), and its
 *   terms decay so slowly that rounding accumulates; both series in 1 − z ≤ 0.1 converge in a
 *   few dozen terms. The transformation is chosen because it is the one that maps a
 *   neighbourhood of z = 1 to one of 0 (the Pfaff/Euler transformations keep |z| near 1).
 *   Its gamma factors have poles when c − a − b is an integer, and near one the two terms
 *   cancel (losing about log10(1 / distance) digits), so within 1e-3 of an integer the series in
 *   z is summed instead, to at most two million terms (z up to about 1 − 3e-5); beyond that it
 *   throws a RangeError rather than return an inaccurate value.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1: z must be in [0, 1), got ${z}`);
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1: c must not be 0, -1, -2, …, got ${c}`);
  if (z === 0 || a === 0 || b === 0) return 1;
  const s = c - a - b;
  const nearInteger = Math.abs(s - Math.round(s)) < NEAR_INTEGER;
  if (z <= HYP2F1_TRANSFORM_ABOVE || nearInteger) return series(a, b, c, z);

  const w = 1 - z;
  const lgC = signedLogGamma(c);
  const first = combine(
    [lgC, signedLogGamma(s)],
    [logReciprocalGamma(c - a), logReciprocalGamma(c - b)],
    0,
    () => series(a, b, 1 - s, w),
  );
  const second = combine(
    [lgC, signedLogGamma(-s)],
    [logReciprocalGamma(a), logReciprocalGamma(b)],
    s * Math.log(w),
    () => series(c - a, c - b, s + 1, w),
  );
  return first + second;
}

/** Π gammas × Π reciprocal gammas × e^logFactor × the series, in log space with signs. */
function combine(
  gammas: readonly SignedLogGamma[],
  reciprocals: readonly SignedLogGamma[],
  logFactor: number,
  seriesValue: () => number,
): number {
  let logMagnitude = logFactor;
  let sign = 1;
  for (const g of gammas) {
    logMagnitude += g.value;
    sign *= g.sign;
  }
  for (const g of reciprocals) {
    if (g.value === Number.NEGATIVE_INFINITY) return 0; // 1/Γ at a pole: the term vanishes
    logMagnitude += g.value;
    sign *= g.sign;
  }
  return sign * Math.exp(logMagnitude) * seriesValue();
}
