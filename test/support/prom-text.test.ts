import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRuntimeMetrics } from '../../shared/observability/metrics.js';
import { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import { describeFigures, keepUpFigures, keepUpProblems, unreachableFigures } from './keep-up.js';
import { parsePromText, promSeries, promSum } from './prom-text.js';

// The parser the demo smoke test reads its keep-up figures with: on hand-written exposition text
// with every corner of the format, and on what prom-client really serves.

describe('parsePromText', () => {
  it('reads names, labels, values and timestamps, and skips comments and blank lines', () => {
    const text = [
      '# HELP vs_a_total Some help, with "quotes" and \\ backslashes',
      '# TYPE vs_a_total counter',
      'vs_a_total{worker="retention",topic="purchases"} 12',
      'vs_a_total{worker="retention",topic="interactions"} 3.5e2',
      '',
      'vs_b 7 1700000000000',
      '  vs_c{ a = "x" , b="y", }\t-0.25  ',
      'vs_d{} .5',
      '# a comment',
    ].join('\n');
    expect(parsePromText(text)).toEqual([
      { name: 'vs_a_total', labels: { worker: 'retention', topic: 'purchases' }, value: 12 },
      { name: 'vs_a_total', labels: { worker: 'retention', topic: 'interactions' }, value: 350 },
      { name: 'vs_b', labels: {}, value: 7, timestampMs: 1_700_000_000_000 },
      { name: 'vs_c', labels: { a: 'x', b: 'y' }, value: -0.25 },
      { name: 'vs_d', labels: {}, value: 0.5 },
    ]);
  });

  it('unescapes label values, braces and commas inside them included', () => {
    const [sample] = parsePromText('m{a="x\\"}y",b="back\\\\slash",c="two\\nlines",d="{,}= "} 1');
    expect(sample!.labels).toEqual({ a: 'x"}y', b: 'back\\slash', c: 'two\nlines', d: '{,}= ' });
  });

  it('reads NaN and infinities as Prometheus does (any case: prom-client writes Nan)', () => {
    const values = parsePromText('a NaN\nb Nan\nc +Inf\nd -Inf\ne Inf\nf 1e-3\ng -2E+2').map((s) => s.value);
    expect(values.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(values.slice(2)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      0.001,
      -200,
    ]);
  });

  it('accepts Windows line ends and colons in names', () => {
    expect(parsePromText('job:rate:sum{a="b"} 4\r\nx 1\r\n')).toEqual([
      { name: 'job:rate:sum', labels: { a: 'b' }, value: 4 },
      { name: 'x', labels: {}, value: 1 },
    ]);
  });

  it.each([
    ['vs_a', 'no value'],
    ['vs_a{a="b"}', 'no value after labels'],
    ['vs_a{a="b"}1', 'no space before the value'],
    ['vs_a twelve', 'not a number'],
    ['vs_a 1 2 3', 'too many fields'],
    ['vs_a 1 soon', 'bad timestamp'],
    ['vs_a{a="b} 1', 'unterminated value'],
    ['vs_a{a=b} 1', 'unquoted value'],
    ['vs_a{a="b" c="d"} 1', 'missing comma'],
    ['vs_a{a="\\t"} 1', 'unknown escape'],
    ['vs_a{a="1",a="2"} 1', 'repeated label'],
    ['vs_a{1a="x"} 1', 'bad label name'],
    ['{a="b"} 1', 'no name'],
    ['9vs 1', 'name starting with a digit'],
  ])('refuses %s (%s), naming the line', (line) => {
    expect(() => parsePromText(`ok 1\n${line}\n`)).toThrow(/^line 2: /);
  });

  it('reads back exactly what prom-client serves, awkward label values and histograms included', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ worker: 'share-of-wallet' });
    const counter = new Counter({
      name: 'vs_t_total',
      help: 'help with "quotes", \\ and\nnewline',
      labelNames: ['topic'],
      registers: [registry],
    });
    const awkward = ['plain', 'with "quotes"', 'back\\slash', 'new\nline', 'braces {a="b"}, commas', ''];
    for (const [i, topic] of awkward.entries()) counter.inc({ topic }, i + 0.5);
    new Gauge({ name: 'vs_t_gauge', help: 'g', registers: [registry] }).set(Number.NaN);
    const histogram = new Histogram({
      name: 'vs_t_seconds',
      help: 'h',
      buckets: [0.1, 1],
      registers: [registry],
    });
    for (const v of [0.05, 0.5, 5]) histogram.observe(v);

    const samples = parsePromText(await registry.metrics());
    expect(promSeries(samples, 'vs_t_total').map((s) => [s.labels.topic, s.value])).toEqual(
      awkward.map((topic, i) => [topic, i + 0.5]),
    );
    expect(promSeries(samples, 'vs_t_total').every((s) => s.labels.worker === 'share-of-wallet')).toBe(true);
    expect(Number.isNaN(promSeries(samples, 'vs_t_gauge')[0]!.value)).toBe(true);
    expect(promSeries(samples, 'vs_t_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 1],
      ['1', 2],
      ['+Inf', 3],
    ]);
    expect(promSum(samples, 'vs_t_seconds_count')).toBe(3);
    expect(promSum(samples, 'vs_t_seconds_sum')).toBeCloseTo(5.55, 10);
    // Exact names: a histogram's parts are not the histogram, a prefix is not the metric.
    expect(promSeries(samples, 'vs_t_seconds')).toEqual([]);
    expect(promSum(samples, 'vs_t')).toBe(0);
    expect(promSum(samples, 'vs_t_total', (l) => l.topic === 'back\\slash')).toBe(2.5);
  });
});

