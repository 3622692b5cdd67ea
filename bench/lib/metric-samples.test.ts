import { describe, expect, it } from 'vitest';
import { histogramQuantile, quantile, samplesFromText, sumOf } from './metric-samples.js';

const text = `# HELP vs_records_consumed_total Input records fetched, by topic
# TYPE vs_records_consumed_total counter
vs_records_consumed_total{topic="purchases",worker="value-segmentation"} 1200
vs_records_consumed_total{topic="segment-changes",worker="value-segmentation"} 30
vs_redis_commands_total{connection="bench-a-value-segmentation",command="fcall",worker="value-segmentation"} 42
vs_population_waits_total{worker="value-segmentation"} 3
vs_batch_duration_seconds_bucket{le="0.01",worker="value-segmentation"} 2
vs_batch_duration_seconds_bucket{le="0.1",worker="value-segmentation"} 8
vs_batch_duration_seconds_bucket{le="+Inf",worker="value-segmentation"} 10
`;

describe('metric samples', () => {
  it('reads a Prometheus exposition', () => {
    const samples = samplesFromText(text);
    expect(sumOf(samples, 'vs_records_consumed_total')).toBe(1230);
    expect(sumOf(samples, 'vs_records_consumed_total', (l) => l.topic === 'purchases')).toBe(1200);
    expect(
      sumOf(samples, 'vs_redis_commands_total', (l) => l.connection === 'bench-a-value-segmentation'),
    ).toBe(42);
    expect(sumOf(samples, 'vs_population_waits_total')).toBe(3);
  });

  it('interpolates histogram quantiles as histogram_quantile does', () => {
    const samples = samplesFromText(text);
    // rank 5 of 10 falls in (0.01, 0.1] holding ranks 3..8: 0.01 + 0.09 * 3/6.
    expect(histogramQuantile(samples, 'vs_batch_duration_seconds', 0.5)).toBeCloseTo(0.055, 6);
    // rank 9.9 is in the +Inf bucket: the highest finite bound.
    expect(histogramQuantile(samples, 'vs_batch_duration_seconds', 0.99)).toBe(0.1);
    expect(histogramQuantile([], 'vs_batch_duration_seconds', 0.5)).toBeNull();
  });

  it('takes exact quantiles of observed values', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile([], 0.5)).toBeNull();
  });
});
