// A registry-aware client outside Node: test/support/foreign-registry/*.py on Debian's
// python3-confluent-kafka 1.7 (legacy confluent_kafka.avro serializer), run with /usr/bin/python3
// (the Debian packages are not on a pyenv or venv python's path).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'foreign-registry');
const PYTHON = process.env.FOREIGN_REGISTRY_PYTHON ?? '/usr/bin/python3';

export interface ForeignRegistryTarget {
  readonly brokers: string;
  /** The registry's Confluent-compatible API base URL (SCHEMA_REGISTRY_URL). */
  readonly registryUrl: string;
  readonly topic: string;
}

export interface ForeignRecord {
  readonly key: string;
  /** As JSON: timestamp-millis fields as epoch milliseconds, unions unwrapped (null or the value). */
  readonly value: unknown;
}

export interface ForeignConsumedRecord extends ForeignRecord {
  readonly partition: number;
  readonly offset: number;
}

function runPython(script: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(scripts, script), ...args], {
      cwd: scripts,
      // No __pycache__ beside the scripts in the work tree.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${script} failed (exit ${code}): ${err.slice(-2000)}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** Writes a schema to a temp file for the duration of `use`. */
async function withSchemaFile<T>(schema: object, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'foreign-registry-'));
  try {
    const file = path.join(dir, 'schema.avsc');
    await writeFile(file, JSON.stringify(schema));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Produces `records` framed in the Confluent wire format with python's AvroProducer, which
 * registers `schema` under `<topic>-value` first. Keys are plain UTF-8 strings. Resolves with the
 * count sent and the schema id in the frames; rejects when the registry refuses the schema.
 */
export function produceFramed(
  target: ForeignRegistryTarget,
  schema: object,
  records: readonly ForeignRecord[],
): Promise<{ sent: number; schemaId: number }> {
  return withSchemaFile(schema, async (file) => {
    const input = records.map((r) => `${JSON.stringify({ key: r.key, value: r.value })}\n`).join('');
    const out = await runPython(
      'produce_framed.py',
      [
        '--brokers',
        target.brokers,
        '--registry',
        target.registryUrl,
        '--topic',
        target.topic,
        '--schema',
        file,
      ],
      input,
    );
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { sent: number; schemaId: number };
  });
}

/**
 * Reads `count` records of a topic from the beginning with python's AvroConsumer (each value's
 * writer schema fetched by the id in its frame; resolved to `readerSchema` when given).
 */
export async function consumeFramed(
  target: ForeignRegistryTarget,
  count: number,
  options: { timeoutS?: number; readerSchema?: object } = {},
): Promise<ForeignConsumedRecord[]> {
  const args = [
    '--brokers',
    target.brokers,
    '--registry',
    target.registryUrl,
    '--topic',
    target.topic,
    '--count',
    String(count),
    '--timeout',
    String(options.timeoutS ?? 30),
  ];
  const out = options.readerSchema
    ? await withSchemaFile(options.readerSchema, (file) =>
        runPython('consume_framed.py', [...args, '--reader-schema', file]),
      )
    : await runPython('consume_framed.py', args);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ForeignConsumedRecord);
}
