import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './fault-run.js';

// The per-scenario table of the fault suite, printed at the end of `npm run test:faults` and
// kept in .cache/faults/report.md (the README shows a recent one).

const repoRoot = new URL('../../', import.meta.url).pathname;

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

export function formatReport(results: readonly ScenarioResult[], failed: readonly string[]): string {
  const header =
    '| scenario | records in | applied | dead-lettered | outputs | duplicates produced | faults | restarts | time to recover (worst) | run time |';
  const rows = results.map((r) =>
    [
      r.scenario,
      r.recordsIn,
      r.applied,
      r.deadLettered,
      r.outputs,
      r.duplicates,
      r.faults,
      r.restarts,
      seconds(r.recoverMs),
      seconds(r.wallMs),
    ].join(' | '),
  );
  const lines = [header, `|${'---|'.repeat(10)}`, ...rows.map((row) => `| ${row} |`)];
  if (failed.length > 0) lines.push('', `FAILED: ${failed.join(', ')}`);
  return lines.join('\n');
}

export function writeReport(results: readonly ScenarioResult[], failed: readonly string[]): string {
  const text = formatReport(results, failed);
  const dir = join(repoRoot, '.cache', 'faults');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.md'), `${text}\n`);
  return text;
}
