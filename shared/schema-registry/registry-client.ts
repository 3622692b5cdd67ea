import http from 'node:http';
import https from 'node:https';
import {
  IncompatibleSchemaError,
  RegistryRejectedError,
  RegistryUnavailableError,
  UnknownSchemaIdError,
} from './errors.js';

// A small client of the Confluent Schema Registry REST API (also served by Apicurio's
// /apis/ccompat/v7, Karapace and Redpanda): the three calls the runtime makes. node:http and
// node:https rather than fetch: a private CA needs an Agent, which fetch only takes from the
// undici package. Every call is bounded in time; each answer becomes a value or a typed error.

export type RegistryOperation = 'probe' | 'get-schema' | 'register' | 'compatibility';
export type RegistryOutcome = 'ok' | 'not-found' | 'incompatible' | 'rejected' | 'unavailable';

export interface RegistryClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8081 or http://127.0.0.1:8080/apis/ccompat/v7. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM of the CA that signed the registry's certificate (https only; default: the system CAs). */
  readonly ca?: string;
  readonly timeoutMs: number;
  /** Every request's outcome and duration (metrics subscribe). */
  readonly onRequest?: (operation: RegistryOperation, outcome: RegistryOutcome, seconds: number) => void;
}

export interface WriterSchema {
  /** AVRO unless the registry says otherwise (Confluent leaves the field out for Avro). */
  readonly schemaType: string;
  /** The schema text as the producer registered it. */
  readonly schema: string;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** performance.now() when the request was sent. */
  readonly started: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Longest answer read: a schema is a few kB; a runaway body is cut, not buffered. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class RegistryClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    const secure = this.base.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, ...(options.ca === undefined ? {} : { ca: options.ca }) })
      : new http.Agent({ keepAlive: true });
    this.authorization =
      options.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }

  /** Where requests go, without credentials (for logs). */
  describe(): string {
    return `${this.base.protocol}//${this.base.host}${this.base.pathname}`;
  }

  /** GET /subjects: the URL is a registry's API (a wrong path answers 404 here, not later per id). */
  async probe(): Promise<void> {
    const answer = await this.request('probe', 'GET', 'subjects');
    if (answer.status === 200 && Array.isArray(answer.body)) return this.done('probe', 'ok', answer.started);
    throw this.failure('probe', answer);
  }

  /** GET /schemas/ids/{id}: the writer schema of a framed value. */
  async schemaById(id: number): Promise<WriterSchema> {
    const answer = await this.request('get-schema', 'GET', `schemas/ids/${id}`);
    const body = answer.body as { schema?: unknown; schemaType?: unknown } | null;
    if (answer.status === 200 && typeof body?.schema === 'string') {
      this.done('get-schema', 'ok', answer.started);
      return {
        schema: body.schema,
        schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO',
      };
    }
    if (answer.status === 404 && isObject(answer.body)) {
      this.done('get-schema', 'not-found', answer.started);
      throw new UnknownSchemaIdError(id);
    }
    throw this.failure('get-schema', answer);
  }

  /** POST /subjects/{subject}/versions: the id of `schema` under `subject` (registered if new). */
  async register(subject: string, schema: string): Promise<number> {
    const answer = await this.request(
      'register',
      'POST',
      `subjects/${encodeURIComponent(subject)}/versions`,
      {
        schema,
      },
    );
    const body = answer.body as { id?: unknown } | null;
    if (answer.status === 200 && typeof body?.id === 'number') {
      this.done('register', 'ok', answer.started);
      return body.id;
    }
    // Apicurio 2.x answers 409 "already exists" when it loses a race between two registrations
    // of the same text (its check-then-insert); asked again, it finds the text and answers 200.
    if (answer.status === 409 && /already exists/i.test(messageOf(answer.body))) {
      this.done('register', 'unavailable', answer.started);
      throw new RegistryUnavailableError(`HTTP 409 (${messageOf(answer.body)}), a race in the registry`);
    }
    if (answer.status === 409) {
      this.done('register', 'incompatible', answer.started);
      throw new IncompatibleSchemaError(subject, messageOf(answer.body));
    }
    throw this.failure('register', answer);
  }

  /** POST /compatibility/subjects/{subject}/versions/latest: whether `schema` may be registered. */
  async isCompatible(subject: string, schema: string): Promise<boolean> {
    const answer = await this.request(
      'compatibility',
      'POST',
      `compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
      { schema },
    );
    const body = answer.body as { is_compatible?: unknown } | null;
    if (answer.status === 200 && typeof body?.is_compatible === 'boolean') {
      this.done('compatibility', body.is_compatible ? 'ok' : 'incompatible', answer.started);
      return body.is_compatible;
    }
    // No version yet: anything is compatible with nothing.
    if (answer.status === 404) {
      this.done('compatibility', 'ok', answer.started);
      return true;
    }
    throw this.failure('compatibility', answer);
  }

  close(): void {
    this.agent.destroy();
  }

  private done(operation: RegistryOperation, outcome: RegistryOutcome, started: number): void {
    this.options.onRequest?.(operation, outcome, (performance.now() - started) / 1000);
  }

  private failure(operation: RegistryOperation, answer: Answer): Error {
    const detail = messageOf(answer.body);
    if (answer.status >= 500 || answer.status === 429 || answer.status === 408) {
      this.done(operation, 'unavailable', answer.started);
      return new RegistryUnavailableError(`HTTP ${answer.status}${detail === '' ? '' : ` (${detail})`}`);
    }
    this.done(operation, 'rejected', answer.started);
    return new RegistryRejectedError(
      answer.status,
      `${operation}${detail === '' ? '' : `: ${detail}`}${answer.status === 401 || answer.status === 403 ? ' (SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD[_FILE])' : ''}`,
    );
  }

  private request(
    operation: RegistryOperation,
    method: 'GET' | 'POST',
    path: string,
    payload?: unknown,
  ): Promise<Answer> {
    const url = new URL(path, this.base);
    const body = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
    const transport = url.protocol === 'https:' ? https : http;
    const started = performance.now();
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const fail = (detail: string, cause?: unknown) => {
        if (settled) return;
        settled = true;
        this.done(operation, 'unavailable', started);
        reject(new RegistryUnavailableError(detail, cause));
      };
      const req = transport.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.options.timeoutMs,
          headers: {
            accept: `${CONTENT_TYPE}, application/json`,
            ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE, 'content-length': body.length }),
            ...(this.authorization === undefined ? {} : { authorization: this.authorization }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              res.destroy();
              fail(`answer of ${operation} exceeds ${MAX_BODY_BYTES} bytes`);
            } else chunks.push(chunk);
          });
          res.on('error', (error) => fail(`${operation}: ${error.message}`, error));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            try {
              parsed = text === '' ? null : JSON.parse(text);
            } catch {
              parsed = null;
            }
            if (settled) return;
            settled = true;
            resolve({ status: res.statusCode ?? 0, body: parsed, started });
          });
        },
      );
      // The socket's idle timeout bounds connect and each wait for bytes; the whole call is
      // bounded too, so a registry that trickles its answer cannot hold a partition forever.
      const deadline = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', (error) => fail(`${operation}: ${error.message}`, error));
      req.on('close', () => clearTimeout(deadline));
      req.end(body);
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The registry's own message (Confluent and Apicurio: `message`), cut short. */
function messageOf(body: unknown): string {
  const message = isObject(body) && typeof body.message === 'string' ? body.message : '';
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
