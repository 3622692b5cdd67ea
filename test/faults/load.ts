import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

// Continuous load for a fault scenario: the point-of-sale simulator as a real process (the one
// `npm run simulator` runs), backfilling some weeks of history, then producing live at a fixed
// rate until it has sent its events. Faults are injected while it runs.

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface LoadOptions {
  readonly seed: number;
  readonly customers: number;
  readonly historyDays: number;
  /** Purchases per customer and year in the history. */
  readonly historyRate: number;
  /** Live records per second. */
  readonly rate: number;
  /** Total records (history + live). */
  readonly events: number;
  readonly maxLatenessMs: number;
  /** Share of on-time purchases the simulator sends twice (`--resend-share`). */
  readonly resendShare?: number;
}

export const defaultLoad: Omit<LoadOptions, 'seed'> = {
  customers: 400,
  historyDays: 70,
  historyRate: 45,
  rate: 300,
  events: 7000,
  maxLatenessMs: 3 * 86_400_000,
};

export interface LoadProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code when the simulator has sent everything (or died). */
  readonly finished: Promise<number | null>;
  readonly logFile: string;
}

export function startLoad(brokers: string, topic: string, options: LoadOptions, name: string): LoadProcess {
  const logDir = join(repoRoot, '.cache', 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-simulator-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const args = [
    '--import',
    'tsx',
    join(repoRoot, 'services/pos-simulator/main.ts'),
    '--brokers',
    brokers,
    '--topic',
    topic,
    '--seed',
    String(options.seed),
    '--customers',
    String(options.customers),
    '--history-days',
    String(options.historyDays),
    '--history-rate',
    String(options.historyRate),
    '--rate',
    String(options.rate),
    '--events',
    String(options.events),
    '--max-lateness-ms',
    String(options.maxLatenessMs),
    '--resend-share',
    String(options.resendShare ?? 0),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const finished = once(child, 'exit').then(([code]) => code as number | null);
  return { child, finished, logFile };
}
