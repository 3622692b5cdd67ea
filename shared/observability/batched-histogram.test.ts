import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchedHistogram } from './batched-histogram.js';

// The batched histogram must be exposed exactly as prom-client's Histogram would expose the same
// observations: Prometheus, dashboards and the alert rules read it under the same name. Bounds
// are not negative here: prom-client files a value above every bound under a bound of -1.
function pair(buckets: number[]) {
  const reference = new Registry();
  const batched = new Registry();
  const options = { name: 'vs_test_share', help: 'a share', labelNames: ['basis', 'window'] as const };
  const promHistogram = new Histogram({
    ...options,
    labelNames: [...options.labelNames],
    buckets,
    registers: [reference],
  });
  const histogram = new BatchedHistogram({ ...options, buckets, registers: [batched] });
  return { reference, batched, promHistogram, histogram };
}

const labelSets = [
  { basis: 'household-calories', window: '28' },
  { basis: 'headcount-peer-usage', window: '91' },
  { basis: 'household-calories', window: '91' },
];

describe('BatchedHistogram', () => {
  it('is exposed (text and JSON) as prom-client exposes a Histogram of the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 8 })
          .map((tenths) => tenths.sort((a, b) => a - b).map((n) => n / 10)),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: labelSets.length - 1 }),
            fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constantFrom(0.1, 1, 2, 0)),
          ),
          { maxLength: 200 },
        ),
        async (buckets, observations) => {
          const { reference, batched, promHistogram, histogram } = pair(buckets);
          // A series is made at its first observation in both.
          const series = new Map<number, ReturnType<typeof histogram.labels>>();
          for (const [set, value] of observations) {
            promHistogram.observe(labelSets[set]!, value);
            if (!series.has(set)) series.set(set, histogram.labels(labelSets[set]!));
            series.get(set)!.observe(value);
          }
          expect(await batched.metrics()).toBe(await reference.metrics());
          expect(await batched.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a label set that is not the histogram's, and a value that is not a number", () => {
    const { histogram } = pair([1]);
    expect(() => histogram.labels({ basis: 'x' } as never)).toThrow(/takes the labels basis, window/);
    expect(() => histogram.labels({ basis: 'x', window: '1' }).observe(Number.NaN)).toThrow(
      /not a valid number/,
    );
  });

  it('a series handle kept across a reset observes into the series made anew', async () => {
    const { batched, histogram } = pair([1, 2]);
    const series = histogram.labels(labelSets[0]!);
    series.observe(0.5);
    histogram.reset();
    expect(await batched.metrics()).not.toContain('vs_test_share_count');
    series.observe(1.5);
    expect(await batched.metrics()).toContain(
      'vs_test_share_count{basis="household-calories",window="28"} 1',
    );
    expect(await batched.metrics()).toContain(
      'vs_test_share_sum{basis="household-calories",window="28"} 1.5',
    );
  });
});
