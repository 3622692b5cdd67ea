import { Cluster } from 'ioredis';
import { openRedis, type RedisClient } from './connection.js';

/** "<partition> <boundary>": the partition has its snapshot of `boundary` (or started after it). */
export interface SnapshotSignal {
  readonly kind: 'snapshot';
  readonly partition: number;
  readonly boundary: number;
}

/**
 * The value the partition stored for its snapshot of `boundary` (whole json, or a delta naming its
 * whole base: shared/runtime/snapshot-codec.ts), published just before its SnapshotSignal.
 */
export interface SnapshotDataSignal {
  readonly kind: 'data';
  readonly partition: number;
  readonly boundary: number;
  readonly value: string;
}

/** A partition waits for view(boundary) at `streamTime`; `missing` have no snapshot of it yet. */
export interface WaitSignal {
  readonly kind: 'wait';
  readonly boundary: number;
  readonly streamTime: number;
  readonly missing: readonly number[];
}

export type PopulationSignal = SnapshotSignal | SnapshotDataSignal | WaitSignal;

export function encodeSignal(signal: PopulationSignal): string {
  switch (signal.kind) {
    case 'snapshot':
      return `${signal.partition} ${signal.boundary}`;
    case 'data':
      return `data ${signal.partition} ${signal.boundary} ${signal.value}`;
    case 'wait':
      return `wait ${signal.boundary} ${signal.streamTime} ${signal.missing.join(' ')}`.trimEnd();
  }
}

/** "data <partition> <boundary> <value>": the value is the rest, as stored (never split it). */
function parseDataSignal(message: string): SnapshotDataSignal | null {
  const match = /^data (\d+) (-?\d+) ([{@].*)$/s.exec(message);
  if (!match) return null;
  const partition = Number(match[1]);
  const boundary = Number(match[2]);
  if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(boundary)) return null;
  return { kind: 'data', partition, boundary, value: match[3]! };
}

/** Null for anything that is not a signal (the channel is ours, but never trust a message). */
export function parseSignal(message: string): PopulationSignal | null {
  if (message.startsWith('data ')) return parseDataSignal(message);
  const parts = message.trim().split(/\s+/);
  const numbers = (from: number) => parts.slice(from).map(Number);
  if (parts[0] === 'wait') {
    const [boundary, streamTime, ...missing] = numbers(1);
    if (boundary === undefined || streamTime === undefined) return null;
    if (![boundary, streamTime, ...missing].every(Number.isSafeInteger)) return null;
    return { kind: 'wait', boundary, streamTime, missing };
  }
  const [partition, boundary] = numbers(0);
  if (parts.length !== 2 || !Number.isSafeInteger(partition) || !Number.isSafeInteger(boundary)) return null;
  return { kind: 'snapshot', partition: partition!, boundary: boundary! };
}

/**
 * Wakes partitions that wait for a population view, in every process of the worker, the moment
 * the view can be merged: the snapshot function publishes "<partition> <boundary>" on the
 * worker's channel in the same atomic step that writes the snapshot. A subscriber connection of
 * its own (a subscribed connection can run nothing else). Each snapshot's stored value comes
 * just before its signal, so a process merges views of other processes' partitions without
 * reading their snapshots back (one HMGET per partition and boundary in lock-step otherwise).
 * Messages are a shortcut, not the truth: a waiting partition still re-checks Redis now and then,
 * so a message lost while the connection was down delays a view, never stops it.
 */
export class PopulationSignals {
  private subscriber: RedisClient | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly channel: string,
    private readonly onError: (error: Error) => void,
    /** The subscription broke: messages published meanwhile are lost. */
    private readonly onGap: () => void = () => undefined,
  ) {}

  async subscribe(handler: (signal: PopulationSignal) => void): Promise<boolean> {
    // On a Cluster, PUBLISH reaches every node, so one subscription to any node hears them all.
    const subscriber =
      this.redis instanceof Cluster
        ? this.redis.duplicate(undefined, { lazyConnect: true })
        : this.redis.duplicate({ lazyConnect: true, connectionName: undefined });
    subscriber.on('error', (error: Error) => this.onError(error));
    subscriber.on('close', () => this.onGap());
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const signal = parseSignal(message);
      if (signal) handler(signal);
    });
    try {
      await openRedis(subscriber, 30_000);
      await subscriber.subscribe(this.channel);
      this.subscriber = subscriber;
      return true;
    } catch (error) {
      // An ACL user without pub/sub rights, say: views still form, by re-checking Redis.
      this.onError(error as Error);
      subscriber.disconnect();
      return false;
    }
  }

  async publish(signal: PopulationSignal): Promise<void> {
    await this.redis.publish(this.channel, encodeSignal(signal));
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }
}
