import type { ScenarioName } from './options.js';
import type { ProgressPauses } from './progress-timeline.js';

// What a scenario measured, the markdown table and the thresholds of --check. Pure.

export type ScenarioStatus = 'ok' | 'timeout' | 'crashed' | 'error';

export interface Latency {
  readonly p50: number | null;
  readonly p99: number | null;
  readonly count: number;
  /** exact: from every runtime event; histogram: interpolated from vs_batch_duration_seconds buckets. */
  readonly from: 'events' | 'histogram';
}

export interface LivePart {
  /** Records per second asked for, and what the producer achieved. */
  readonly rate: number;
  readonly achievedRate: number;
  readonly records: number;
  readonly productionSeconds: number;
  /** From the last live record acknowledged by Kafka to every end offset applied in Redis. */
  readonly drainSeconds: number | null;
  /**
   * From Kafka's acknowledgement of a produced chunk to Redis's applied offset reaching its last
   * record, per partition and chunk (50 ms polling: ± 50 ms).
   */
  readonly latencyMs: {
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
  readonly latencySamples: number;
  /** Chunks whose records were not all applied by the end of the scenario. */
  readonly unappliedSamples: number;
  /** Most records produced (acknowledged) and not yet applied, seen while producing. */
  readonly maxLagRecords: number;
}

export interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly title: string;
  readonly status: ScenarioStatus;
  /** Why it failed, naming how far it got. */
  readonly failure?: string;
  readonly workerProcesses: number;
  /** Settings that differ from the defaults (env names). */
  readonly settings: Readonly<Record<string, string>>;
  /** Records in the input topics (high - low watermark), by logical topic. */
  readonly records: {
    readonly total: number;
    readonly byTopic: Readonly<Record<string, number>>;
    /**
     * Records in the input topics when the worker stopped: more than total when the worker writes
     * into one of its own inputs (retention's loyalty-ladder moves go to segment-changes, which it
     * reads). Read amplification is over these.
     */
    readonly atEnd?: number;
  };
  /** Records applied in Redis when the scenario ended (= total when ok). */
  readonly appliedRecords: number;
  /** Time to the first record applied and the longest stretch with none applied (bench/lib/progress-timeline.ts). */
  readonly pauses?: ProgressPauses;
  /**
   * From the first record kafkajs handed the worker (in any of its processes) to every end offset
   * applied (to the failure for a failed one): connecting and joining the group are not in it, as
   * they are not in the raw baseline's.
   */
  readonly seconds: number;
  /** From the worker's start to the first record handed to it (connect, join, first fetch). */
  readonly startupSeconds?: number;
  readonly eventsPerSecond: number | null;
  readonly raw: {
    readonly seconds: number;
    readonly eventsPerSecond: number;
    readonly decodeFailures: number;
  } | null;
  readonly ratioToRaw: number | null;
  /**
   * Raw kafkajs consume + decode with each fetched batch stored in Redis before the partition's
   * next (a MULTI: one HSET of the batch's customers' counts, kept in memory, and the offset): the
   * raw speed of the same Kafka and Redis, the least a worker keeping per-customer state in Redis
   * writes.
   */
  readonly rawWithRedis: { readonly seconds: number; readonly eventsPerSecond: number } | null;
  readonly ratioToRawWithRedis: number | null;
  readonly fetched: {
    /** vs_records_consumed_total summed over topics. */
    readonly runtimeMetric: number;
    /** recordsFetched runtime events (in-process; null when the runtime emitted none). */
    readonly runtimeEvents: number | null;
    /** Records kafkajs handed to the worker's eachBatch (bench/lib/fetch-counter.ts); null if unavailable. */
    readonly kafkajs: number | null;
    /** The largest of them: the figure read amplification uses. */
    readonly used: number;
  };
  readonly readAmplification: number | null;
  readonly redisCommands: {
    readonly total: number;
    readonly byCommand: Readonly<Record<string, number>>;
    readonly perEvent: number | null;
  };
  readonly populationWaits: number;
  readonly batchMs: Latency | null;
  readonly stepMs: Latency | null;
  readonly live?: LivePart;
  /** Per worker process (two-workers): what each fetched and sent. */
  readonly processes?: ReadonlyArray<Readonly<Record<string, number | string | null>>>;
}

export interface Threshold {
  readonly scenario: ScenarioName;
  readonly measure: 'ratioToRaw' | 'readAmplification' | 'redisCommandsPerEvent';
  readonly bound: number;
  readonly kind: 'min' | 'max';
}

/** The thresholds of --check (bench/README.md explains each). */
export function thresholdsFor(scenario: ScenarioName): Threshold[] {
  const ratio: Partial<Record<ScenarioName, number>> = {
    'vs-daily': 0.7,
    'vs-hourly': 0.5,
    'share-of-wallet': 0.5,
    retention: 0.5,
  };
  const thresholds: Threshold[] = [];
  const min = ratio[scenario];
  if (min !== undefined) thresholds.push({ scenario, measure: 'ratioToRaw', bound: min, kind: 'min' });
  thresholds.push({ scenario, measure: 'readAmplification', bound: 1.05, kind: 'max' });
  // A live worker keeps up by applying small batches as records arrive: commands per event there
  // follow the production pace, not the runtime's efficiency. Reported, not checked.
  if (scenario !== 'backfill-live')
    thresholds.push({ scenario, measure: 'redisCommandsPerEvent', bound: 0.05, kind: 'max' });
  return thresholds;
}

