// Typed errors carry a reason code that appears in logs, metrics and dead letters, and a
// `retriable` flag read by the one place that decides whether to retry (kafkajs's style).

export class ValuestreamError extends Error {
  readonly reasonCode: string;
  readonly retriable: boolean;
  constructor(reasonCode: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reasonCode = reasonCode;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value is missing or invalid; start-up stops with the variable's name. */
export class ConfigError extends ValuestreamError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super('CONFIG_INVALID', `${variable}: ${message}`);
    this.variable = variable;
  }
}

/** Another owner holds the partition now (its epoch in Redis moved on): stop, do not commit. */
export class PartitionFencedError extends ValuestreamError {
  constructor(partition: number, detail: string) {
    super('PARTITION_FENCED', `partition ${partition} is owned by a newer epoch (${detail})`);
  }
}

/**
 * Redis holds an older owner epoch than ours, or none: it lost writes we made (a restart without
 * them, a failover to a replica behind), not a newer owner. Claim again: the claim finds Redis's
 * applied offset behind Kafka's and replays from it (PITFALLS 1).
 */
export class PartitionStateLostError extends ValuestreamError {
  constructor(partition: number, detail: string) {
    super(
      'PARTITION_STATE_LOST',
      `partition ${partition}: Redis lost our writes (${detail}); claiming again`,
      {
        retriable: true,
      },
    );
  }
}

/** The partition's state in Redis changed under us (version CAS failed): re-read and retry. */
export class StateVersionConflictError extends ValuestreamError {
  constructor(partition: number) {
    super('STATE_VERSION_CONFLICT', `partition ${partition} state changed concurrently`, { retriable: true });
  }
}

/** A Redis call failed or its outcome is unknown (timeout, connection lost). */
export class RedisUnavailableError extends ValuestreamError {
  constructor(message: string, cause?: unknown) {
    super('REDIS_UNAVAILABLE', message, { retriable: true, cause });
  }
}

/**
 * Input topics the worker subscribes to do not exist: a TOPIC_PREFIX that names no topic set,
 * or topics not created yet. kafkajs would throw from deep in a metadata refresh instead.
 */
export class InputTopicsMissingError extends ValuestreamError {
  constructor(readonly missing: readonly string[]) {
    super(
      'INPUT_TOPICS_MISSING',
      `input topics missing on the cluster: ${missing.join(', ')} (create them, e.g. npm run topics, or correct TOPIC_PREFIX)`,
    );
  }
}

/**
 * A stored population snapshot is a delta whose whole snapshot is not there, read after read:
 * the partition's snapshots hash breaks the rule the apply script keeps. Retried (a read racing
 * the owner's drop of old snapshots heals by reading again); logged with the partition.
 */
export class SnapshotBaseMissingError extends ValuestreamError {
  constructor(partition: number, boundary: number) {
    super(
      'SNAPSHOT_BASE_MISSING',
      `partition ${partition}: a population snapshot from boundary ${boundary} on is a delta whose whole snapshot is not stored`,
      { retriable: true },
    );
  }
}

/** A record that cannot be processed; it goes to the dead-letter topic with this reason. */
export class RejectedRecordError extends ValuestreamError {}
