import { ValuestreamError } from '../errors.js';

// What a schema registry can answer, as typed errors: only an outage is retriable; an unknown
// id, an incompatible schema and any other refusal stay what they are however often we ask.

/** The registry did not answer usefully: network error, timeout, 5xx, or 429. Retriable. */
export class RegistryUnavailableError extends ValuestreamError {
  constructor(detail: string, cause?: unknown) {
    super('SCHEMA_REGISTRY_UNAVAILABLE', `schema registry unavailable: ${detail}`, {
      retriable: true,
      cause,
    });
  }
}

/** GET /schemas/ids/{id} answered 404: no schema has this id in this registry. */
export class UnknownSchemaIdError extends ValuestreamError {
  constructor(readonly schemaId: number) {
    super('UNKNOWN_SCHEMA_ID', `schema id ${schemaId} is unknown to the schema registry`);
  }
}

/** POST /subjects/{subject}/versions answered 409: the subject's compatibility rule refuses the schema. */
export class IncompatibleSchemaError extends ValuestreamError {
  constructor(
    readonly subject: string,
    detail: string,
  ) {
    super(
      'SCHEMA_INCOMPATIBLE',
      `the schema registry refuses our schema for subject ${subject} as incompatible with its earlier versions${detail === '' ? '' : ` (${detail})`}`,
    );
  }
}

/** Any other 4xx: bad credentials (401/403), an invalid schema (422), a wrong URL (404 on a path). */
export class RegistryRejectedError extends ValuestreamError {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super('SCHEMA_REGISTRY_REJECTED', `schema registry answered ${status}: ${detail}`);
  }
}
