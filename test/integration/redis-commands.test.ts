import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntimeMetrics } from '../../shared/observability/metrics.js';
import { connectRedis, redisCommandsSent } from '../../shared/redis/connection.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { waitFor } from '../support/kafka-test-client.js';

// vs_redis_commands_total counts what the worker's connection sends as Redis receives it, which
// the server's own figures cannot give (INFO commandstats and total_commands_processed also count
// the commands scripts run, and every other client). Checked against MONITOR on the real Redis:
// the lines whose source is this connection's address are the commands it sent; the commands an
// FCALL's script runs appear with source "lua" and must not be counted.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function sentBy(connection: string): number {
  return redisCommandsSent()
    .filter((c) => c.connection === connection)
    .reduce((sum, c) => sum + c.count, 0);
}

describe('vs_redis_commands_total', () => {
  it('counts each pipelined command once, an FCALL once, and nothing its script runs', async () => {
    const { redisUrl } = testEndpoints();
    const name = uniqueName('redis-commands');
    const monitor = await new Redis(redisUrl).monitor();
    cleanups.push(async () => monitor.disconnect());
    const received: Array<{ source: string; command: string }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) =>
      received.push({ source, command: String(args[0]).toLowerCase() }),
    );

    const redis = connectRedis({ url: redisUrl, commandTimeoutMs: 5000, connectionName: name }) as Redis;
    cleanups.push(async () => redis.disconnect());
    await redis.connect();
    const address = `${redis.stream.localAddress}:${redis.stream.localPort}`;
    const fromUs = () => received.filter((r) => r.source === address);
    const fromScripts = () => received.filter((r) => r.source === 'lua');
    /** Waits until MONITOR has shown `count` commands of this connection, then a little longer. */
    const monitorShows = async (count: number) => {
      await waitFor(`MONITOR shows ${count} commands from ${address}`, async () => fromUs().length >= count, {
        timeoutMs: 10_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      return fromUs().length;
    };
    // The handshake is sent, so it counts: CLIENT SETNAME, the ready check's INFO, and ioredis's
    // CLIENT SETINFO, which MONITOR does not show on a Redis before 7.2 (it refuses the unknown
    // subcommand, and MONITOR shows what runs): compare what follows it.
    expect(sentBy(name)).toBeGreaterThanOrEqual(2);
    await waitFor('MONITOR shows the handshake', async () => fromUs().some((r) => r.command === 'info'));
    const seenBefore = await monitorShows(0);

    const key = `${name}:pipeline`;
    const beforePipeline = sentBy(name);
    await redis
      .pipeline()
      .set(key, '1')
      .get(key)
      .hset(`${key}:h`, 'f', '1')
      .hget(`${key}:h`, 'f')
      .del(key)
      .exec();
    expect(sentBy(name) - beforePipeline).toBe(5);
    expect(await monitorShows(seenBefore + 5)).toBe(seenBefore + 5);
    await redis.del(`${key}:h`);

    const functions = new FunctionCaller(redis);
    await functions.load();
    const beforeCall = sentBy(name);
    const seenBeforeCall = await monitorShows(seenBefore + 7);
    const scriptCommandsBefore = fromScripts().length;
    const keys = partitionKeys(name, 'bench', 0);
    await functions.call(
      'readPartition',
      [keys.meta, keys.customers, keys.timers, keys.recentEvents, keys.erased, keys.timerDue],
      ['0', '10', 'c-1', 'c-2'],
    );
    expect(sentBy(name) - beforeCall).toBe(1);
    expect(await monitorShows(seenBeforeCall + 1)).toBe(seenBeforeCall + 1);
    expect(fromUs().at(-1)?.command).toBe('fcall');
    // The script ran ZRANGE (timer buckets), HMGET and HGETALL inside: Redis saw them, the count does not.
    expect(fromScripts().length - scriptCommandsBefore).toBeGreaterThanOrEqual(3);

    // The worker's registry exposes the count under the connection's name.
    const { registry } = createRuntimeMetrics('value-segmentation', new RuntimeEvents());
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'vs_redis_commands_total');
    const exposed = (metric?.values ?? [])
      .filter((v) => v.labels.connection === name)
      .reduce((sum, v) => sum + v.value, 0);
    expect(exposed).toBe(sentBy(name));
    expect(
      metric?.values.find((v) => v.labels.connection === name && v.labels.command === 'fcall')?.value,
    ).toBe(1);

    // A command refused at once (no connection, no offline queue) never reached Redis: not counted.
    const sent = sentBy(name);
    redis.disconnect();
    await expect(redis.get(key)).rejects.toThrow();
    expect(sentBy(name)).toBe(sent);
  });
});
