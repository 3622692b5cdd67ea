import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StandInRegistry } from '../../test/support/stand-in-registry.js';
import {
  IncompatibleSchemaError,
  RegistryRejectedError,
  RegistryUnavailableError,
  UnknownSchemaIdError,
} from './errors.js';
import { RegistryClient, type RegistryOperation, type RegistryOutcome } from './registry-client.js';

const purchaseV1 = { type: 'record', name: 'P', fields: [{ name: 'a', type: 'string' }] };

const started: Array<StandInRegistry | RegistryClient> = [];
afterEach(async () => {
  for (const s of started.splice(0)) {
    if (s instanceof StandInRegistry) await s.stop();
    else s.close();
  }
});

async function standIn(options?: ConstructorParameters<typeof StandInRegistry>[0]): Promise<StandInRegistry> {
  const registry = await new StandInRegistry(options).start();
  started.push(registry);
  return registry;
}

function clientOf(
  url: string,
  extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {},
): { client: RegistryClient; outcomes: Array<[RegistryOperation, RegistryOutcome]> } {
  const outcomes: Array<[RegistryOperation, RegistryOutcome]> = [];
  const client = new RegistryClient({
    url,
    timeoutMs: 1000,
    onRequest: (operation, outcome) => outcomes.push([operation, outcome]),
    ...extra,
  });
  started.push(client);
  return { client, outcomes };
}

describe('RegistryClient', () => {
  it('registers under a subject, gets the same id again, and fetches the schema by id', async () => {
    const registry = await standIn({ basePath: '/apis/ccompat/v7' });
    const { client, outcomes } = clientOf(registry.url);
    await client.probe();
    const id = await client.register('purchases-value', JSON.stringify(purchaseV1));
    expect(await client.register('purchases-value', JSON.stringify(purchaseV1))).toBe(id);
    expect(await client.schemaById(id)).toEqual({ schema: JSON.stringify(purchaseV1), schemaType: 'AVRO' });
    expect(await client.isCompatible('purchases-value', JSON.stringify(purchaseV1))).toBe(true);
    expect(outcomes).toEqual([
      ['probe', 'ok'],
      ['register', 'ok'],
      ['register', 'ok'],
      ['get-schema', 'ok'],
      ['compatibility', 'ok'],
    ]);
    const post = registry.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/apis/ccompat/v7/subjects/purchases-value/versions');
    expect(post.contentType).toBe('application/vnd.schemaregistry.v1+json');
  });

  it('reads the schema type a registry gives (Protobuf, JSON) and defaults to AVRO', async () => {
    const registry = await standIn();
    const id = registry.add('x-value', 'syntax = "proto3";', 'PROTOBUF');
    const { client } = clientOf(registry.url);
    expect((await client.schemaById(id)).schemaType).toBe('PROTOBUF');
  });

  it('throws UnknownSchemaIdError on a 404 for an id', async () => {
    const registry = await standIn();
    const { client, outcomes } = clientOf(registry.url);
    const error = await client.schemaById(4242).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownSchemaIdError);
    expect((error as UnknownSchemaIdError).retriable).toBe(false);
    expect((error as UnknownSchemaIdError).reasonCode).toBe('UNKNOWN_SCHEMA_ID');
    expect(outcomes).toEqual([['get-schema', 'not-found']]);
  });

  it('throws IncompatibleSchemaError naming the subject on a 409', async () => {
    const registry = await standIn();
    registry.add('purchases-value', purchaseV1);
    registry.refuse('purchases-value');
    const { client, outcomes } = clientOf(registry.url);
    const changed = JSON.stringify({ ...purchaseV1, fields: [{ name: 'a', type: 'int' }] });
    const error = await client.register('purchases-value', changed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleSchemaError);
    expect((error as Error).message).toContain('subject purchases-value');
    expect((error as IncompatibleSchemaError).subject).toBe('purchases-value');
    expect(await client.isCompatible('purchases-value', changed)).toBe(false);
    expect(outcomes.map(([, o]) => o)).toEqual(['incompatible', 'incompatible']);
  });

  it('is unavailable (retriable) on a 5xx, a timeout and a refused connection', async () => {
    const registry = await standIn();
    const { client, outcomes } = clientOf(registry.url, { timeoutMs: 200 });
    registry.mode = 'down';
    const down = await client.schemaById(1).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(RegistryUnavailableError);
    expect((down as RegistryUnavailableError).retriable).toBe(true);
    expect((down as Error).message).toContain('HTTP 503');

    registry.mode = 'hang';
    const before = performance.now();
    const hung = await client.schemaById(1).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(RegistryUnavailableError);
    expect((hung as Error).message).toContain('no answer within 200 ms');
    expect(performance.now() - before).toBeLessThan(2000);

    const port = registry.port;
    await registry.stop();
    const { client: refused } = clientOf(`http://127.0.0.1:${port}`);
    const error = await refused.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(outcomes.map(([, o]) => o)).toEqual(['unavailable', 'unavailable']);
  });

  it('sends basic auth, and names the credential variables on a 401', async () => {
    const registry = await standIn({ credentials: { username: 'worker', password: 's3cret' } });
    const { client } = clientOf(registry.url, { username: 'worker', password: 's3cret' });
    await client.probe();
    expect(registry.requests[0]!.authorization).toBe(
      `Basic ${Buffer.from('worker:s3cret').toString('base64')}`,
    );
    const { client: wrong, outcomes } = clientOf(registry.url, { username: 'worker', password: 'nope' });
    const error = await wrong.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryRejectedError);
    expect((error as RegistryRejectedError).status).toBe(401);
    expect((error as Error).message).toContain('SCHEMA_REGISTRY_USERNAME');
    expect((error as Error).message).not.toContain('nope');
    expect(outcomes).toEqual([['probe', 'rejected']]);
  });

  it('fails the probe of a URL that is not the registry API (a wrong path)', async () => {
    const registry = await standIn({ basePath: '/apis/ccompat/v7' });
    const { client } = clientOf(registry.url.replace('/apis/ccompat/v7', '/apis/registry/v2'));
    const error = await client.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryRejectedError);
    expect((error as RegistryRejectedError).status).toBe(404);
  });

  it('trusts a private CA given as PEM over https', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-registry-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const registry = await standIn({ tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert } });
    const { client } = clientOf(registry.url, { ca: cert });
    await client.probe();
    // Without the CA the certificate does not verify: never accepted.
    const { client: untrusting } = clientOf(registry.url);
    const error = await untrusting.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toMatch(/self[- ]signed|certificate/i);
  });
});
