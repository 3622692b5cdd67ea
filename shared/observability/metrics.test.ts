import { describe, expect, it } from 'vitest';
import { type PromSample, parsePromText, promSeries, promSum } from '../../test/support/prom-text.js';
import { RuntimeEvents } from '../runtime/runtime-events.js';
import { createRuntimeMetrics } from './metrics.js';

// The runtime's metrics as /metrics shows them, driven by the runtime's events: what the consumer
// and the partition processors emit (shared/runtime/runtime-events.ts), emitted here by hand.

const STALL = 60_000;

function setup(inputTopics?: ReadonlyMap<string, string>) {
  const clock = { ms: 1_000_000 };
  const events = new RuntimeEvents();
  const metrics = createRuntimeMetrics('value-segmentation', events, {
    stallAfterMs: STALL,
    clock: () => clock.ms,
    ...(inputTopics ? { inputTopics } : {}),
  });
  const scrape = async (): Promise<PromSample[]> => parsePromText(await metrics.registry.metrics());
  return { clock, events, metrics, scrape };
}

/** `{labels} value` of each series of a metric, labels in name order, `worker` left out. */
function seriesOf(samples: readonly PromSample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of promSeries(samples, name)) {
    const { worker: _, ...labels } = s.labels;
    const key = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(',');
    out[key] = s.value;
  }
  return out;
}

function segment(
  partition: number,
  applied: number,
  deadLettered = 0,
  streamTime: number | null = null,
  duplicatesByTopic: Record<string, number> = {},
) {
  const duplicates = Object.values(duplicatesByTopic).reduce((a, b) => a + b, 0);
  return {
    partition,
    records: applied + deadLettered + duplicates,
    applied,
    deadLettered,
    duplicatesByTopic,
    erasures: 0,
    erasedSkipsByTopic: {},
    timersFired: 0,
    outputs: 0,
    durationMs: 1,
    streamTime,
  };
}

