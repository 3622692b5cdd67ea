import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RuntimeEvents } from '../runtime/runtime-events.js';
import { registerSchemaRegistryMetrics } from './schema-registry-metrics.js';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  const sample = metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return sample?.value ?? Number.NaN;
}

describe('schema registry metrics', () => {
  it('count requests by outcome, say whether the registry answers, and count cache lookups', async () => {
    const registry = new Registry();
    const events = new RuntimeEvents();
    registerSchemaRegistryMetrics(registry, events);
    expect(await value(registry, 'vs_schema_cache_lookups_total', { result: 'miss' })).toBe(0);
    events.emit('schemaRegistryRequest', { operation: 'get-schema', outcome: 'ok', seconds: 0.01 });
    expect(await value(registry, 'vs_schema_registry_up')).toBe(1);
    events.emit('schemaRegistryRequest', { operation: 'get-schema', outcome: 'unavailable', seconds: 5 });
    expect(await value(registry, 'vs_schema_registry_up')).toBe(0);
    // An unknown id is an answer: the registry is up.
    events.emit('schemaRegistryRequest', { operation: 'get-schema', outcome: 'not-found', seconds: 0.01 });
    expect(await value(registry, 'vs_schema_registry_up')).toBe(1);
    events.emit('schemaRegistryRequest', { operation: 'probe', outcome: 'rejected', seconds: 0.01 });
    expect(await value(registry, 'vs_schema_registry_up')).toBe(0);
    expect(
      await value(registry, 'vs_schema_registry_requests_total', {
        operation: 'get-schema',
        outcome: 'unavailable',
      }),
    ).toBe(1);
    events.emit('schemaCacheLookup', { result: 'hit' });
    events.emit('schemaCacheLookup', { result: 'hit' });
    expect(await value(registry, 'vs_schema_cache_lookups_total', { result: 'hit' })).toBe(2);
  });
});