describe('keep-up figures', () => {
  /** A worker's real /metrics, driven by the runtime's events. */
  async function workerMetrics(drive: (events: RuntimeEvents) => void): Promise<string> {
    const events = new RuntimeEvents();
    const { registry } = createRuntimeMetrics('retention', events, {
      inputTopics: new Map([
        ['x.purchases', 'purchases'],
        ['x.interactions', 'interactions'],
      ]),
    });
    drive(events);
    return registry.metrics();
  }

  const bounds = { maxLag: 1000, maxRatio: 1.5 };

  it("reads a worker's lag and read amplification from its /metrics", async () => {
    const text = await workerMetrics((events) => {
      events.emit('groupJoined', { partitions: [0, 1] });
      events.emit('recordsFetched', { topic: 'purchases', partition: 0, records: 6000 });
      events.emit('recordsFetched', { topic: 'interactions', partition: 1, records: 1500 });
      events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: '6000' });
      events.emit('partitionEndOffset', { topic: 'interactions', partition: 1, endOffset: '1500' });
      events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '5699' });
      events.emit('appliedOffset', { topic: 'interactions', partition: 1, offset: '1399' });
      events.emit('segmentApplied', {
        partition: 0,
        records: 5700,
        applied: 5600,
        deadLettered: 100,
        duplicatesByTopic: {},
        erasures: 0,
        erasedSkipsByTopic: {},
        timersFired: 0,
        outputs: 0,
        durationMs: 1,
        streamTime: null,
      });
      events.emit('segmentApplied', {
        partition: 1,
        records: 1400,
        applied: 1400,
        deadLettered: 0,
        duplicatesByTopic: {},
        erasures: 0,
        erasedSkipsByTopic: {},
        timersFired: 0,
        outputs: 0,
        durationMs: 1,
        streamTime: null,
      });
    });
    const figures = keepUpFigures('retention', text);
    expect(figures).toEqual({
      worker: 'retention',
      lagSeries: 2,
      lag: 400,
      consumed: 7500,
      applied: 7000,
      deadLettered: 100,
      skipped: 0,
      ratio: 7500 / 7100,
    });
    expect(keepUpProblems(figures, bounds)).toEqual([]);
    expect(describeFigures(figures)).toBe(
      'retention: lag 400 over 2 series, consumed 7500 ÷ (applied 7000 + dead-lettered 100 + skipped 0) = 1.056',
    );
  });

  it('fails a worker whose lag does not drain or that fetches records again and again', async () => {
    const text = await workerMetrics((events) => {
      events.emit('recordsFetched', { topic: 'purchases', partition: 0, records: 20_000 });
      events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: '12000' });
      events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '9999' });
      events.emit('segmentApplied', {
        partition: 0,
        records: 10_000,
        applied: 10_000,
        deadLettered: 0,
        duplicatesByTopic: {},
        erasures: 0,
        erasedSkipsByTopic: {},
        timersFired: 0,
        outputs: 0,
        durationMs: 1,
        streamTime: null,
      });
    });
    expect(keepUpProblems(keepUpFigures('value-segmentation', text), bounds)).toEqual([
      'lag 2000 > 1000: records wait unapplied',
      'read amplification 2.00 > 1.5: records fetched again and again',
    ]);
  });

  it('fails, saying why, a worker whose runtime reports neither fetches nor offsets', async () => {
    // What the runtime before the rewrite shows: batches complete, records apply, no lag at all.
    const text = await workerMetrics((events) => {
      events.emit('batchCompleted', {
        partition: 0,
        records: 500,
        skipped: 0,
        skippedByTopic: { purchases: 0 },
        durationMs: 5,
        lag: 0,
      });
      events.emit('segmentApplied', {
        partition: 0,
        records: 500,
        applied: 500,
        deadLettered: 0,
        duplicatesByTopic: {},
        erasures: 0,
        erasedSkipsByTopic: {},
        timersFired: 0,
        outputs: 0,
        durationMs: 1,
        streamTime: null,
      });
    });
    const figures = keepUpFigures('share-of-wallet', text);
    expect(figures.ratio).toBe(0);
    expect(keepUpProblems(figures, bounds)).toEqual([
      'no vs_consumer_lag series: the runtime reported no end offset (partitionEndOffset) for any partition',
      'vs_records_consumed_total is 0: the runtime reported no records fetched (recordsFetched)',
    ]);
    expect(keepUpProblems(keepUpFigures('share-of-wallet', await workerMetrics(() => {})), bounds)).toContain(
      'nothing applied, dead-lettered or skipped yet',
    );
  });

  it('fails a worker whose /metrics cannot be read', () => {
    const figures = unreachableFigures('retention', 'ECONNREFUSED');
    expect(keepUpProblems(figures, bounds)).toEqual(['/metrics unreachable: ECONNREFUSED']);
    expect(describeFigures(figures)).toBe('retention: /metrics unreachable (ECONNREFUSED)');
  });
});
