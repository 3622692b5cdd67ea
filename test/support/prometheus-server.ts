// A real Prometheus server (Debian's `prometheus` package) of the test's own: a temp dir for
// its config and TSDB, a free port, a 1 s scrape and rule interval, and targets given through a
// file (file_sd) that the test rewrites as worker processes come and go.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './kafka-test-client.js';
import { freePort } from './worker-process.js';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

export interface PrometheusTarget {
  /** host:port of a /metrics endpoint. */
  readonly address: string;
  /** Extra target labels. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusServer {
  readonly url: string;
  readonly dir: string;
  readonly logFile: string;
  setTargets(targets: readonly PrometheusTarget[]): void;
  /** An instant query (/api/v1/query) at now; the vector's samples. */
  query(expr: string): Promise<Sample[]>;
  /** Label sets of the series matching `match` between `start` and now (/api/v1/series), epoch s. */
  series(match: string, start: number): Promise<Array<Record<string, string>>>;
  /** Every metric name Prometheus has stored (/api/v1/label/__name__/values). */
  metricNames(): Promise<string[]>;
  /** The rule groups and their rules' health (/api/v1/rules). */
  rules(): Promise<Array<{ name: string; health: string; lastError?: string; type: string }>>;
  stop(): Promise<void>;
}

/** The Prometheus binary's version line; a clear error when Debian's package is not installed. */
export function prometheusVersion(): string {
  if (!existsSync(PROMETHEUS_BINARY)) {
    throw new Error(
      `${PROMETHEUS_BINARY} not found: this test runs a real Prometheus. Install Debian's package ` +
        '(apt-get install prometheus) or set PROMETHEUS_BINARY to a prometheus 2.x binary.',
    );
  }
  return execFileSync(PROMETHEUS_BINARY, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
}

export async function startPrometheus(
  options: { ruleFiles?: readonly string[] } = {},
): Promise<PrometheusServer> {
  prometheusVersion();
  const dir = mkdtempSync(join(tmpdir(), 'vs-prometheus-'));
  const port = await freePort();
  const targetsFile = join(dir, 'targets.json');
  const writeTargets = (targets: readonly PrometheusTarget[]) => {
    // Write then rename, so that Prometheus's file watcher never reads half a file.
    const next = `${targetsFile}.next`;
    writeFileSync(
      next,
      JSON.stringify(targets.map((t) => ({ targets: [t.address], labels: { ...(t.labels ?? {}) } }))),
    );
    renameSync(next, targetsFile);
  };
  writeTargets([]);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles?.length
      ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)]
      : []),
    'scrape_configs:',
    '  - job_name: valuestream',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(targetsFile)}]`,
    '        refresh_interval: 1s',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const logFile = join(dir, 'prometheus.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  const server: PrometheusServer = {
    url,
    dir,
    logFile,
    setTargets: writeTargets,
    async query(expr) {
      const data = await api<{
        resultType: string;
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    series(match, start) {
      return api<Array<Record<string, string>>>(
        `/api/v1/series?match[]=${encodeURIComponent(match)}&start=${start}&end=${Date.now() / 1000}`,
      );
    },
    metricNames() {
      return api<string[]>('/api/v1/label/__name__/values');
    },
    async rules() {
      const data = await api<{
        groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; type: string }> }>;
      }>('/api/v1/rules');
      return data.groups.flatMap((g) => g.rules);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      `prometheus ready on port ${port} (log: ${logFile})`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`prometheus exited with ${child.exitCode}; see ${logFile}`);
        return (await fetch(`${url}/-/ready`).catch(() => null))?.ok === true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return server;
}
