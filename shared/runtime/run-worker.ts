import { Counter, Gauge, type Registry } from 'prom-client';
import { codecFor } from '../avro/index.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { inputFramingOf } from '../config/schema-registry-config.js';
import { ConfigError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { OutputProducer } from '../kafka/output-producer.js';
import { WorkerConsumer } from '../kafka/worker-consumer.js';
import { startHttpServer } from '../observability/http-server.js';
import { createLogger, type Logger, scrubText } from '../observability/logger.js';
import { createRuntimeMetrics } from '../observability/metrics.js';
import { describeStalls } from '../observability/partition-progress.js';
import { registerSchemaRegistryMetrics } from '../observability/schema-registry-metrics.js';
import {
  connectRedis,
  openRedis,
  resolveDurability,
  waitDurable,
  whileRedisUnavailable,
} from '../redis/connection.js';
import { FunctionCaller } from '../redis/function-caller.js';
import { populationChannel } from '../redis/keys.js';
import { RedisPartitionStore, RedisPopulationStore } from '../redis/partition-store.js';
import { PopulationSignals } from '../redis/population-signals.js';
import { outputTopicsOf, startWorkerSchemaRegistry } from '../schema-registry/worker-registry.js';
import { deadLetterTopicOf, topicCatalogue } from '../topics.js';
import { DecodedStates } from './decoded-states.js';
import { type LocalProgress, PartitionProcessor, type ProcessorInput } from './partition-processor.js';
import { type DedupeSettings, dedupeSettings } from './recent-events.js';
import { RuntimeEvents } from './runtime-events.js';
import { logStartupFailure } from './startup-failure.js';
import type { OutboxEntry, PopulationStore } from './state-store.js';
import { ViewAgreement } from './view-agreement.js';
import type { OutputEvent, WorkerDefinition } from './worker-definition.js';

export interface RunningWorker {
  readonly metricsPort: number;
  readonly events: RuntimeEvents;
  readonly registry: Registry;
  readonly population: PopulationStore;
  readonly logger: Logger;
  /** Graceful stop: finish the batch in flight, produce, commit, disconnect. */
  stop(): Promise<void>;
}

export interface RunWorkerOptions<E, S, G> {
  readonly definition: WorkerDefinition<E, S, G>;
  readonly config: RuntimeConfig;
  readonly logger?: Logger;
  /** Extra metrics of the worker, registered on the runtime's registry. */
  readonly registerMetrics?: (registry: Registry, population: PopulationStore, events: RuntimeEvents) => void;
  /** Process-level behaviour (signals, exit); off for in-process tests. */
  readonly handleSignals?: boolean;
}

const schemaOfTopic = new Map<string, string>(
  Object.values(topicCatalogue).flatMap((t) =>
    t.schema === null ? [] : [[t.name, t.schema] as [string, string]],
  ),
);

/** Starts a worker: everything a worker needs but its decisions. */
export async function runWorker<E, S, G>(options: RunWorkerOptions<E, S, G>): Promise<RunningWorker> {
  const { definition, config } = options;
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, name: definition.name });
  const events = new RuntimeEvents();
  const groupId = `${config.CONSUMER_GROUP_PREFIX}.${definition.name}`;
  // Signals are handled from the first moment: one that comes while the worker still starts
  // (connecting, joining its group; seconds on a busy machine) stops it once it has started,
  // instead of Node's default action killing it mid-start with no graceful exit.
  let stopOnSignal: ((signal: string) => void) | null = null;
  let signalledWhileStarting: string | null = null;
  if (options.handleSignals !== false) {
    const receive = (signal: string) => {
      if (stopOnSignal) return stopOnSignal(signal);
      if (signalledWhileStarting) return;
      signalledWhileStarting = signal;
      logger.info({ signal }, 'signal received while starting; stopping as soon as started');
      setTimeout(() => {
        logger.error(
          { timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
          'start-up did not end within the shutdown bound; exiting',
        );
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS).unref();
    };
    process.once('SIGTERM', () => receive('SIGTERM'));
    process.once('SIGINT', () => receive('SIGINT'));
  }
  const clusterTopic = (logical: string) => `${config.TOPIC_PREFIX}${logical}`;
  let dedupe: DedupeSettings | null;
  try {
    dedupe = dedupeSettings(
      config.DEDUPE_HORIZON,
      config.DEDUPE_MAX_EVENTS_PER_CUSTOMER,
      definition.allowedLatenessMs,
    );
  } catch (error) {
    logStartupFailure(logger, 'config', error);
    if (options.handleSignals !== false) process.exit(2);
    throw error;
  }
  const metrics = createRuntimeMetrics(definition.name, events, {
    stallAfterMs: config.STALL_AFTER_MS,
    inputTopics: new Map(definition.inputs.map((input) => [clusterTopic(input.topic), input.topic])),
    dedupedTopics:
      dedupe === null ? [] : definition.inputs.filter((input) => input.eventIdOf).map((input) => input.topic),
  });

  const redis = connectRedis({
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    connectionName: `${config.KAFKA_CLIENT_ID}-${definition.name}`,
    security: config.redisSecurity,
  });
  let redisReady = false;
  let lastRedisError: string | undefined;
  redis.on('ready', () => {
    redisReady = true;
  });
  redis.on('close', () => {
    redisReady = false;
  });
  redis.on('error', (error) => {
    lastRedisError = error.message;
    logger.warn({ reasonCode: 'REDIS_UNAVAILABLE', err: error.message }, 'redis connection error');
  });
  // Stops start-up with one line naming the cause (credentials, certificates, ACL, config) and
  // exit code 2 for a configuration error, 1 otherwise; in-process callers get the error.
  const failStartup = (step: 'redis' | 'kafka' | 'schema-registry', error: unknown): unknown => {
    logStartupFailure(logger, step, error, step === 'redis' ? lastRedisError : undefined);
    redis.disconnect();
    if (options.handleSignals !== false) process.exit(error instanceof ConfigError ? 2 : 1);
    return error;
  };
  logger.info(
    {
      kafka: config.kafkaSecurity.describe(),
      redis: config.redisSecurity.describe(),
      redisCluster: config.REDIS_CLUSTER_NODES.length > 0 ? config.REDIS_CLUSTER_NODES : undefined,
      redisClusterTls: config.REDIS_CLUSTER_NODES.length > 0 ? config.REDIS_CLUSTER_TLS : undefined,
    },
    'connection security',
  );
  const functionReloads = new Counter({
    name: 'vs_redis_function_reloads_total',
    help: 'Times the Redis function library was missing (restart without persistence, failover, FUNCTION FLUSH) and was loaded again',
    registers: [metrics.registry],
  });
  const { durability, functions } = await (async () => {
    await openRedis(redis);
    const functions = new FunctionCaller(redis, (library) => {
      functionReloads.inc();
      logger.warn(
        { reasonCode: 'REDIS_FUNCTIONS_MISSING', library },
        'Redis function library was missing; loaded again',
      );
    });
    // A Cluster reached in the middle of a failover: every primary is asked, and a dead one
    // answers nothing until its replica takes over.
    const durability = await whileRedisUnavailable(redis, logger, async () => {
      const resolved = await resolveDurability(redis, config.REDIS_DURABILITY);
      await functions.load();
      return resolved;
    });
    return { durability, functions };
  })().catch((error: unknown) => {
    throw failStartup('redis', error);
  });
  logger.info(
    {
      redisVersion: durability.redisVersion,
      durability: durability.mode,
      durabilityChecked: durability.checked,
      library: functions.library.name,
    },
    durability.checked
      ? 'redis ready'
      : 'redis ready; REDIS_DURABILITY=fsync-always is trusted as declared (this user cannot read CONFIG)',
  );

  const population = new RedisPopulationStore(
    redis,
    functions,
    config.KEY_PREFIX,
    definition.name,
    config.BARRIER_RETRY_MS,
  );
  // What a partition announced while it was this process's own was not kept (worker-consumer).
  events.on('groupJoined', () => population.announced.forgetAll());
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${definition.name}`,
    logger,
    security: config.kafkaSecurity,
  });
  const producer = new OutputProducer(kafka, events, {
    compression: config.OUTPUT_COMPRESSION,
    onReplaced: (reason) =>
      logger.warn(
        { reasonCode: 'PRODUCER_REPLACED', err: reason },
        'the idempotent producer lost its sequence after a leader change; sending with a new producer',
      ),
    onResent: (messages) =>
      logger.warn(
        { reasonCode: 'OUTPUTS_RESENT', messages },
        'kafkajs reported outputs sent that no partition leader acknowledged (a leader moved); sending them again',
      ),
  });
  await producer.connect().catch((error: unknown) => {
    throw failStartup('kafka', error);
  });

  // The schema registry (README "Schema registry"): output schemas registered at start-up,
  // framed inputs' writer schemas fetched by id before decoding, outputs framed when configured.
  const inputFraming = new Map(
    definition.inputs.map(
      (input) => [clusterTopic(input.topic), inputFramingOf(config, input.topic)] as const,
    ),
  );
  logger.info(
    {
      schemaRegistry: config.schemaRegistry?.describe() ?? null,
      inputFraming: Object.fromEntries(inputFraming),
      outputFraming: config.OUTPUT_FRAMING,
    },
    'schema registry and framing',
  );
  if (config.schemaRegistry !== null) registerSchemaRegistryMetrics(metrics.registry, events);
  const schemaRegistry = await startWorkerSchemaRegistry({
    settings: config.schemaRegistry,
    outputFraming: config.OUTPUT_FRAMING,
    inputFraming,
    clusterTopic,
    outputTopics: config.schemaRegistry === null ? [] : outputTopicsOf(definition),
    events,
    logger,
  }).catch((error: unknown) => {
    void producer.disconnect().catch(() => undefined);
    throw failStartup('schema-registry', error);
  });
  const framedInputs = schemaRegistry.inputs;

  const inputs = new Map<string, ProcessorInput<E>>();
  const topics = new Map<string, string>();
  for (const input of definition.inputs) {
    const name = clusterTopic(input.topic);
    topics.set(name, input.topic);
    inputs.set(name, {
      definition: input,
      decode: framedInputs.decoder(name, input.schema),
      logicalTopic: input.topic,
      deadLetterTopic: clusterTopic(deadLetterTopicOf(input.topic)),
    });
  }

  const encodeOutput = (output: OutputEvent): OutboxEntry => {
    const schema = schemaOfTopic.get(output.topic);
    if (!schema) throw new Error(`output topic ${output.topic} is not in the topic catalogue`);
    const value = schemaRegistry.outputValue(
      clusterTopic(output.topic),
      codecFor(schema).encode(output.value),
    );
    const headers = {
      'vs.event.id': Buffer.from(output.eventId).toString('base64'),
      'vs.decision.kind': Buffer.from(output.decisionKind).toString('base64'),
      'vs.schema': Buffer.from(schema).toString('base64'),
    };
    return {
      topic: clusterTopic(output.topic),
      key: Buffer.from(output.key).toString('base64'),
      value: value.toString('base64'),
      headers,
      decisionKind: output.decisionKind,
      ...(output.decisionLabel === undefined ? {} : { decisionLabel: output.decisionLabel }),
      ...(output.causedAtEventTime === undefined ? {} : { causedAtEventTime: output.causedAtEventTime }),
    };
  };

  const processors = new Map<number, PartitionProcessor<E, S, G>>();
  const viewCache = new Map<number, unknown>();
  const snapshotBoard = new Map<number, Map<number, Readonly<Record<string, number>>>>();
  const viewsInFlight = new Map<number, Promise<unknown>>();
  const localProgress = new Map<number, LocalProgress>();
  const viewAgreement = new ViewAgreement();
  const localPartitions = new Set<number>();
  const decodedStates = new DecodedStates(definition.decodeState, config.STATE_CACHE_MB * 1024 * 1024);
  const processorFor = (partition: number) => {
    let processor = processors.get(partition);
    if (!processor) {
      const store = new RedisPartitionStore(
        redis,
        functions,
        config.KEY_PREFIX,
        definition.name,
        partition,
        durability.mode,
        config.REDIS_COMMAND_TIMEOUT_MS,
      );
      processor = new PartitionProcessor<E, S, G>({
        worker: definition,
        store,
        population: definition.population ? population : null,
        partitionCount: config.TOPIC_PARTITIONS,
        consumerGroup: groupId,
        inputs,
        encodeOutput,
        limits: {
          maxRecordBytes: config.MAX_RECORD_BYTES,
          futureToleranceMs: config.FUTURE_TOLERANCE_MS,
          maxBatchRecords: config.MAX_BATCH_RECORDS,
          timerLoadLimit: 100_000,
          ...(dedupe === null ? {} : { dedupe }),
        },
        events,
        wallClock: () => Date.now(),
        topicPrefix: config.TOPIC_PREFIX,
        viewCache,
        snapshotBoard,
        viewsInFlight,
        localProgress,
        viewAgreement,
        localPartitions,
        decodedStates,
        suspendMs: config.BARRIER_RETRY_MS,
      });
      processors.set(partition, processor);
    }
    return processor;
  };

  let fatal: Error | null = null;
  let stopping: Promise<void> | null = null;
  // Set once everything stop() needs exists; a crash during start-up exits directly.
  let stopWorker: (() => Promise<void>) | null = null;
  const consumer = new WorkerConsumer({
    kafka,
    groupId,
    topics,
    fromBeginning: config.FROM_BEGINNING,
    sessionTimeoutMs: config.SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: config.MAX_BYTES_PER_PARTITION,
    fetchMaxWaitMs: config.FETCH_MAX_WAIT_MS,
    maxStepRecords: config.MAX_BATCH_RECORDS,
    stepConcurrency: config.STEP_CONCURRENCY,
    localPartitions,
    barrierRetryMs: config.BARRIER_RETRY_MS,
    commitIntervalMs: config.COMMIT_INTERVAL_MS,
    signals: definition.population
      ? new PopulationSignals(
          redis,
          populationChannel(config.KEY_PREFIX, definition.name),
          (error) =>
            logger.warn(
              { reasonCode: 'POPULATION_SIGNALS', err: error.message },
              'population signal connection error',
            ),
          () => population.announced.forgetAll(),
        )
      : null,
    snapshotAnnounced: (partition, boundary, value) =>
      population.announced.remember(partition, boundary, value),
    idleAdvanceMs: config.IDLE_ADVANCE_MS,
    quietPartitionWaitMs: config.QUIET_PARTITION_WAIT_MS,
    processorFor: processorFor as never,
    makeDurable: () => waitDurable(redis, durability.mode, config.REDIS_COMMAND_TIMEOUT_MS),
    producer,
    events,
    logger,
    wallClock: () => Date.now(),
    ...(framedInputs.needsRegistry ? { resolveSchemas: (records) => framedInputs.resolve(records) } : {}),
    onFatal: (error) => {
      if (fatal) return;
      fatal = error;
      logger.fatal(
        { reasonCode: 'CONSUMER_CRASHED', err: scrubText(error.message) },
        'consumer crashed for good; exiting so the supervisor restarts us',
      );
      if (options.handleSignals !== false) {
        setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS).unref();
        if (stopWorker) void stopWorker().finally(() => process.exit(1));
        else process.exit(1);
      }
    },
  });

  options.registerMetrics?.(metrics.registry, population, events);
  const collectErrors = new Counter({
    name: 'vs_metric_collect_errors_total',
    help: 'Scrape-time metric collections that failed or timed out (e.g. gauges read from Redis while it is down)',
    labelNames: ['metric'],
    registers: [metrics.registry],
  });
  guardCollectors(metrics.registry, (metric, error) => {
    collectErrors.inc({ metric });
    logger.debug(
      { metric, err: scrubText(String((error as Error)?.message ?? error)) },
      'metric collection failed',
    );
  });
  const probes = {
    healthy: () => fatal === null,
    readiness: () => {
      if (fatal) return { ready: false, reason: 'consumer crashed' };
      if (!redisReady) return { ready: false, reason: 'redis not connected' };
      if (!consumer.joined) return { ready: false, reason: 'not a member of the consumer group' };
      if (Date.now() - consumer.lastFetchAt > config.READINESS_STALE_MS)
        return { ready: false, reason: 'no fetch completed recently' };
      // Fetching is not applying: records waiting on a partition that applies none for
      // STALL_AFTER_MS (a stuck step, a population barrier that never opens) make it not ready.
      const stalled = metrics.stalledPartitions();
      if (stalled.length > 0) return { ready: false, reason: describeStalls(stalled) };
      return { ready: true, reason: 'consuming' };
    },
  };
  new Gauge({
    name: 'vs_ready',
    help: '1 when the worker is consuming (member of its group, fetching, Redis connected, no partition stalled)',
    registers: [metrics.registry],
    collect() {
      this.set(probes.readiness().ready ? 1 : 0);
    },
  });
  const http = await startHttpServer({
    host: config.METRICS_HOST,
    port: config.METRICS_PORT,
    registry: metrics.registry,
    probes,
  });
  logger.info({ port: http.port }, 'metrics, health and readiness endpoints up');

  await consumer.start().catch(async (error: unknown) => {
    await Promise.allSettled([consumer.stop(), producer.disconnect(), http.close()]);
    throw failStartup('kafka', error);
  });
  logger.info({ groupId, topics: [...topics.keys()] }, 'consuming');

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping: finishing the batch in flight');
      await consumer.stop().catch((error) => logger.warn({ err: error.message }, 'consumer stop failed'));
      await producer.disconnect().catch(() => undefined);
      await http.close();
      await redis.quit().catch(() => redis.disconnect());
      schemaRegistry.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  stopWorker = stop;

  if (options.handleSignals !== false) {
    stopOnSignal = (signal: string) => {
      logger.info({ signal }, 'signal received');
      const timer = setTimeout(() => {
        logger.error(
          { timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
          'graceful shutdown exceeded its bound; exiting',
        );
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      void stop().then(() => process.exit(0));
    };
    if (signalledWhileStarting) stopOnSignal(signalledWhileStarting);
  }

  return { metricsPort: http.port, events, registry: metrics.registry, population, logger, stop };
}

/**
 * Gauges that read Redis at scrape time (a worker's registerMetrics) fail while Redis is down,
 * and prom-client then fails the whole /metrics answer: every other metric (vs_ready,
 * vs_redis_errors_total, lag) would vanish exactly during an outage. Each collector is bounded
 * in time, and its failure leaves only that metric as it was.
 */
function guardCollectors(registry: Registry, onError: (metric: string, error: unknown) => void): void {
  const boundMs = 2000;
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; collect?: (this: unknown) => unknown };
    const collect = m.collect;
    if (typeof collect !== 'function') continue;
    m.collect = function guardedCollect(this: unknown) {
      try {
        const result = collect.call(this);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`collect exceeded ${boundMs} ms`)), boundMs);
        });
        return Promise.race([result, timeout])
          .catch((error: unknown) => onError(m.name, error))
          .finally(() => clearTimeout(timer));
      } catch (error) {
        onError(m.name, error);
        return undefined;
      }
    };
  }
}
