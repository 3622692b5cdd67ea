import { afterEach, describe, expect, it } from 'vitest';
import { StandInRegistry } from '../../test/support/stand-in-registry.js';
import { defaultSchemas } from '../avro/index.js';
import { IncompatibleSchemaError, RegistryUnavailableError } from './errors.js';
import { registerOutputSchemas, valueSubject } from './output-schemas.js';
import { RegistryClient } from './registry-client.js';

const segmentChanged = defaultSchemas().schema('SegmentChanged').schema;
const erasureCompleted = defaultSchemas().schema('ErasureCompleted').schema;
const outputs = [
  { clusterTopic: 't1.segment-changes', schema: segmentChanged },
  { clusterTopic: 't1.erasures-completed', schema: erasureCompleted },
];
const noWait = { attempts: 3, firstDelayMs: 1, sleep: async () => undefined };

let registry: StandInRegistry;
let client: RegistryClient;
afterEach(async () => {
  client?.close();
  await registry?.stop();
});

async function start(): Promise<void> {
  registry = await new StandInRegistry().start();
  client = new RegistryClient({ url: registry.url, timeoutMs: 500 });
}

describe('registerOutputSchemas', () => {
  it('registers each output schema under <topic>-value, compact JSON, the same id at every start', async () => {
    await start();
    const ids = await registerOutputSchemas(client, outputs, noWait);
    expect(registry.versionsOf('t1.segment-changes-value')).toEqual([ids.get('t1.segment-changes')]);
    expect(registry.versionsOf('t1.erasures-completed-value')).toEqual([ids.get('t1.erasures-completed')]);
    expect(registry.schemaText(ids.get('t1.segment-changes')!)).toBe(JSON.stringify(segmentChanged));
    expect(await registerOutputSchemas(client, outputs, noWait)).toEqual(ids);
    expect(valueSubject('purchases')).toBe('purchases-value');
  });

  it('stops with the subject named when the registry refuses a changed schema of ours', async () => {
    await start();
    registry.add('t1.segment-changes-value', { type: 'record', name: 'SegmentChanged', fields: [] });
    registry.refuse('t1.segment-changes-value');
    const error = await registerOutputSchemas(client, outputs, noWait).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleSchemaError);
    expect((error as Error).message).toContain('subject t1.segment-changes-value');
    expect((error as IncompatibleSchemaError).reasonCode).toBe('SCHEMA_INCOMPATIBLE');
  });

  it('retries while the registry is unavailable, then goes on', async () => {
    await start();
    registry.mode = 'down';
    const retries: number[] = [];
    const ids = await registerOutputSchemas(client, outputs, {
      ...noWait,
      attempts: 5,
      onRetry: (attempt) => {
        retries.push(attempt);
        if (attempt === 2) registry.mode = 'up';
      },
    });
    expect(retries).toEqual([1, 2]);
    expect(ids.size).toBe(2);
  });

  it('registers again when the registry lost a race between two registrations (409 "already exists")', async () => {
    await start();
    registry.loseRaces(2);
    const retried: string[] = [];
    const ids = await registerOutputSchemas(client, outputs, {
      ...noWait,
      onRetry: (_attempt, error) => retried.push(error.message),
    });
    expect(retried).toHaveLength(2);
    expect(retried[0]).toContain('already exists');
    expect(registry.versionsOf('t1.segment-changes-value')).toEqual([ids.get('t1.segment-changes')]);
  });

  it('gives up after its attempts with the registry still down', async () => {
    await start();
    registry.mode = 'down';
    await expect(registerOutputSchemas(client, outputs, noWait)).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });
});
