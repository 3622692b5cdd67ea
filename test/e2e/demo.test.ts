import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEndpoints } from '../support/endpoints.js';
import { waitFor } from '../support/kafka-test-client.js';
import { idFreeName } from '../support/scenario.js';
import { freePort } from '../support/worker-process.js';

// The README's first command runs deploy/demo.sh on the stack it starts. This runs that same
// script, unchanged, on the test stack until every kind of decision the README shows has
// scrolled by on its console (value-tier changes, under-consumption alerts, loyalty-ladder moves
// and retention offers), then stops it as a user would (Ctrl-C) and checks nothing failed.

const repoRoot = new URL('../../', import.meta.url).pathname;
const kinds = ['value-tier', 'share-of-wallet', 'loyalty-ladder', 'retention'] as const;

describe('the demo', () => {
  it('runs the whole pipeline with demo traffic and prints every kind of decision', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const [valuePort, sowPort, retentionPort] = [await freePort(), await freePort(), await freePort()];
    const demo = spawn('bash', ['deploy/demo.sh'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        KAFKA_BROKERS: kafkaBrokers,
        REDIS_URL: redisUrl,
        DEMO_RUN_ID: idFreeName('demo-test'),
        // A bound in case the demo never shows them all; the test stops it as soon as it has.
        DEMO_SECONDS: '400',
        METRICS_PORT: String(valuePort),
        SOW_METRICS_PORT: String(sowPort),
        RETENTION_METRICS_PORT: String(retentionPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(demo, 'exit');
    let output = '';
    demo.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    demo.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const decisions = (kind: string) =>
      output.split('\n').filter((line) => new RegExp(`^\\S+ \\S+\\s+${kind}\\s`).test(line)).length;
    try {
      await waitFor(
        'every kind of decision on the demo console',
        async () => demo.exitCode === null && kinds.every((kind) => decisions(kind) > 0),
        { timeoutMs: 360_000, intervalMs: 1000 },
      );
    } finally {
      demo.kill('SIGINT');
    }
    await exited;
    for (const kind of kinds)
      expect(decisions(kind), `${kind} lines\n${output.slice(-3000)}`).toBeGreaterThan(0);
    expect(output).toContain('stopping demo processes');
    // Customer ids are masked on the console.
    expect(output).not.toMatch(/\bc-\d{6}\b/);

    // No worker and not the simulator failed on the way.
    for (const log of ['value-segmentation', 'share-of-wallet', 'retention', 'pos-simulator']) {
      const text = readFileSync(join(repoRoot, '.stack', 'logs', `${log}.log`), 'utf8');
      expect(text, `${log}.log`).not.toMatch(/"level":"fatal"/);
    }
  });
});
