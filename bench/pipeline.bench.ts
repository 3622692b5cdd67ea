import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../shared/redis/connection.js';
import {
  crmDataset,
  type Dataset,
  type DatasetOptions,
  purchasesDataset,
  recordCount,
} from './lib/datasets.js';
import { installFetchCounter } from './lib/fetch-counter.js';
import { benchKafka } from './lib/kafka-io.js';
import { type BenchOptions, HELP, parseBenchOptions, type ScenarioName, UsageError } from './lib/options.js';
import { checkResults, markdownTable, notes, type ScenarioResult, thresholdsFor } from './lib/report.js';
import { type BenchContext, cleanUp, runScenario, type ScenarioPlan } from './lib/scenarios.js';
import { inputsOf as workerInputs } from './lib/worker-inputs.js';
import type { WorkerKind } from './lib/workers.js';

// npm run bench: each worker measured from its start until Redis's applied offsets reach every
// partition's end offset, against the raw kafkajs consume-and-decode rate of the same topics in
// the same run. bench/README.md explains every figure and how it is measured.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const policyPath = join(root, 'deploy/retention-offer-policy.json');

let options: BenchOptions;
try {
  const parsed = parseBenchOptions(process.argv.slice(2), process.env);
  if (parsed === 'help') {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  options = parsed;
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n\n${HELP}\n`);
  process.exit(2);
}

interface Endpoints {
  readonly brokers: string;
  readonly redisUrl: string;
  /** host:port,... of a Redis Cluster, '' for one Redis. */
  readonly redisClusterNodes: string;
}

function endpoints(): Endpoints {
  const { KAFKA_BROKERS, REDIS_URL, REDIS_CLUSTER_NODES } = process.env;
  if (KAFKA_BROKERS && (REDIS_URL || REDIS_CLUSTER_NODES))
    return {
      brokers: KAFKA_BROKERS,
      redisUrl: REDIS_URL ?? '',
      redisClusterNodes: REDIS_CLUSTER_NODES ?? '',
    };
  const envFile = join(root, '.stack', 'env');
  if (
    !existsSync(envFile) ||
    !/running/.test(execFileSync('bash', [join(root, 'deploy/stack.sh'), 'status']).toString())
  ) {
    execFileSync('bash', [join(root, 'deploy/stack.sh'), 'up'], { stdio: 'inherit' });
  }
  const env = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=', 2) as [string, string]),
  );
  return {
    brokers: env.KAFKA_BROKERS!,
    redisUrl: env.REDIS_URL ?? '',
    redisClusterNodes: env.REDIS_CLUSTER_NODES ?? '',
  };
}

function inputsOf(kind: WorkerKind): ScenarioPlan['inputs'] {
  return workerInputs(kind, options.partitions, policyPath);
}

const datasetOptions: DatasetOptions = {
  seed: options.seed,
  customers: options.customers,
  events: options.events,
  consumptionCustomers: options.consumptionCustomers,
};
const datasets = new Map<'purchases' | 'crm', Dataset>();
function dataset(which: 'purchases' | 'crm'): Dataset {
  let d = datasets.get(which);
  if (!d) {
    const started = performance.now();
    d = which === 'purchases' ? purchasesDataset(datasetOptions) : crmDataset(datasetOptions, true);
    datasets.set(which, d);
    log(
      `generated the ${which === 'purchases' ? 'purchases' : 'share-of-wallet/retention'} dataset: ` +
        `${[...d].map(([t, r]) => `${r.length.toLocaleString('en-US')} ${t}`).join(', ')} ` +
        `(${recordCount(d).toLocaleString('en-US')} records, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  return d;
}

function planFor(name: ScenarioName): ScenarioPlan {
  const vs = (settings: Record<string, string>, mode: ScenarioPlan['mode']): ScenarioPlan => ({
    name,
    worker: 'value-segmentation',
    inputs: inputsOf('value-segmentation'),
    dataset: dataset('purchases'),
    settings,
    mode,
  });
  switch (name) {
    case 'vs-daily':
      return vs({ VALUE_REFRESH_PERIOD: '1d', VALUE_PUBLISH_DELAY: '1d' }, 'in-process');
    case 'vs-hourly':
      // As deploy/demo.sh runs it.
      return vs({ VALUE_REFRESH_PERIOD: '1h', VALUE_PUBLISH_DELAY: '1h' }, 'in-process');
    case 'backfill-live':
      return vs({ VALUE_REFRESH_PERIOD: '1d', VALUE_PUBLISH_DELAY: '1d' }, 'backfill-live');
    case 'two-workers':
      return vs({ VALUE_REFRESH_PERIOD: '1d', VALUE_PUBLISH_DELAY: '1d' }, 'processes');
    case 'scale-out-1':
    case 'scale-out-2':
    case 'scale-out-3':
      return {
        ...vs({ VALUE_REFRESH_PERIOD: '1d', VALUE_PUBLISH_DELAY: '1d' }, 'processes'),
        processes: Number(name.slice(-1)),
      };
    case 'share-of-wallet':
      return {
        name,
        worker: 'share-of-wallet',
        inputs: inputsOf('share-of-wallet'),
        dataset: dataset('crm'),
        settings: {},
        mode: 'in-process',
      };
    case 'retention':
      return {
        name,
        worker: 'retention',
        inputs: inputsOf('retention'),
        dataset: dataset('crm'),
        settings: { RETENTION_OFFER_POLICY: policyPath },
        mode: 'in-process',
      };
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const { brokers, redisUrl, redisClusterNodes } = endpoints();
installFetchCounter();
const runId = `bench-${Date.now().toString(36)}`;
const logDir = join(root, '.cache', 'bench-logs', runId);
mkdirSync(logDir, { recursive: true });
const kafka = benchKafka(brokers.split(','), runId);
const admin = kafka.admin();
await admin.connect();
const redis: RedisClient = redisClusterNodes
  ? new Cluster(
      redisClusterNodes.split(',').map((node) => {
        const at = node.lastIndexOf(':');
        return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
      }),
      { redisOptions: { connectionName: `${runId}-bench` } },
    )
  : new Redis(redisUrl, { connectionName: `${runId}-bench` });
const redisVersion = /redis_version:([^\r\n]+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
const aborter = new AbortController();
const children = new Set<ChildProcess>();
let signals = 0;
const onSignal = () => {
  signals += 1;
  if (signals > 1) {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  }
  log('interrupted: stopping the scenario in flight and cleaning up (again to exit at once)');
  aborter.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const ctx: BenchContext = {
  runId,
  root,
  options,
  brokers: brokers.split(','),
  redisUrl,
  redisClusterNodes,
  kafka,
  admin,
  redis,
  logDir,
  signal: aborter.signal,
  children,
  log,
};

const startedAt = new Date();
const loadBefore = loadavg();
log(
  `bench ${runId}: scenarios ${options.scenarios.join(', ')}; ${options.events.toLocaleString('en-US')} purchases, ` +
    `${options.customers.toLocaleString('en-US')} customers, ${options.partitions} partitions; ` +
    `timeout ${options.timeoutSeconds} s per scenario; worker logs in ${logDir}`,
);
const results: ScenarioResult[] = [];
try {
  for (const name of options.scenarios) {
    if (aborter.signal.aborted) break;
    const result = await runScenario(ctx, planFor(name));
    results.push(result);
    if (result.status !== 'ok') log(`[${name}] FAILED (${result.status}): ${result.failure}`);
    else
      log(
        `[${name}] ${result.records.total.toLocaleString('en-US')} records in ${result.seconds.toFixed(1)} s: ` +
          `${Math.round(result.eventsPerSecond ?? 0).toLocaleString('en-US')} events/s`,
      );
  }
} finally {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cleanUp(ctx, `${runId}-`).catch((error: Error) => log(`clean-up failed: ${error.message}`));
  await admin.disconnect().catch(() => undefined);
  await redis.quit().catch(() => redis.disconnect());
}

const failed = results.filter((r) => r.status !== 'ok');
const checkFailures = checkResults(results);
const output = {
  at: startedAt.toISOString(),
  runId,
  node: process.version,
  machine: { cpus: cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
  kafka: { brokers },
  redis: { version: redisVersion, cluster: redisClusterNodes ? redisClusterNodes.split(',').length : 0 },
  options,
  workerLogs: logDir,
  results,
  thresholds: options.scenarios.flatMap((s) => thresholdsFor(s)),
  check: { enforced: options.check, failures: checkFailures },
};
log(`\n${markdownTable(results)}\n`);
for (const line of notes(results)) log(`- ${line}`);
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = join(
  outDir,
  `pipeline-${startedAt.toISOString().slice(0, 19).replace(/[:T]/g, '-')}${options.quick ? '-quick' : ''}.json`,
);
writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
log(`\nwritten ${file}`);
if (checkFailures.length > 0)
  log(
    `\n${options.check ? 'CHECK FAILED' : 'thresholds not met (report only; --check enforces them)'}:\n` +
      checkFailures.map((f) => `  - ${f}`).join('\n'),
  );
if (failed.length > 0) {
  process.stderr.write(
    `\nbench FAILED: ${failed.map((r) => `${r.scenario} (${r.status}): ${r.failure}`).join('\n  ')}\n`,
  );
  process.exit(1);
}
process.exit(options.check && checkFailures.length > 0 ? 1 : 0);
