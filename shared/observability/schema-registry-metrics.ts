import { Counter, Gauge, type Registry } from 'prom-client';
import type { RuntimeEvents } from '../runtime/runtime-events.js';

// The schema registry as a worker sees it (registered only when SCHEMA_REGISTRY_URL is set): its
// requests by outcome, whether its last answer was a useful one, and how often a step found the
// writer schemas it needed already cached.

/** Outcomes that show the registry up: it answered, whatever it answered about the schema. */
const ANSWERED = new Set(['ok', 'not-found', 'incompatible']);

export function registerSchemaRegistryMetrics(registry: Registry, events: RuntimeEvents): void {
  const requests = new Counter({
    name: 'vs_schema_registry_requests_total',
    help: 'Requests to the schema registry by operation (probe, get-schema, register, compatibility) and outcome (ok, not-found, incompatible, rejected, unavailable)',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  });
  const up = new Gauge({
    name: 'vs_schema_registry_up',
    help: '1 when the last request to the schema registry got an answer, 0 when it was unreachable, timed out, failed (5xx) or refused our credentials',
    registers: [registry],
  });
  const lookups = new Counter({
    name: 'vs_schema_cache_lookups_total',
    help: 'Writer schema ids looked up before decoding, by result: hit (cached) or miss (fetched from the registry)',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['hit', 'miss']) lookups.inc({ result }, 0);
  events.on('schemaRegistryRequest', (e) => {
    requests.inc({ operation: e.operation, outcome: e.outcome });
    up.set(ANSWERED.has(e.outcome) ? 1 : 0);
  });
  events.on('schemaCacheLookup', (e) => lookups.inc({ result: e.result }));
}
