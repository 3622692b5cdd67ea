import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeState {
  /** Liveness: false only when the process should be restarted. */
  healthy(): boolean;
  /** Readiness: consuming and its dependencies answer; says why not. */
  readiness(): { ready: boolean; reason: string };
}

/** Serves /metrics, /healthz and /readyz. */
export async function startHttpServer(options: {
  host: string;
  port: number;
  registry: Registry;
  probes: ProbeState;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': options.registry.contentType });
          response.end(text);
        },
        (error: Error) => {
          response.writeHead(500).end(error.message);
        },
      );
      return;
    }
    if (path === '/healthz') {
      const ok = options.probes.healthy();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n');
      return;
    }
    if (path === '/readyz') {
      const { ready, reason } = options.probes.readiness();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${reason}\n`);
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
