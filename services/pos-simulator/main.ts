// Point-of-sale simulator CLI: produces simulated purchases to Kafka.
//
//   npm run simulator -- --customers 5000 --rate 50 --history-days 60
//
// First backfills `--history-days` of history as fast as Kafka takes it (event times in the
// past, realistic purchase rates), then runs live: event time follows the wall clock
// (x `--speed-up`) at `--rate` records per wall-clock second, until `--events` records or
// Ctrl-C. `--dry-run` generates without Kafka and prints a summary (value skew, lapsers).
// `--consumption-customers n` adds consumption-driven traffic for share of wallet: profiles (to
// the customer-profiles topic) and purchases, merged into the stream in emission order.
// Env: KAFKA_BROKERS (host:port,...), TOPIC_PREFIX (prepended to the topics), LOG_LEVEL, and the
// workers' KAFKA_SSL* / KAFKA_SASL_* for a secured cluster; with `--framing registry`,
// SCHEMA_REGISTRY_URL and the workers' other SCHEMA_REGISTRY_* connection variables.

import { kafkaSecurityFromEnv } from '../../shared/config/runtime-config.js';
import type { SchemaRegistrySettings } from '../../shared/config/schema-registry-config.js';
import type { KafkaSecurity } from '../../shared/config/secure-connections.js';
import { createLogger } from '../../shared/observability/logger.js';
import {
  type CliOptions,
  consumptionOptions,
  HELP,
  type OutgoingRecord,
  parseCli,
  runToEnd,
  SimulatorStream,
  simulationOptions,
} from './cli.js';
import { generateConsumptionTraffic } from './consumption.js';
import { connectRecordFramer, type RecordFramer, registrySettingsFromEnv } from './framing.js';
import { PurchaseSimulation } from './generate.js';
import { connectPosProducer, type PosProducer } from './producer.js';

async function main(): Promise<number> {
  let cli: CliOptions | 'help';
  let security: KafkaSecurity;
  let registry: SchemaRegistrySettings | null = null;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
    security = kafkaSecurityFromEnv(process.env);
    if (cli !== 'help' && cli.framing === 'registry' && !cli.dryRun)
      registry = registrySettingsFromEnv(process.env);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (cli === 'help') {
    console.log(HELP);
    return 0;
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', name: 'pos-simulator' });
  const wallStart = Date.now();
  const liveFrom = wallStart;
  const sim = new PurchaseSimulation(simulationOptions(cli, liveFrom));
  const consumptionSettings = consumptionOptions(cli, liveFrom);
  const consumption = consumptionSettings ? generateConsumptionTraffic(consumptionSettings) : null;
  const stream = new SimulatorStream(
    sim,
    consumption,
    { purchases: cli.topic, profiles: cli.profilesTopic },
    cli.posProfiles,
    cli.resendShare,
  );

  if (cli.dryRun) {
    console.log(JSON.stringify(runToEnd(stream), null, 2));
    return 0;
  }

  const stop = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    logger.info({ signal }, 'stopping: sending what is batched, then disconnecting');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  logger.info(
    {
      topic: cli.topic,
      ...(consumption
        ? {
            profilesTopic: cli.profilesTopic,
            consumptionCustomers: cli.consumptionCustomers,
            consumptionDays: cli.consumptionDays,
            consumptionLiveDays: cli.consumptionLiveDays,
            consumptionProfiles: consumption.profiles.length,
            consumptionPurchases: consumption.purchases.length,
          }
        : {}),
      brokers: cli.brokers,
      seed: cli.seed,
      customers: cli.customers,
      rate: cli.rate,
      speedUp: cli.speedUp,
      historyDays: cli.historyDays,
      events: cli.events ?? 'unbounded',
      framing: cli.framing,
    },
    'point-of-sale simulator starting',
  );
  let framer: RecordFramer | null = null;
  if (registry !== null) {
    try {
      framer = await connectRecordFramer(
        registry,
        [
          { topic: cli.topic, schema: 'Purchase' },
          { topic: cli.profilesTopic, schema: 'CustomerProfile' },
        ],
        logger,
      );
    } catch (err) {
      logger.error(
        { err: (err as Error).message, reasonCode: (err as { reasonCode?: string }).reasonCode },
        'cannot register the schemas in the schema registry',
      );
      return 1;
    }
    logger.info({ subjects: framer.subjects() }, 'schemas registered; values are framed with their ids');
  }
  let producer: PosProducer;
  try {
    producer = await connectPosProducer({
      brokers: cli.brokers,
      clientId: 'pos-simulator',
      logger,
      security,
    });
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'cannot connect to Kafka');
    return 1;
  }

  let batch: OutgoingRecord[] = [];
  let sent = 0;
  let live = false;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    await producer.sendAll(records);
    sent += records.length;
  };
  const consumptionCounts = () => {
    if (!consumption) return {};
    const produced = stream.produced();
    return { profiles: produced.profile, consumptionPurchases: produced.consumption };
  };
  const progress = setInterval(() => {
    const s = sim.stats();
    logger.info(
      {
        sent,
        sales: s.sales,
        returns: s.returns,
        malformed: s.malformed,
        lapsed: s.customersLapsed,
        ...consumptionCounts(),
        resent: stream.produced().resent,
        live,
      },
      'progress',
    );
  }, 10_000);

  let exitCode = 0;
  try {
    while (!stop.signal.aborted) {
      const record = stream.next();
      if (!record) break;
      if (record.emitAt > liveFrom) {
        if (!live) {
          live = true;
          await flush();
          logger.info({ sent }, 'history sent; now live');
        }
        const due = wallStart + (record.emitAt - liveFrom) / cli.speedUp;
        const wait = due - Date.now();
        if (wait > cli.lingerMs) await flush();
        if (wait > 0) await sleep(due - Date.now(), stop.signal);
      }
      batch.push(framer === null ? record : framer.frame(record));
      if (batch.length >= cli.batchSize) await flush();
    }
    await flush();
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'producing failed');
    exitCode = 1;
  } finally {
    clearInterval(progress);
    await producer.close().catch(() => undefined);
  }
  const s = sim.stats();
  logger.info(
    {
      sent,
      sales: s.sales,
      returns: s.returns,
      malformed: s.malformed,
      lapsed: s.customersLapsed,
      ...consumptionCounts(),
      resent: stream.produced().resent,
    },
    'point-of-sale simulator stopped',
  );
  return exitCode;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

process.exitCode = await main();
