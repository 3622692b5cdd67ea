// The simulator's command line: parsing, mapping to simulator options, and the dry-run summary.
// Pure apart from running the simulation; main.ts does the I/O.

import { parseArgs } from 'node:util';
import { topicCatalogue } from '../../shared/topics.js';
import { DAY_MS, type PurchaseSimulation, type PurchaseStreamOptions } from './generate.js';

export const HELP = `usage: npm run simulator -- [options]

  --customers <n>          customer slots (default 5000)
  --rate <n>               live records per wall-clock second (default 50)
  --events <n>             stop after n records (default: run until stopped)
  --history-days <d>       backfill d days of history first (default 0)
  --history-rate <n>       purchases per customer and year in the history (default 24)
  --speed-up <x>           simulated seconds per wall-clock second when live (default 1)
  --seed <n>               PRNG seed (default: from the clock, logged)
  --topic <name>           topic (default: $TOPIC_PREFIX + ${topicCatalogue.purchases.name})
  --topic-prefix <p>       prefix of the default topic (default: $TOPIC_PREFIX or none)
  --currency <code>        ISO 4217 currency (default EUR)
  --malformed-share <s>    share of malformed records (default 0.005)
  --return-share <s>       share of returns (default 0.03)
  --max-lateness-ms <ms>   delay a few records by up to this much (default 0)
  --batch-size <n>         records per sendBatch (default 500)
  --linger-ms <ms>         live mode: send when the next record is further away (default 50)
  --brokers <list>         Kafka bootstrap servers (default: $KAFKA_BROKERS or 127.0.0.1:19092)
  --dry-run                generate without Kafka and print a summary (needs --events)
  --help`;

export interface CliOptions {
  readonly customers: number;
  readonly rate: number;
  readonly events: number | undefined;
  readonly historyDays: number;
  readonly historyRate: number;
  readonly speedUp: number;
  readonly seed: number;
  readonly topic: string;
  readonly currency: string;
  readonly malformedShare: number;
  readonly returnShare: number;
  readonly maxLatenessMs: number;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly brokers: string[];
  readonly dryRun: boolean;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      customers: { type: 'string', default: '5000' },
      rate: { type: 'string', default: '50' },
      events: { type: 'string' },
      'history-days': { type: 'string', default: '0' },
      'history-rate': { type: 'string', default: '24' },
      'speed-up': { type: 'string', default: '1' },
      seed: { type: 'string' },
      topic: { type: 'string' },
      'topic-prefix': { type: 'string' },
      currency: { type: 'string', default: 'EUR' },
      'malformed-share': { type: 'string', default: '0.005' },
      'return-share': { type: 'string', default: '0.03' },
      'max-lateness-ms': { type: 'string', default: '0' },
      'batch-size': { type: 'string', default: '500' },
      'linger-ms': { type: 'string', default: '50' },
      brokers: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const num = (name: string, text: string | undefined, check: (n: number) => boolean): number => {
    const n = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isFinite(n) || !check(n)) {
      throw new Error(`--${name}: invalid value ${JSON.stringify(text)}`);
    }
    return n;
  };
  const positive = (n: number) => n > 0;
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const prefix = values['topic-prefix'] ?? env.TOPIC_PREFIX ?? '';
  const brokers = (values.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:19092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new Error('--brokers / KAFKA_BROKERS: no broker given');
  const options: CliOptions = {
    customers: num('customers', values.customers, positiveInt),
    rate: num('rate', values.rate, positive),
    events: values.events === undefined ? undefined : num('events', values.events, positiveInt),
    historyDays: num('history-days', values['history-days'], (n) => n >= 0),
    historyRate: num('history-rate', values['history-rate'], positive),
    speedUp: num('speed-up', values['speed-up'], positive),
    seed:
      values.seed === undefined
        ? Date.now() % 2 ** 32
        : num('seed', values.seed, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32),
    topic: values.topic ?? `${prefix}${topicCatalogue.purchases.name}`,
    currency: values.currency,
    malformedShare: num('malformed-share', values['malformed-share'], (n) => n >= 0 && n < 1),
    returnShare: num('return-share', values['return-share'], (n) => n >= 0 && n < 0.5),
    maxLatenessMs: num('max-lateness-ms', values['max-lateness-ms'], (n) => n >= 0),
    batchSize: num('batch-size', values['batch-size'], positiveInt),
    lingerMs: num('linger-ms', values['linger-ms'], (n) => n >= 0),
    brokers,
    dryRun: values['dry-run'],
  };
  if (options.dryRun && options.events === undefined) throw new Error('--dry-run needs --events');
  return options;
}

/** Simulator options for a run whose live phase starts at `liveFrom` (epoch ms). */
export function simulationOptions(cli: CliOptions, liveFrom: number): PurchaseStreamOptions {
  const historyMs = cli.historyDays * DAY_MS;
  return {
    seed: cli.seed,
    customers: cli.customers,
    ...(cli.events === undefined ? {} : { events: cli.events }),
    until: Number.POSITIVE_INFINITY,
    startTime: liveFrom - historyMs,
    spanMs: historyMs,
    purchasesPerCustomerPerYear: cli.historyRate,
    paced: { from: liveFrom, eventsPerSecond: cli.rate / cli.speedUp },
    replaceLapsed: true,
    currency: cli.currency,
    malformedShare: cli.malformedShare,
    returnShare: cli.returnShare,
    maxLatenessMs: cli.maxLatenessMs,
  };
}

/** Runs the whole simulation without Kafka and summarises it. */
export function runToEnd(sim: PurchaseSimulation) {
  const revenue = new Map<string, number>();
  for (let r = sim.next(); r; r = sim.next()) {
    if (r.malformed || !r.event) continue;
    let amount = 0;
    for (const line of r.event.lines) amount += line.quantity * line.unitPriceMinor;
    revenue.set(r.key, (revenue.get(r.key) ?? 0) + (r.event.kind === 'SALE' ? amount : -amount));
  }
  const values = [...revenue.values()].sort((a, b) => b - a);
  const total = values.reduce((a, b) => a + b, 0);
  const shareOf = (from: number, to: number) =>
    values.slice(from, to).reduce((a, b) => a + b, 0) / (total === 0 ? 1 : total);
  const stats = sim.stats();
  return {
    ...stats,
    buyers: values.length,
    valueShare: {
      top2: shareOf(0, Math.ceil(values.length * 0.02)),
      top20: shareOf(0, Math.ceil(values.length * 0.2)),
      bottom20: shareOf(values.length - Math.floor(values.length * 0.2), values.length),
    },
    lapsedShareOfBuyers:
      stats.customersWithSales === 0 ? 0 : stats.customersLapsed / stats.customersWithSales,
  };
}