describe('runtime metrics from the runtime events', () => {
  it('counts records fetched (re-fetches included) as consumed, and what settled them', async () => {
    const { events, scrape } = setup();
    events.emit('recordsFetched', { topic: 'purchases', partition: 0, records: 500 });
    events.emit('recordsFetched', { topic: 'purchases', partition: 0, records: 500 }); // re-fetched
    events.emit('recordsFetched', { topic: 'customer-profiles', partition: 1, records: 20 });
    events.emit('segmentApplied', segment(0, 480, 15));
    events.emit('segmentApplied', segment(1, 20));
    events.emit('batchCompleted', {
      partition: 0,
      records: 500,
      skipped: 5,
      skippedByTopic: { purchases: 5 },
      durationMs: 30,
      lag: 0,
    });
    const samples = await scrape();
    expect(seriesOf(samples, 'vs_records_consumed_total')).toEqual({
      'topic=purchases': 1000,
      'topic=customer-profiles': 20,
    });
    expect(seriesOf(samples, 'vs_records_applied_total')).toEqual({ '': 500 });
    expect(seriesOf(samples, 'vs_records_dead_lettered_total')).toEqual({ '': 15 });
    expect(seriesOf(samples, 'vs_records_skipped_total')).toEqual({ 'topic=purchases': 5 });
    // Read amplification, from /metrics alone: 1020 ÷ (500 + 15 + 5).
    const settled =
      promSum(samples, 'vs_records_applied_total') +
      promSum(samples, 'vs_records_dead_lettered_total') +
      promSum(samples, 'vs_records_skipped_total');
    expect(promSum(samples, 'vs_records_consumed_total') / settled).toBeCloseTo(1020 / 520, 10);
    // One observation per fetch; batchCompleted's records are no longer counted as consumed.
    expect(promSum(samples, 'vs_batch_records_count')).toBe(3);
    expect(promSum(samples, 'vs_batch_duration_seconds_count')).toBe(1);
  });

  it('exposes the per-topic counters of the input topics at 0 from the start', async () => {
    const { scrape } = setup(
      new Map([
        ['env.purchases', 'purchases'],
        ['env.customer-profiles', 'customer-profiles'],
      ]),
    );
    const samples = await scrape();
    for (const name of ['vs_records_consumed_total', 'vs_records_skipped_total'])
      expect(seriesOf(samples, name), name).toEqual({ 'topic=purchases': 0, 'topic=customer-profiles': 0 });
    expect(seriesOf(samples, 'vs_records_dead_lettered_total')).toEqual({ '': 0 });
  });

  it("lags by the end offset of the last fetch minus Redis's applied offset minus 1", async () => {
    const { events, scrape } = setup();
    events.emit('groupJoined', { partitions: [0, 1, 2] });
    // Fetched up to the end, nothing applied yet: the end offset (the log start is unknown).
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: '1000' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 1000 });
    // The claim read Redis's applied offset; then steps apply.
    events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '199' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 800 });
    events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '998' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 1 });
    events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '999' });
    // An applied offset but no fetch yet: no series; the other topic of a partition has its own.
    events.emit('appliedOffset', { topic: 'purchases', partition: 1, offset: '5' });
    events.emit('partitionEndOffset', { topic: 'customer-profiles', partition: 0, endOffset: '40' });
    events.emit('appliedOffset', { topic: 'customer-profiles', partition: 0, offset: '9' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({
      'partition=0,topic=purchases': 0,
      'partition=0,topic=customer-profiles': 30,
    });
    // More records arrive: the next fetch says so.
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: '1500' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')['partition=0,topic=purchases']).toBe(500);
  });

  it("never reads kafkajs's fetch position: a batch completed is not a lag", async () => {
    const { events, scrape } = setup();
    events.emit('batchCompleted', {
      partition: 0,
      records: 500,
      skipped: 0,
      skippedByTopic: { purchases: 0 },
      durationMs: 30,
      lag: 0,
    });
    expect(promSeries(await scrape(), 'vs_consumer_lag')).toEqual([]);
  });

  it('counts a commit past transaction markers and aborted records as settled (cluster topic names too)', async () => {
    const { events, scrape } = setup(new Map([['env.purchases', 'purchases']]));
    events.emit('groupJoined', { partitions: [0] });
    events.emit('partitionClaimed', { partition: 0, leftoverOutbox: 0, redisBehindKafka: false });
    events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '97' });
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: '100' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 2 });
    events.emit('offsetsCommitted', { topic: 'env.purchases', partition: 0, offset: '100' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 0 });
    // Claimed again (a retry after an unknown outcome): the commit still holds.
    events.emit('partitionClaimed', { partition: 0, leftoverOutbox: 0, redisBehindKafka: false });
    events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '97' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 0 });
    // A claim that found Redis behind Kafka (lost writes): only Redis's offset counts again.
    events.emit('partitionClaimed', { partition: 0, leftoverOutbox: 0, redisBehindKafka: true });
    events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '49' });
    expect(seriesOf(await scrape(), 'vs_consumer_lag')).toEqual({ 'partition=0,topic=purchases': 50 });
  });

  it("drops a released partition's series and ignores its late events until it is claimed again", async () => {
    const { events, scrape } = setup();
    events.emit('groupJoined', { partitions: [0, 1] });
    for (const partition of [0, 1]) {
      events.emit('partitionEndOffset', { topic: 'purchases', partition, endOffset: '100' });
      events.emit('appliedOffset', { topic: 'purchases', partition, offset: '49' });
      events.emit('segmentApplied', segment(partition, 10, 0, 1_700_000_000_000));
      events.emit('outboxBacklog', { partition, entries: 3 });
      events.emit('pendingTimers', { partition, timers: 7 });
    }
    const partitionMetrics = [
      'vs_consumer_lag',
      'vs_partition_stalled',
      'vs_stream_time_seconds',
      'vs_outbox_backlog',
      'vs_pending_timers',
    ];
    const partitionsOf = (samples: PromSample[], name: string) =>
      [...new Set(promSeries(samples, name).map((s) => s.labels.partition))].sort();
    let samples = await scrape();
    for (const name of partitionMetrics) expect(partitionsOf(samples, name), name).toEqual(['0', '1']);

    events.emit('partitionReleased', { partition: 1 });
    // A fetch or a step in flight at the release reports late: it must not bring partition 1 back.
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 1, endOffset: '120' });
    events.emit('segmentApplied', segment(1, 5, 0, 1_700_000_000_000));
    events.emit('outboxBacklog', { partition: 1, entries: 1 });
    samples = await scrape();
    for (const name of partitionMetrics) expect(partitionsOf(samples, name), name).toEqual(['0']);
    // The counters keep what partition 1 applied.
    expect(promSum(samples, 'vs_records_applied_total')).toBe(25);

    // Claimed again (the runtime took it back): reported afresh.
    events.emit('partitionClaimed', { partition: 1, leftoverOutbox: 0, redisBehindKafka: false });
    events.emit('appliedOffset', { topic: 'purchases', partition: 1, offset: '54' });
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 1, endOffset: '120' });
    samples = await scrape();
    expect(seriesOf(samples, 'vs_consumer_lag')).toEqual({
      'partition=0,topic=purchases': 50,
      'partition=1,topic=purchases': 65,
    });
  });

  it('keeps only the partitions of a new assignment, and ignores the others', async () => {
    const { events, scrape } = setup();
    events.emit('groupJoined', { partitions: [0, 1, 2] });
    for (const partition of [0, 1, 2])
      events.emit('partitionEndOffset', { topic: 'purchases', partition, endOffset: '10' });
    events.emit('groupJoined', { partitions: [2, 3] });
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: '11' });
    events.emit('appliedOffset', { topic: 'purchases', partition: 1, offset: '3' });
    events.emit('partitionClaimed', { partition: 0, leftoverOutbox: 0, redisBehindKafka: false });
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 3, endOffset: '5' });
    const samples = await scrape();
    expect(seriesOf(samples, 'vs_consumer_lag')).toEqual({
      'partition=2,topic=purchases': 10,
      'partition=3,topic=purchases': 5,
    });
    expect(seriesOf(samples, 'vs_partition_stalled')).toEqual({ 'partition=2': 0, 'partition=3': 0 });
  });

  it('marks a partition stalled when records wait and none is applied for STALL_AFTER_MS', async () => {
    const { clock, events, metrics, scrape } = setup();
    events.emit('groupJoined', { partitions: [0, 1] });
    for (const partition of [0, 1]) {
      events.emit('appliedOffset', { topic: 'purchases', partition, offset: '99' });
      events.emit('partitionEndOffset', { topic: 'purchases', partition, endOffset: '600' });
    }
    let samples = await scrape();
    expect(seriesOf(samples, 'vs_partition_stalled')).toEqual({ 'partition=0': 0, 'partition=1': 0 });
    expect(seriesOf(samples, 'vs_stalled_partitions')).toEqual({ '': 0 });

    // Partition 0 applies every 20 s; partition 1 (waiting at a barrier, say) applies nothing.
    for (let i = 1; i <= 3; i++) {
      clock.ms += 20_000;
      events.emit('segmentApplied', segment(0, 100));
      events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: String(99 + 100 * i) });
    }
    samples = await scrape();
    expect(seriesOf(samples, 'vs_partition_stalled')).toEqual({ 'partition=0': 0, 'partition=1': 1 });
    expect(seriesOf(samples, 'vs_stalled_partitions')).toEqual({ '': 1 });
    expect(metrics.stalledPartitions()).toEqual([{ partition: 1, lag: 500, waitingMs: STALL }]);

    // A dead-lettered record is progress too.
    events.emit('segmentApplied', segment(1, 0, 1));
    expect(metrics.stalledPartitions()).toEqual([]);
    clock.ms += STALL;
    expect(metrics.stalledPartitions().map((s) => s.partition)).toEqual([0, 1]);
    // Caught up: not stalled, however long it idles.
    for (const partition of [0, 1])
      events.emit('appliedOffset', { topic: 'purchases', partition, offset: '599' });
    clock.ms += 10 * STALL;
    samples = await scrape();
    expect(seriesOf(samples, 'vs_stalled_partitions')).toEqual({ '': 0 });
    expect(seriesOf(samples, 'vs_consumer_lag')).toEqual({
      'partition=0,topic=purchases': 0,
      'partition=1,topic=purchases': 0,
    });
    // Released while stalled: no longer this member's concern.
    events.emit('partitionEndOffset', { topic: 'purchases', partition: 1, endOffset: '700' });
    clock.ms += STALL;
    expect(metrics.stalledPartitions().map((s) => s.partition)).toEqual([1]);
    events.emit('partitionReleased', { partition: 1 });
    expect(metrics.stalledPartitions()).toEqual([]);
    expect(seriesOf(await scrape(), 'vs_partition_stalled')).toEqual({ 'partition=0': 0 });
  });

  it('ignores offsets it cannot read instead of throwing into the runtime', async () => {
    const { events, scrape } = setup();
    expect(() => {
      events.emit('partitionEndOffset', { topic: 'purchases', partition: 0, endOffset: 'not an offset' });
      events.emit('appliedOffset', { topic: 'purchases', partition: 0, offset: '' });
      events.emit('offsetsCommitted', { topic: 'purchases', partition: 0, offset: '1.5' });
    }).not.toThrow();
    expect(promSeries(await scrape(), 'vs_consumer_lag')).toEqual([]);
  });
});
