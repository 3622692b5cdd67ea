// A Prometheus histogram for observations made millions of times a minute. prom-client's
// Histogram.observe validates and hashes the label set at every call (about 1.4 µs); share of
// wallet observes every customer's share at every daily evaluation, several million times in a
// year's replay, which cost more than the evaluations themselves. Here a caller resolves a label
// set to its series once and observes into it (a bucket search and two additions); the registry
// exposes it exactly as prom-client exposes a Histogram (batched-histogram.test.ts).

import type { Metric, Registry } from 'prom-client';

interface SeriesData<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  /** False once the histogram was reset: a handle then finds (or makes) its series again. */
  live: boolean;
  /** Observations per bucket, not cumulative; the last one counts those above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One label set's series: observe into it without naming the labels again. */
export class HistogramSeries<L extends string> {
  constructor(
    private data: SeriesData<L>,
    private readonly histogram: BatchedHistogram<L>,
    private readonly upperBounds: readonly number[],
  ) {}

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (!this.data.live) this.data = this.histogram.seriesData(this.data.labels);
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i += 1;
    this.data.counts[i]! += 1;
    this.data.sum += value;
    this.data.count += 1;
  }
}

export class BatchedHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly upperBounds: readonly number[];
  private series = new Map<string, SeriesData<L>>();

  constructor(options: {
    name: string;
    help: string;
    labelNames: readonly L[];
    buckets: readonly number[];
    registers: readonly Registry[];
  }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [...options.labelNames].sort();
    if (
      !options.buckets.every(
        (bound, i) => Number.isFinite(bound) && (i === 0 || bound > options.buckets[i - 1]!),
      )
    )
      throw new Error(`${options.name}: buckets must be finite and strictly increasing`);
    this.upperBounds = [...options.buckets];
    // prom-client's registry takes any object with its metrics' shape (name, help, type, get, reset).
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly L[];

  /** The series of a label set (every label of the histogram, no other). */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries<L> {
    const given = Object.keys(labels).sort();
    if (given.length !== this.labelNames.length || given.some((name, i) => name !== this.labelNames[i]))
      throw new Error(`${this.name} takes the labels ${this.labelNames.join(', ')}, got ${given.join(', ')}`);
    return new HistogramSeries(this.seriesData(labels), this, this.upperBounds);
  }

  /** @internal The data of a label set's series, made at its first observation. */
  seriesData(labels: Readonly<Record<L, string>>): SeriesData<L> {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let data = this.series.get(key);
    if (!data) {
      data = {
        labels: { ...labels },
        live: true,
        counts: new Array(this.upperBounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.series.set(key, data);
    }
    return data;
  }

  /** As prom-client's Histogram.getForPromString: buckets (cumulative), +Inf, sum, count per series. */
  async getForPromString() {
    const values: Array<{
      labels: Record<string, string | number>;
      sharedLabels: Record<string, string>;
      value: number;
      metricName: string;
      exemplar?: null;
    }> = [];
    for (const data of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += data.counts[i]!;
        values.push({
          labels: { le: bound },
          sharedLabels: data.labels,
          value: cumulative,
          metricName: `${this.name}_bucket`,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: data.labels,
          value: data.count,
          metricName: `${this.name}_bucket`,
          exemplar: null,
        },
        { labels: {}, sharedLabels: data.labels, value: data.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: data.labels, value: data.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's Histogram.get: each value's labels with its series' labels. */
  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...value }) => ({
        ...value,
        labels: { ...sharedLabels, ...labels },
      })),
    };
  }

  reset(): void {
    for (const data of this.series.values()) data.live = false;
    this.series = new Map();
  }
}
