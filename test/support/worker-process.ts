import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

// Workers under test run as real processes (so SIGKILL, SIGTERM and SIGSTOP mean what they
// mean in production), started with tsx from the repo.

const repoRoot = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  metrics(): Promise<string>;
  ready(): Promise<boolean>;
  kill(signal: NodeJS.Signals): void;
}

export async function startWorkerProcess(
  entry: string,
  env: Record<string, string>,
  name: string,
  options: { readonly preload?: readonly string[] } = {},
): Promise<WorkerProcess> {
  const metricsPort = await freePort();
  const logDir = join(repoRoot, '.cache', 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${Date.now()}-${metricsPort}.log`);
  const log = createWriteStream(logFile);
  const preload = (options.preload ?? []).flatMap((module) => ['--import', join(repoRoot, module)]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, ...env, METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}${path}`);
    return { status: response.status, text: await response.text() };
  };
  return {
    child,
    metricsPort,
    logFile,
    exited,
    metrics: async () => (await get('/metrics')).text,
    ready: async () => {
      try {
        return (await get('/readyz')).status === 200;
      } catch {
        return false;
      }
    },
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Sum of a Prometheus counter/gauge over all its label sets in a /metrics text. */
export function metricSum(text: string, name: string, labelFilter?: (labels: string) => boolean): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (labelFilter && !labelFilter(match[3] ?? '')) continue;
    sum += Number(match[4]);
  }
  return sum;
}

/**
 * What a test prints when a worker did not get somewhere: how it exited (if it did), the
 * progress metrics of its last scrape and its last warnings and errors. A CI log keeps nothing
 * else of the process.
 */
export async function describeWorker(worker: WorkerProcess): Promise<string> {
  const exit = await Promise.race([
    worker.exited,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 50)),
  ]);
  const lines: string[] = [
    exit === null ? `${worker.logFile}: running` : `${worker.logFile}: exited ${JSON.stringify(exit)}`,
  ];
  if (exit === null) {
    const text = await worker.metrics().catch((error: Error) => `# no /metrics: ${error.message}`);
    const wanted =
      /^(vs_consumer_lag|vs_records_applied_total|vs_records_consumed_total|vs_stalled_partitions|vs_partition_stalled|vs_batch_retries_total|vs_batch_failures_total|vs_population_waits_total|# no)/;
    lines.push(...text.split('\n').filter((line) => wanted.test(line)));
  }
  const log = await readFile(worker.logFile, 'utf8').catch(() => '');
  const notable = log.split('\n').filter((line) => !/"level":"(debug|info|trace)"/.test(line) && line !== '');
  lines.push(...notable.slice(-25).map((line) => line.slice(0, 600)));
  return lines.join('\n');
}

/**
 * Polls `probe` while the worker runs: fails at once when the worker exits, and on time-out,
 * with describeWorker's account of it.
 */
export async function waitForWorker<T>(
  worker: WorkerProcess,
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 120_000, intervalMs = 250 } = {},
): Promise<T> {
  let exited = false;
  void worker.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    if (exited || Date.now() > deadline) {
      const why = exited ? 'the worker exited' : `timed out after ${timeoutMs} ms`;
      throw new Error(`waiting for ${what}: ${why}\n${await describeWorker(worker)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
