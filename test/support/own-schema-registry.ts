// An Apicurio Registry of a test's own, from the runner that deploy/stack.sh builds and caches
// (.cache/schema-registry/<version>/), on a free port: a test can freeze it (SIGSTOP: requests
// hang, then time out, as with a registry that is down) and thaw it (SIGCONT: the same ids are
// still there, as storage is in memory) without disturbing the stack's registry other files use.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './kafka-test-client.js';
import { freePort } from './worker-process.js';

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface OwnSchemaRegistry {
  /** The Confluent-compatible API (the SCHEMA_REGISTRY_URL format). */
  readonly url: string;
  readonly logFile: string;
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void;
  stop(): Promise<void>;
}

/** The runner deploy/stack.sh builds (same lookup as deploy/lib/schema-registry.sh). */
function cachedRunner(): string {
  const pom = readFileSync(join(repoRoot, 'deploy/schema-registry/pom.xml'), 'utf8');
  const version = /<apicurio\.version>([^<]+)<\/apicurio\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('cannot read <apicurio.version> from deploy/schema-registry/pom.xml');
  const jar = join(repoRoot, '.cache/schema-registry', version, 'apicurio-registry-runner.jar');
  if (!existsSync(jar)) {
    throw new Error(`${jar} is missing: 'bash deploy/stack.sh up schema-registry' builds it (once)`);
  }
  return jar;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** Starts one with BACKWARD compatibility, as the stack's; resolves when it answers. */
export async function startOwnSchemaRegistry(name: string): Promise<OwnSchemaRegistry> {
  const jar = cachedRunner();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const logDir = join(repoRoot, '.cache', 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-registry-${Date.now()}-${port}.log`);
  const log = createWriteStream(logFile);
  // A clean environment, as deploy/lib/schema-registry.sh: the app reads variables such as
  // HTTP_PORT and KAFKA_BOOTSTRAP_SERVERS that mean other things in a test's environment.
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xmx256m',
      '-Djava.awt.headless=true',
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${port}`,
      // One request at a time, as deploy/lib/schema-registry.sh explains (Apicurio 2.4.2 on H2).
      '-Dquarkus.thread-pool.core-threads=1',
      '-Dquarkus.thread-pool.max-threads=1',
      '-jar',
      jar,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitFor(
      `the test's own schema registry on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`it exited with ${child.exitCode}; see ${logFile}`);
        return answers(url);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const put = await fetch(`${url}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (!put.ok) throw new Error(`PUT ${url}/config: HTTP ${put.status}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    logFile,
    signal: (signal) => {
      child.kill(signal);
    },
    stop: async () => {
      // A frozen JVM is killed as well; SIGCONT first so its exit is reported at once.
      child.kill('SIGCONT');
      await stop();
    },
  };
}
