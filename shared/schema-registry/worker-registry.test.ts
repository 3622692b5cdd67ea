import { afterEach, describe, expect, it } from 'vitest';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { scenarioSettings } from '../../test/support/scenario.js';
import { StandInRegistry } from '../../test/support/stand-in-registry.js';
import { SchemaRegistrySettings } from '../config/schema-registry-config.js';
import { createLogger } from '../observability/logger.js';
import { RuntimeEvents } from '../runtime/runtime-events.js';
import { readFrame } from './wire-format.js';
import { outputTopicsOf, startWorkerSchemaRegistry } from './worker-registry.js';

const logger = createLogger({ level: 'silent', name: 'test' });
let registry: StandInRegistry | undefined;
afterEach(async () => {
  await registry?.stop();
  registry = undefined;
});

const base = {
  inputFraming: new Map([['p.purchases', 'plain' as const]]),
  clusterTopic: (logical: string) => `p.${logical}`,
  events: new RuntimeEvents(),
  logger,
};

describe('outputTopicsOf', () => {
  it('is what the worker declares, plus the erasure completions of a worker that reads erasures', () => {
    expect(outputTopicsOf(createValueSegmentationWorker(scenarioSettings))).toEqual([
      'erasures-completed',
      'segment-changes',
    ]);
  });

  it('is every catalogue topic besides the inputs when the worker declares none', () => {
    const topics = outputTopicsOf({ inputs: [{ topic: 'purchases' }] } as never);
    expect(topics).toContain('retention-offers');
    expect(topics).not.toContain('purchases');
  });

  it('refuses a topic outside the catalogue', () => {
    expect(() => outputTopicsOf({ inputs: [], outputTopics: ['nope'] })).toThrow(
      /not in the topic catalogue/,
    );
  });
});

describe('startWorkerSchemaRegistry', () => {
  it('without a registry: plain inputs, outputs as they are, nothing asked', async () => {
    const worker = await startWorkerSchemaRegistry({
      ...base,
      settings: null,
      outputFraming: 'plain',
      outputTopics: [],
    });
    expect(worker.inputs.needsRegistry).toBe(false);
    expect(worker.outputValue('p.segment-changes', Buffer.from([7]))).toEqual(Buffer.from([7]));
  });

  it('registers the outputs and frames their values with the registered id', async () => {
    registry = await new StandInRegistry().start();
    const worker = await startWorkerSchemaRegistry({
      ...base,
      settings: new SchemaRegistrySettings(registry.url, undefined, undefined, undefined, 1000, 10),
      outputFraming: 'registry',
      outputTopics: ['segment-changes'],
    });
    const id = registry.versionsOf('p.segment-changes-value')[0]!;
    expect(readFrame(worker.outputValue('p.segment-changes', Buffer.from([7])))).toMatchObject({
      schemaId: id,
    });
    expect(() => worker.outputValue('p.retention-offers', Buffer.from([7]))).toThrow(
      /no registered schema id/,
    );
    worker.close();
  });
});
