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

/** A record to produce: `schema` is the index of its writer schema in produceFramed's list (0 by default). */
export interface ForeignRecordToSend extends ForeignRecord {
  readonly schema?: number;
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

/** Writes schemas to temp files for the duration of `use`. */
async function withSchemaFiles<T>(
  schemas: readonly object[],
  use: (files: string[]) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'foreign-registry-'));
  try {
    const files = schemas.map((_, i) => path.join(dir, `schema-${i}.avsc`));
    await Promise.all(schemas.map((schema, i) => writeFile(files[i]!, JSON.stringify(schema))));
    return await use(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Produces `records` framed in the Confluent wire format with python's AvroProducer, in order,
 * from one producer; it registers each writer schema under `<topic>-value` when it first uses it.
 * `schema` is one schema, or a list that records pick from by index (a producer moving from v1 to
 * v2 mid-stream). Keys are plain UTF-8 strings, partitioned as kafkajs and the Java client do.
 * Resolves with the count sent and the schema ids (`schemaId`: the first's); rejects when the
 * registry refuses a schema (nothing is sent then if it is the first record's).
 */
export function produceFramed(
  target: ForeignRegistryTarget,
  schema: object | readonly object[],
  records: readonly ForeignRecordToSend[],
): Promise<{ sent: number; schemaId: number; schemaIds: number[] }> {
  const schemas = Array.isArray(schema) ? schema : [schema];
  return withSchemaFiles(schemas, async (files) => {
    const input = records
      .map((r) => `${JSON.stringify({ key: r.key, value: r.value, schema: r.schema ?? 0 })}\n`)
      .join('');
    const out = await runPython(
      'produce_framed.py',
      [
        '--brokers',
        target.brokers,
        '--registry',
        target.registryUrl,
        '--topic',
        target.topic,
        ...files.flatMap((file) => ['--schema', file]),
      ],
      input,
    );
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      sent: number;
      schemaId: number;
      schemaIds: number[];
    };
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
    ? await withSchemaFiles([options.readerSchema], ([file]) =>
        runPython('consume_framed.py', [...args, '--reader-schema', file!]),
      )
    : await runPython('consume_framed.py', args);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ForeignConsumedRecord);
}
