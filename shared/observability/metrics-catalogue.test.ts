import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerNextBestOfferMetrics } from '../../services/next-best-offer/metrics.js';
import { registerRetentionMetrics } from '../../services/retention/metrics.js';
import { registerShareOfWalletMetrics } from '../../services/share-of-wallet/metrics.js';
import { registerValueTierGauges } from '../../services/value-segmentation/tier-gauges.js';
import { RuntimeEvents } from '../runtime/runtime-events.js';
import type { PopulationStore } from '../runtime/state-store.js';
import { createRuntimeMetrics } from './metrics.js';
import {
  catalogueEntry,
  exposedBy,
  FAMILIES,
  isCatalogued,
  METRICS,
  WORKERS,
  type WorkerName,
} from './metrics-catalogue.js';
import { METRICS_DOC_PATH, metricsMarkdown } from './metrics-doc.js';
import { registerSchemaRegistryMetrics } from './schema-registry-metrics.js';

// The catalogue against what the workers register: each worker's registry is built as
// run-worker.ts builds it (the runtime's metrics, then the worker's registerMetrics as its main.ts
// calls it); the metrics run-worker.ts defines inline are read from its source, as is every
// metric defined anywhere in shared/ and services/. test/integration/prometheus.test.ts checks
// the same catalogue against a real Prometheus scraping the running workers.

const root = new URL('../..', import.meta.url).pathname;

/** Registration never reads the population (only a scrape does): any read fails the test. */
const population = new Proxy({} as PopulationStore, {
  get: (_, method) => () => {
    throw new Error(`population.${String(method)} read at registration`);
  },
});

function registryOf(worker: WorkerName): Registry {
  const events = new RuntimeEvents();
  const { registry } = createRuntimeMetrics(worker, events);
  // As run-worker.ts registers them when SCHEMA_REGISTRY_URL is set.
  registerSchemaRegistryMetrics(registry, events);
  if (worker === 'value-segmentation') registerValueTierGauges(registry, population, 4);
  if (worker === 'share-of-wallet') registerShareOfWalletMetrics(registry, events);
  if (worker === 'retention') registerRetentionMetrics(registry, population, events, 4, 28 * 86_400_000);
  if (worker === 'next-best-offer') registerNextBestOfferMetrics(registry, population, events, 4);
  return registry;
}

interface Registered {
  readonly name: string;
  readonly type: string;
  readonly labels: string[];
}

function registered(registry: Registry): Registered[] {
  return registry.getMetricsAsArray().map((metric) => {
    const m = metric as unknown as { name: string; type?: string; labelNames?: string[] };
    return {
      name: m.name,
      // The type Prometheus is told (a BatchedHistogram is a histogram), else the class.
      type: m.type ?? metric.constructor.name.toLowerCase(),
      labels: [...(m.labelNames ?? [])].sort(),
    };
  });
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Metric names defined in source (`name: 'vs_…'` of a prom-client constructor). */
function definedIn(path: string): string[] {
  return [...readFileSync(join(root, path), 'utf8').matchAll(/\bname:\s*'(vs_[a-z0-9_]+)'/g)].map(
    (m) => m[1]!,
  );
}

/** What runWorker registers on every worker's registry besides the runtime's metrics. */
const inlineInRunWorker = definedIn('shared/runtime/run-worker.ts');

describe('metrics catalogue', () => {
  it('reads the inline metrics of run-worker.ts', () => {
    expect(inlineInRunWorker).toContain('vs_ready');
    expect(inlineInRunWorker.length).toBeGreaterThanOrEqual(3);
  });

  for (const worker of WORKERS) {
    it(`documents exactly what the ${worker} worker registers, with its type and labels`, () => {
      const metrics = registered(registryOf(worker));
      const names = new Set([...metrics.map((m) => m.name), ...inlineInRunWorker]);
      expect([...names].filter((n) => !isCatalogued(n))).toEqual([]);
      for (const entry of METRICS) {
        expect(names.has(entry.name), `${entry.name} exposed by ${worker}`).toBe(exposedBy(entry, worker));
      }
      for (const m of metrics) {
        const entry = catalogueEntry(m.name);
        if (!entry) continue;
        expect(m.type, m.name).toBe(entry.type);
        expect(m.labels, m.name).toEqual(Object.keys(entry.labels).sort());
      }
      for (const family of FAMILIES)
        expect(metrics.filter((m) => m.name.startsWith(family.prefix)).length, family.prefix).toBeGreaterThan(
          10,
        );
    });
  }

  it('documents every metric defined anywhere in shared/ and services/', () => {
    const defined = [...sources('shared'), ...sources('services')]
      .filter((path) => path !== 'shared/observability/metrics-catalogue.ts')
      .flatMap(definedIn);
    expect(defined.length).toBeGreaterThan(30);
    expect(defined.filter((n) => !isCatalogued(n))).toEqual([]);
  });

  it('lists each metric once, with a meaning, and no customer identity among the labels', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRICS) {
      expect(m.meaning.length, m.name).toBeGreaterThan(20);
      expect(m.name).toMatch(/^vs_[a-z0-9_]+$/);
      if (m.type === 'counter') expect(m.name, 'counters end in _total').toMatch(/_total$/);
      for (const label of Object.keys(m.labels))
        expect(/customer|email|phone|name|key|event_?id/i.test(label), `${m.name}{${label}}`).toBe(false);
    }
  });

  it('deploy/METRICS.md is what the catalogue generates (npx tsx shared/observability/metrics-doc.ts)', () => {
    expect(readFileSync(METRICS_DOC_PATH, 'utf8')).toBe(metricsMarkdown());
  });
});
