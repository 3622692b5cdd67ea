import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Kafka jars deploy/stack.sh fetched (`.cache/kafka/<version>/libs`): the broker and the Java client. */
export function kafkaLibs(): string {
  const cache = join(root, '.cache', 'kafka');
  const versions = existsSync(cache)
    ? readdirSync(cache).filter((v) => existsSync(join(cache, v, 'libs')))
    : [];
  if (versions.length === 0)
    throw new Error(`no Kafka jars under ${cache}: start the local stack once (bash deploy/stack.sh up)`);
  return join(cache, versions.sort().at(-1)!, 'libs');
}

/** Runs one of test/support/java/*.java from source with the Kafka jars; resolves with its stdout. */
async function runJava(program: string, args: readonly string[], input?: string): Promise<string> {
  const source = join(root, 'test', 'support', 'java', `${program}.java`);
  const child = spawn('java', ['-cp', `${kafkaLibs()}/*`, source, ...args], {
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  if (input !== undefined) child.stdin!.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${program} failed (exit ${code}): ${err.slice(-2000)}`);
  return out;
}

/**
 * Produces records with Apache Kafka's Java producer (test/support/java/LinesProducer.java) and a
 * compression type: what a point-of-sale system on the Java client sends. Resolves with the
 * number of records it acknowledged.
 */
export async function produceWithJavaClient(
  brokers: string,
  topic: string,
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd',
  records: ReadonlyArray<{ key: string | Buffer; value: Buffer }>,
): Promise<number> {
  const lines = records.map(
    ({ key, value }) => `${Buffer.from(key).toString('base64')} ${value.toString('base64')}\n`,
  );
  const out = await runJava('LinesProducer', [brokers, topic, compression], lines.join(''));
  const sent = /sent (\d+)/.exec(out);
  if (!sent) throw new Error(`LinesProducer said nothing of what it sent: ${out.slice(-500)}`);
  return Number(sent[1]);
}

/** Values of a topic as Apache Kafka's Java consumer reads them (test/support/java/LinesConsumer.java), up to `count`. */
export async function consumeWithJavaClient(
  brokers: string,
  topic: string,
  count: number,
): Promise<Buffer[]> {
  const out = await runJava('LinesConsumer', [brokers, topic, String(count)]);
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => Buffer.from(line, 'base64'));
}
