import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { migrateSlot, type Primary } from '../../deploy/redis/cluster-slots.js';
import { processAlive } from './cluster-stack.js';
import { waitFor } from './kafka-test-client.js';
import type { TestCertificates } from './test-certificates.js';
import { freePort } from './worker-process.js';

const run = promisify(execFile);

// A real Redis Cluster of the test's own: redis-server processes with cluster-enabled on free
// ports, joined by `redis-cli --cluster create`, each replica following one primary. AOF with
// appendfsync always on every node, as the stack runs its Redis, so the workers' default
// durability check passes and a SIGKILL loses nothing a node acknowledged to its client.

export interface ClusterNode {
  readonly port: number;
  readonly dir: string;
  readonly address: string;
}

export interface OwnRedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** host:port,host:port,... for REDIS_CLUSTER_NODES. */
  readonly seeds: string;
  /** A Cluster client (the caller disconnects it). */
  client(): Cluster;
  /** A plain connection to one node (the caller disconnects it). */
  node(port: number): Redis;
  /** The node's role and, for a primary, its slot ranges, as CLUSTER NODES says. */
  roles(): Promise<Array<{ port: number; role: 'primary' | 'replica'; slots: string[]; primaryOf?: number }>>;
  /** Sends a node's process a signal (SIGKILL: a crash). */
  signal(port: number, signal: NodeJS.Signals): void;
  /** Starts a stopped node again on its port and data. */
  restart(port: number): Promise<void>;
  /**
   * Moves a slot and its keys to the primary on `toPort` the way `redis-cli --cluster reshard`
   * does (IMPORTING/MIGRATING, MIGRATE key by key, SETSLOT NODE on every primary), pausing
   * `pauseMs` between keys so that clients meet the slot half moved (ASK, TRYAGAIN).
   * Returns the number of keys moved.
   */
  migrateSlot(slot: number, toPort: number, pauseMs?: number): Promise<number>;
  /** Waits until every running node reports cluster_state:ok. */
  waitOk(timeoutMs?: number): Promise<void>;
  /**
   * Waits until the slots are served by `primaries` primaries (none of them `without`, a node
   * that was killed) and every replica's link to its primary is up: a replica that has not
   * synced yet cannot be promoted (cluster-replica-validity-factor).
   */
  waitSettled(without?: number, timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

/** TLS only (no plain port), between nodes too, client certificates required. */
function tlsArgs(port: number, tls: TestCertificates): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cluster',
    'yes',
    '--tls-replication',
    'yes',
    '--tls-cert-file',
    tls.serverCert,
    '--tls-key-file',
    tls.serverKey,
    '--tls-ca-cert-file',
    tls.ca,
    '--tls-auth-clients',
    'yes',
  ];
}

/** ioredis options for a node of a TLS cluster (the client certificate, the test CA). */
function tlsOptions(tls: TestCertificates | undefined): { tls?: ConnectionOptions } {
  if (tls === undefined) return {};
  return {
    tls: {
      ca: [readFileSync(tls.ca)],
      cert: readFileSync(tls.clientCert),
      key: readFileSync(tls.clientKey),
    },
  };
}

async function startNode(node: ClusterNode, tls?: TestCertificates): Promise<void> {
  await run('redis-server', [
    '--bind',
    '127.0.0.1',
    ...(tls === undefined ? ['--port', String(node.port)] : tlsArgs(node.port, tls)),
    '--dir',
    node.dir,
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    // A primary silent for 2 s is failed over: fast enough for a test, slow enough for 2 cores.
    '--cluster-node-timeout',
    '2000',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--daemonize',
    'yes',
    '--pidfile',
    join(node.dir, 'redis.pid'),
    '--logfile',
    join(node.dir, 'redis.log'),
  ]);
  await waitFor(
    `cluster node ${node.port}`,
    () => askNode(node.port, async (client) => (await client.ping()) === 'PONG', tls),
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}

/** `ask` on a fresh connection to a node; false when the node does not answer. */
async function askNode(
  port: number,
  ask: (client: Redis) => Promise<boolean>,
  tls?: TestCertificates,
): Promise<boolean> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...tlsOptions(tls),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await ask(client);
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A node's CLUSTER NODES (or why it gave none): what a timeout should show. */
async function clusterView(port: number, tls?: TestCertificates): Promise<string> {
  let view = 'no answer';
  await askNode(
    port,
    async (client) => {
      view = String(await client.call('CLUSTER', 'NODES'));
      return true;
    },
    tls,
  );
  return view;
}

/** The last lines of every node's log, for an error the suite cannot reproduce at will. */
function logTails(nodes: readonly ClusterNode[], lines = 12): string {
  return nodes
    .map((node) => {
      let tail = '(no log)';
      try {
        tail = readFileSync(join(node.dir, 'redis.log'), 'utf8')
          .trimEnd()
          .split('\n')
          .slice(-lines)
          .join('\n');
      } catch {
        // never started
      }
      return `--- node ${node.port} ---\n${tail}`;
    })
    .join('\n');
}

function pidOf(node: ClusterNode): number {
  return Number(readFileSync(join(node.dir, 'redis.pid'), 'utf8').trim());
}

/** Whether nothing listens on `port` of 127.0.0.1 now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free too: an ephemeral port above 55535
 * has no bus port, and one taken by a client's connection kept the node from starting (CI).
 */
async function freeNodePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && (await portFree(port + 10_000))) return port;
  }
}