export function measured(result: ScenarioResult, measure: Threshold['measure']): number | null {
  if (measure === 'ratioToRaw') return result.ratioToRaw;
  if (measure === 'readAmplification') return result.readAmplification;
  return result.redisCommands.perEvent;
}

/** Every unmet threshold, and every scenario that did not finish, as one line each. */
export function checkResults(results: readonly ScenarioResult[]): string[] {
  const failures: string[] = [];
  for (const r of results) {
    if (r.status !== 'ok') {
      failures.push(`${r.scenario}: did not finish (${r.status})`);
      continue;
    }
    for (const t of thresholdsFor(r.scenario)) {
      const value = measured(r, t.measure);
      const ok = value !== null && (t.kind === 'min' ? value >= t.bound : value <= t.bound);
      if (!ok)
        failures.push(
          `${r.scenario}: ${t.measure} ${value === null ? 'not measured' : round(value, 3)} ` +
            `${t.kind === 'min' ? '<' : '>'} ${t.bound}`,
        );
    }
  }
  return failures;
}

function round(n: number, digits: number): string {
  return n.toFixed(digits);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function markdownTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'status',
    'events',
    'seconds',
    'events/s',
    '× raw kafkajs',
    '× raw kafkajs + Redis',
    'read amplification',
    'Redis commands/event',
    'barrier waits',
    'batch p50 / p99 ms',
    'step p50 / p99 ms',
  ];
  const rows = results.map((r) => {
    const status =
      r.status === 'ok'
        ? 'ok'
        : `**${r.status.toUpperCase()}** at ${
            r.records.total === 0 ? 0 : ((100 * r.appliedRecords) / r.records.total).toFixed(1)
          } %`;
    const latency = (l: Latency | null) =>
      l ? `${l.from === 'histogram' ? '≈' : ''}${fmtMs(l.p50)} / ${fmtMs(l.p99)}` : '–';
    return [
      r.scenario,
      status,
      int(r.records.total),
      r.seconds.toFixed(1),
      r.eventsPerSecond === null ? '–' : int(r.eventsPerSecond),
      ratio(r.ratioToRaw),
      ratio(r.ratioToRawWithRedis),
      r.readAmplification === null ? '–' : r.readAmplification.toFixed(2),
      r.redisCommands.perEvent === null ? '–' : r.redisCommands.perEvent.toFixed(4),
      int(r.populationWaits),
      latency(r.batchMs),
      latency(r.stepMs),
    ];
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function ratio(value: number | null): string {
  return value === null ? '–' : value.toFixed(value < 0.1 ? 3 : 2);
}

function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}

/** The lines under the table: live latency, failures, raw rates. */
export function notes(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.raw)
      lines.push(
        `${r.scenario}: raw kafkajs consume + decode ${int(r.raw.eventsPerSecond)} events/s (${r.raw.seconds.toFixed(1)} s)` +
          (r.rawWithRedis
            ? `; with each batch stored in Redis ${int(r.rawWithRedis.eventsPerSecond)} events/s (${r.rawWithRedis.seconds.toFixed(1)} s)`
            : ''),
      );
    if (r.live) {
      const l = r.live;
      lines.push(
        `${r.scenario}: live half ${int(l.records)} records at ${int(l.achievedRate)}/s (asked ${int(l.rate)}/s) ` +
          `over ${l.productionSeconds.toFixed(1)} s; latency produced → applied p50 ${fmtMs(l.latencyMs.p50)} ms, ` +
          `p99 ${fmtMs(l.latencyMs.p99)} ms, max ${fmtMs(l.latencyMs.max)} ms (${l.latencySamples} samples` +
          `${l.unappliedSamples > 0 ? `, ${l.unappliedSamples} never applied` : ''}); most records behind ${int(l.maxLagRecords)}; ` +
          `drained ${l.drainSeconds === null ? 'never' : `${l.drainSeconds.toFixed(1)} s`} after the last one`,
      );
    }
    const f = r.fetched;
    if (f.kafkajs !== null && Math.abs(f.kafkajs - f.runtimeMetric) > 0.01 * Math.max(1, f.kafkajs))
      lines.push(
        `${r.scenario}: kafkajs handed the worker ${int(f.kafkajs)} records, vs_records_consumed_total says ` +
          `${int(f.runtimeMetric)}: read amplification uses the larger`,
      );
    if (r.pauses && r.workerProcesses > 1)
      lines.push(
        `${r.scenario}: first record applied ${fmtMs(r.pauses.firstAppliedMs)} ms after the start; ` +
          `longest stretch with none applied ${fmtMs(r.pauses.longestPauseMs)} ms` +
          `${r.pauses.longestPauseAtMs === null ? '' : ` (from ${fmtMs(r.pauses.longestPauseAtMs)} ms)`}`,
      );
    if (r.failure) lines.push(`${r.scenario}: FAILED: ${r.failure}`);
  }
  return lines;
}
