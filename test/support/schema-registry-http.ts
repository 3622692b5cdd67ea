// The few calls of the Confluent-compatible registry API that tests make directly (plain fetch,
// no client library), to see the registry's own answers: ids, versions, 409 on incompatibility.

export interface RegistryAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

async function call(url: string, init: RequestInit = {}): Promise<RegistryAnswer> {
  const response = await fetch(url, {
    ...init,
    headers: { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** POST /subjects/{subject}/versions: 200 with { id }, or 409 when incompatible. */
export function registerSchema(
  registryUrl: string,
  subject: string,
  schema: object,
): Promise<RegistryAnswer> {
  return call(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
}

/** POST /compatibility/subjects/{subject}/versions/latest: { is_compatible }. */
export function checkCompatibility(
  registryUrl: string,
  subject: string,
  schema: object,
): Promise<RegistryAnswer> {
  return call(`${registryUrl}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, {
    method: 'POST',
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
}

/** GET /subjects/{subject}/versions/latest: { id, version, schema }. */
export function latestSchema(registryUrl: string, subject: string): Promise<RegistryAnswer> {
  return call(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`);
}

/** GET /config: { compatibilityLevel } of the registry as a whole. */
export function globalCompatibility(registryUrl: string): Promise<RegistryAnswer> {
  return call(`${registryUrl}/config`);
}