/**
 * `primaries` primaries with `replicasEach` replicas each (3 and 1: the six nodes of the issue);
 * with `tls`, every node speaks only TLS (clients, cluster bus, replication) and asks clients for
 * a certificate of the test CA.
 */
export async function ownRedisCluster(
  primaries = 3,
  replicasEach = 1,
  options: { readonly tls?: TestCertificates } = {},
): Promise<OwnRedisCluster> {
  const { tls } = options;
  const root = mkdtempSync(join(tmpdir(), 'vs-redis-cluster-'));
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < primaries * (1 + replicasEach); i++) {
    const port = await freeNodePort();
    const dir = join(root, String(port));
    mkdirSync(dir);
    nodes.push({ port, dir, address: `127.0.0.1:${port}` });
  }
  // Nodes that started are killed again if the cluster cannot be made (no redis-server left behind).
  const killAll = () => {
    for (const node of nodes) {
      try {
        process.kill(pidOf(node), 'SIGKILL');
      } catch {
        // not started, or gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((node) => startNode(node, tls)));
    await run(
      'redis-cli',
      [
        ...(tls === undefined
          ? []
          : ['--tls', '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey]),
        '--cluster',
        'create',
        ...nodes.map((n) => n.address),
        '--cluster-replicas',
        String(replicasEach),
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
  } catch (error) {
    killAll();
    throw error;
  }
  const stopped = new Set<number>();
  const own: OwnRedisCluster = {
    nodes,
    seeds: nodes.map((n) => n.address).join(','),
    client: () =>
      new Cluster(
        nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
        {
          clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2000),
          redisOptions: tlsOptions(tls),
        },
      ),
    node: (port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, ...tlsOptions(tls) }),
    async roles() {
      const running = nodes.find((n) => !stopped.has(n.port))!;
      const client = own.node(running.port);
      try {
        const text = String(await client.call('CLUSTER', 'NODES'));
        const lines = text
          .trim()
          .split('\n')
          .map((line) => line.split(' '));
        const portOf = new Map(lines.map((f) => [f[0]!, Number(f[1]!.split('@')[0]!.split(':')[1])]));
        return lines
          .filter((f) => !f[2]!.includes('fail'))
          .map((f) => {
            const port = portOf.get(f[0]!)!;
            return f[2]!.includes('master')
              ? { port, role: 'primary' as const, slots: f.slice(8) }
              : { port, role: 'replica' as const, slots: [], primaryOf: portOf.get(f[3]!)! };
          });
      } finally {
        client.disconnect();
      }
    },
    signal(port, signal) {
      const node = nodes.find((n) => n.port === port)!;
      process.kill(pidOf(node), signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') stopped.add(port);
    },
    async restart(port) {
      const node = nodes.find((n) => n.port === port)!;
      await waitFor(`node ${port} to be gone`, async () => !processAlive(pidOf(node)), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      await startNode(node, tls);
      stopped.delete(port);
    },
    async migrateSlot(slot, toPort, pauseMs = 50) {
      const roles = await own.roles();
      const from = roles.find(
        (r) =>
          r.role === 'primary' &&
          r.slots.some((range) => {
            const [low, high = low] = range.split('-').map(Number);
            return slot >= low! && slot <= high!;
          }),
      );
      if (!from) throw new Error(`no primary owns slot ${slot}`);
      if (from.port === toPort) return 0;
      const primaries: Primary[] = await Promise.all(
        roles
          .filter((r) => r.role === 'primary')
          .map(async (r) => {
            const client = own.node(r.port);
            return {
              id: String(await client.call('CLUSTER', 'MYID')),
              host: '127.0.0.1',
              port: r.port,
              client,
            };
          }),
      );
      try {
        const at = (port: number) => primaries.find((p) => p.port === port)!;
        return await migrateSlot(slot, at(from.port), at(toPort), primaries, { pauseMs, batch: 1 });
      } finally {
        for (const primary of primaries) primary.client.disconnect();
      }
    },
    async waitSettled(without, timeoutMs = 60_000) {
      await own.waitOk(timeoutMs);
      await waitFor(
        `${primaries} primaries serving every slot${without === undefined ? '' : ` without ${without}`}, replicas in sync`,
        async () => {
          const roles = await own.roles().catch(() => []);
          const serving = roles.filter((r) => r.role === 'primary' && r.slots.length > 0);
          if (serving.length !== primaries || serving.some((r) => r.port === without)) return false;
          for (const replica of roles.filter((r) => r.role === 'replica' && !stopped.has(r.port))) {
            const client = own.node(replica.port);
            try {
              const info = String(await client.info('replication'));
              if (!/master_link_status:up/.test(info)) return false;
            } catch {
              return false;
            } finally {
              client.disconnect();
            }
          }
          return roles.filter((r) => r.role === 'replica').length >= primaries * replicasEach - stopped.size;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
    async waitOk(timeoutMs = 60_000) {
      await waitFor(
        'cluster_state:ok on every running node',
        async () => {
          for (const n of nodes.filter((node) => !stopped.has(node.port))) {
            const ok = await askNode(
              n.port,
              async (client) => /cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO'))),
              tls,
            );
            // Thrown, not returned, so that a timeout says which node saw what (waitFor keeps it).
            if (!ok) throw new Error(`node ${n.port} not ok; it sees:\n${await clusterView(n.port, tls)}`);
          }
          return true;
        },
        { timeoutMs, intervalMs: 200 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${logTails(nodes)}`);
      });
    },
    async destroy() {
      killAll();
    },
  };
  await own.waitSettled();
  return own;
}
