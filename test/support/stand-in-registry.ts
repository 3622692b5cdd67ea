import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

// A tiny in-process schema registry that answers the Confluent REST calls the runtime makes, the
// way Confluent and Apicurio's /apis/ccompat/v7 answer them: GET /subjects, GET /schemas/ids/{id}
// (404 with error_code 40403), POST /subjects/{s}/versions (same text → same id, 409 when the
// test says the subject refuses it), POST /compatibility/subjects/{s}/versions/latest. For unit
// tests of the client and of framed intake; the integration tests use the real Apicurio.
// Faults: `mode` 'down' answers 503, 'hang' never answers; stop() makes it unreachable.

export interface StandInRegistryOptions {
  /** API path prefix, e.g. /apis/ccompat/v7 (default: the root, like Confluent). */
  readonly basePath?: string;
  /** Require basic auth with these credentials (401 otherwise). */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Serve https with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
}

export class StandInRegistry {
  /** 'up' answers; 'down' answers 503; 'hang' never answers. */
  mode: 'up' | 'down' | 'hang' = 'up';
  readonly requests: RecordedRequest[] = [];
  private readonly schemas = new Map<number, { schema: string; schemaType?: string }>();
  private readonly subjects = new Map<string, number[]>();
  private readonly refusing = new Set<string>();
  private racing = 0;
  private nextId = 1;
  private server: http.Server | https.Server | null = null;
  private readonly hanging = new Set<http.ServerResponse>();
  url = '';

  constructor(private readonly options: StandInRegistryOptions = {}) {}

  async start(port = 0): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = this.options.tls
      ? https.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, handler)
      : http.createServer(handler);
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    const { port: bound } = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${bound}${this.options.basePath ?? ''}`;
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Adds a schema as a foreign producer would have registered it; returns its id. */
  add(subject: string, schema: unknown, schemaType?: string): number {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const existing = [...this.schemas].find(([, s]) => s.schema === text && s.schemaType === schemaType);
    const id = existing ? existing[0] : this.nextId++;
    if (!existing) this.schemas.set(id, { schema: text, ...(schemaType ? { schemaType } : {}) });
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.includes(id)) versions.push(id);
    this.subjects.set(subject, versions);
    return id;
  }

  /**
   * The next `times` registrations answer as Apicurio 2.x does when it loses a race between two
   * registrations of the same text under different subjects (409, "already exists").
   */
  loseRaces(times: number): void {
    this.racing = times;
  }

  /** From now on the subject refuses any schema it does not hold yet (409). */
  refuse(subject: string): void {
    this.refusing.add(subject);
  }

  versionsOf(subject: string): readonly number[] {
    return this.subjects.get(subject) ?? [];
  }

  schemaText(id: number): string | undefined {
    return this.schemas.get(id)?.schema;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const base = this.options.basePath ?? '';
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
    });
    if (this.mode === 'hang') {
      this.hanging.add(res);
      return;
    }
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(body));
    };
    if (this.mode === 'down') return send(503, { error_code: 50301, message: 'stand-in is down' });
    const expected = this.options.credentials;
    if (
      expected &&
      req.headers.authorization !==
        `Basic ${Buffer.from(`${expected.username}:${expected.password}`).toString('base64')}`
    )
      return send(401, { error_code: 40101, message: 'Unauthorized' });
    if (!url.pathname.startsWith(`${base}/`))
      return send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
    const path = url.pathname.slice(base.length);
    const body =
      chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { schema?: string }) : {};
    if (req.method === 'GET' && path === '/subjects') return send(200, [...this.subjects.keys()]);
    const byId = req.method === 'GET' ? /^\/schemas\/ids\/(\d+)$/.exec(path) : null;
    if (byId) {
      const m = byId;
      const found = this.schemas.get(Number(m[1]));
      if (!found) return send(404, { error_code: 40403, message: `Schema ${m[1]} not found` });
      return send(200, found);
    }
    const versions = req.method === 'POST' ? /^\/subjects\/([^/]+)\/versions$/.exec(path) : null;
    if (versions) {
      const m = versions;
      const subject = decodeURIComponent(m[1]!);
      if (typeof body.schema !== 'string') return send(422, { error_code: 42201, message: 'Invalid schema' });
      if (this.racing > 0) {
        this.racing--;
        return send(409, {
          error_code: 409,
          message: `An artifact with ID '${subject}' in group 'null' already exists.`,
        });
      }
      const known = [...this.schemas].find(([, s]) => s.schema === body.schema);
      if (this.refusing.has(subject) && !(known && this.versionsOf(subject).includes(known[0])))
        return send(409, {
          error_code: 409,
          message: `Schema being registered is incompatible with an earlier schema for subject "${subject}"`,
        });
      return send(200, { id: this.add(subject, body.schema) });
    }
    const compatibility =
      req.method === 'POST' ? /^\/compatibility\/subjects\/([^/]+)\/versions\/latest$/.exec(path) : null;
    if (compatibility) {
      const m = compatibility;
      const subject = decodeURIComponent(m[1]!);
      if (!this.subjects.has(subject))
        return send(404, { error_code: 40401, message: `Subject ${subject} not found` });
      return send(200, { is_compatible: !this.refusing.has(subject) });
    }
    return send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
  }
}
