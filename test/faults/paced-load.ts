import { testKafka } from '../support/kafka-test-client.js';
import type { ProducedRecord, RunningLoad } from './workload.js';

// Continuous load from in-process generators: the records of a stream input produced in small
// chunks at a fixed rate (as a point-of-sale feed would send them), so that faults land while
// records keep arriving rather than on a backlog produced up front.

export interface PacedLoadOptions {
  /** Records per second. */
  readonly rate: number;
  /** One chunk every this many milliseconds. */
  readonly chunkMs?: number;
}

export function startPacedLoad(
  brokers: string,
  topic: string,
  records: readonly ProducedRecord[],
  options: PacedLoadOptions,
): RunningLoad {
  const chunkMs = options.chunkMs ?? 100;
  const perChunk = Math.max(1, Math.round((options.rate * chunkMs) / 1000));
  let stopped = false;
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  const finished = (async () => {
    await producer.connect();
    try {
      const started = Date.now();
      for (let i = 0, chunk = 0; i < records.length && !stopped; i += perChunk, chunk += 1) {
        // Paced against the start, so a slow send does not slow the whole load down.
        const due = started + chunk * chunkMs;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        await producer.send({
          topic,
          acks: -1,
          messages: records.slice(i, i + perChunk).map((r) => ({
            key: r.key,
            value: r.value,
            ...(r.partition === undefined ? {} : { partition: r.partition }),
          })),
        });
      }
      if (stopped) throw new Error(`the load on ${topic} was stopped before it had sent everything`);
    } finally {
      await producer.disconnect();
    }
  })();
  // A load stopped after a failed run is not awaited; its rejection must not go unhandled.
  finished.catch(() => undefined);
  return {
    finished,
    stop: () => {
      stopped = true;
    },
  };
}
