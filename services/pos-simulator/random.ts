// A small seeded PRNG (sfc32, seeded through splitmix32) and the distributions the simulator
// draws from. Deterministic: the same seed gives the same sequence on every platform.

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** sfc32 step: a uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 53 bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  nextOpen(): number {
    return 1 - this.next();
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Index drawn with probability proportional to its weight. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Lognormal with the given mean (not median) and log-scale sigma. */
  lognormalWithMean(mean: number, sigma: number): number {
    return mean * Math.exp(sigma * this.normal() - (sigma * sigma) / 2);
  }

  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate: number): number {
    return -Math.log(this.nextOpen()) / rate;
  }

  /** Gamma(shape, scale 1) by Marsaglia and Tsang (boosted for shape < 1). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.nextOpen() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextOpen();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** 1 + a geometric number of failures: P(k) = (1 - p)^(k-1) p for k >= 1. */
  geometric(p: number): number {
    return 1 + Math.floor(Math.log(this.nextOpen()) / Math.log(1 - p));
  }
}

/** Sums and draws by weight over a fixed number of slots, with O(log n) updates (Fenwick tree). */
export class WeightedSlots {
  private readonly tree: Float64Array;
  private readonly weights: Float64Array;
  private sum = 0;
  private nonZero = 0;
  private updates = 0;

  constructor(readonly size: number) {
    this.tree = new Float64Array(size + 1);
    this.weights = new Float64Array(size);
  }

  /** Sum of all weights (exactly 0 when every weight is 0). */
  get total(): number {
    return this.nonZero === 0 ? 0 : this.sum;
  }

  weight(slot: number): number {
    return this.weights[slot]!;
  }

  set(slot: number, weight: number): void {
    const old = this.weights[slot]!;
    const delta = weight - old;
    if (delta === 0) return;
    this.nonZero += (weight !== 0 ? 1 : 0) - (old !== 0 ? 1 : 0);
    this.weights[slot] = weight;
    this.sum += delta;
    for (let i = slot + 1; i <= this.size; i += i & -i) this.tree[i]! += delta;
    // Floating-point sums drift with many updates: rebuild from the weights now and then.
    if (++this.updates >= 4 * this.size + 1024) this.rebuild();
  }

  private rebuild(): void {
    this.updates = 0;
    this.tree.fill(0);
    this.sum = 0;
    for (let slot = 0; slot < this.size; slot++) {
      const w = this.weights[slot]!;
      this.sum += w;
      const i = slot + 1;
      this.tree[i]! += w;
      const parent = i + (i & -i);
      if (parent <= this.size) this.tree[parent]! += this.tree[i]!;
    }
  }

  /** The slot whose cumulative weight range holds `x` (0 <= x < total). */
  find(x: number): number {
    let pos = 0;
    let rest = x;
    let step = 1;
    while (step * 2 <= this.size) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.size && this.tree[next]! <= rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    // Guard against rounding: land on a slot with weight.
    let slot = Math.min(pos, this.size - 1);
    while (slot > 0 && this.weights[slot] === 0) slot--;
    while (slot < this.size - 1 && this.weights[slot] === 0) slot++;
    return slot;
  }
}
