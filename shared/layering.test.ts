import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layering the style guide asks for, checked on every source file: services import shared,
// never the reverse; only the Kafka module imports kafkajs, only the Redis module ioredis, only
// the Avro module avsc; business decisions never touch prom-client, the logger or the environment.

const root = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

const files = [...sources('shared'), ...sources('services')].map((path) => ({
  path,
  imports: [...readFileSync(join(root, path), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  ),
}));

function importers(moduleName: string): string[] {
  return files
    .filter((f) => f.imports.some((i) => i === moduleName || i.startsWith(`${moduleName}/`)))
    .map((f) => f.path);
}

describe('layering', () => {
  it('keeps kafkajs inside shared/kafka (and the simulator producer)', () => {
    for (const path of importers('kafkajs')) {
      expect(path.startsWith('shared/kafka/') || path === 'services/pos-simulator/producer.ts', path).toBe(
        true,
      );
    }
  });

  it('keeps ioredis inside shared/redis and avsc inside shared/avro', () => {
    for (const path of importers('ioredis')) expect(path.startsWith('shared/redis/'), path).toBe(true);
    for (const path of importers('avsc')) expect(path.startsWith('shared/avro/'), path).toBe(true);
  });

  it('never lets shared import a service', () => {
    for (const f of files.filter((file) => file.path.startsWith('shared/'))) {
      for (const i of f.imports) expect(i.includes('services/'), `${f.path} imports ${i}`).toBe(false);
    }
  });

  it('keeps decisions pure: no metrics, logger, clock or environment in the value-segmentation logic', () => {
    const logic = files.filter(
      (f) =>
        f.path.startsWith('services/value-segmentation/') && !/\/(main|config|tier-gauges)\.ts$/.test(f.path),
    );
    expect(logic.length).toBeGreaterThan(5);
    for (const f of logic) {
      const text = readFileSync(join(root, f.path), 'utf8');
      expect(
        f.imports.filter((i) => /prom-client|pino|observability|kafkajs|ioredis/.test(i)),
        f.path,
      ).toEqual([]);
      expect(/process\.env|Date\.now\(\)|new Date\(\)/.test(text), relative(root, f.path)).toBe(false);
    }
  });
});
