import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { EVENTS, RoomDebugReportSchema, type StatusEvent, type WorkerProgress } from '../../shared/index.js';
import { shardedPubSubProblem } from '../../server/shardedAdapter.js';
import { startStack, startWorker, uniqueName, waitFor, watchRoom } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve().then(cleanups.pop()!).catch(() => undefined);
});

const worker = { host: 'fanout-host.internal', pid: 3131, version: '1.0.0' };

/** A plain connection of the test's own, to ask Redis who listens where and to listen in. */
function openRedis() {
  const redis = new Redis(inject('redisUrl'));
  cleanups.push(() => redis.quit());
  return redis;
}

describe('status fan-out between nodes (sharded pub/sub)', () => {
  it("reaches only the nodes with members in the room, over the room's own channel, both worker-identity variants", async () => {
    const queue = uniqueName('fanout');
    const canDebug = (user: { id: string }) => user.id === 'dev';
    const first = await startStack({ queues: [queue], nodeId: 'node-a', canDebug });
    cleanups.push(() => first.close());
    await waitFor(async () => (await first.server.health()).queues[0]?.role === 'ingesting', 'node-a to ingest the queue');
    const second = await startStack({ queues: [queue], nodeId: 'node-b', keyPrefix: first.keyPrefix, canDebug });
    cleanups.push(() => second.close());

    // 20 characters once prefixed ("jobcast:document:207"), as long as a socket id: the case the
    // adapter would send on the channel every node hears.
    const room = 'document:207';
    const common = `${first.keyPrefix}:socket.io#/#`;
    const roomChannel = `${common}jobcast:${room}#`;
    const debugChannel = `${common}jobcast-internal:debug:jobcast:${room}#`;
    const redis = openRedis();
    const listeners = async (channel: string) => Number(((await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]);
    expect(await listeners(roomChannel)).toBe(0);
    expect(await listeners(debugChannel)).toBe(0);

    const alice = await watchRoom(second.url, 'user:alice', room);
    const dev = await watchRoom(second.url, 'user:dev', room);
    // A subscribe is answered once Redis confirmed the node's subscription: node-b alone listens.
    expect(await listeners(roomChannel)).toBe(1);
    expect(await listeners(debugChannel)).toBe(1);

    // Listen in on the room's channels and on the channel every node hears.
    const spy = openRedis();
    const heard: Array<{ channel: string; room: string | undefined; event: string | undefined }> = [];
    spy.on('smessage', (channel: string, message: string) => {
      // A room broadcast carries a Socket.IO packet; a message to every node (serverSideEmit) its arguments.
      const data = (JSON.parse(message) as { data?: { packet?: { data?: unknown[] } | unknown[] } }).data;
      const args = (Array.isArray(data?.packet) ? data.packet : data?.packet?.data) as [string, StatusEvent | undefined] | undefined;
      heard.push({ channel, room: args?.[1]?.room, event: args?.[0] === EVENTS.status ? args[1]?.event : undefined });
    });
    for (const channel of [roomChannel, debugChannel, common]) await spy.ssubscribe(channel);

    const running = startWorker(queue, async (job) => {
      await job.updateProgress({ percent: 50, worker } satisfies WorkerProgress);
      return 'ok';
    });
    cleanups.push(() => running.close());
    await first.server.enqueue(queue, 'identified', {}, { rooms: [room] });
    await waitFor(() => alice.events.some((e) => e.event === 'completed') && dev.events.some((e) => e.event === 'completed'), 'both clients on node-b see the end');

    // Ingested by node-a, delivered by node-b: the debug user with the worker's identity, the other without.
    expect(alice.events.map((e) => e.seq)).toEqual(dev.events.map((e) => e.seq));
    expect(dev.events.find((e) => e.event === 'progress')?.status.worker).toEqual(worker);
    expect(JSON.stringify(alice.events)).not.toContain(worker.host);
    expect(alice.events.find((e) => e.event === 'progress')?.status.worker).toBeUndefined();

    // One publication per status and variant, on the room's own channels; Redis delivers one
    // connection's messages in publish order, so once the last arrived, none can follow on the common channel.
    await waitFor(() => heard.filter((m) => m.event === 'completed').length === 2, 'both variants of the last status');
    const sent = alice.events.length;
    expect(heard.filter((m) => m.channel === roomChannel && m.room === room)).toHaveLength(sent);
    expect(heard.filter((m) => m.channel === debugChannel && m.room === room)).toHaveLength(sent);
    expect(heard.filter((m) => m.channel === common && m.room === room)).toEqual([]);
    // The nodes count each other on the common channel (to know how many answers a request awaits).
    await spy.sunsubscribe(common);

    // Counted where they happen: the broadcasts on node-a, the deliveries on node-b.
    const report = RoomDebugReportSchema.parse(await (await fetch(`${first.url}/jobcast/debug/rooms/${room}`, { headers: { authorization: 'Bearer user:dev' } })).json());
    expect(report.nodes.sort()).toEqual(['node-a', 'node-b']);
    expect(report.stats).toMatchObject({ broadcasts: sent, delivered: 2 * sent, unheard: 0, subscribers: 2 });

    // The last member gone, node-b stops listening.
    alice.socket.close();
    dev.socket.close();
    await waitFor(async () => (await listeners(roomChannel)) === 1 && (await listeners(debugChannel)) === 1, 'node-b to unsubscribe (the spy remains)');
  });

  it('needs Redis 7 for sharded pub/sub, and says what to do on an older one', () => {
    expect(shardedPubSubProblem('7.0.15')).toBeUndefined();
    expect(shardedPubSubProblem('8.0.2')).toBeUndefined();
    const problem = shardedPubSubProblem('6.2.14');
    expect(problem).toContain('version 6.2.14');
    expect(problem).toContain('Redis 7.0 or newer');
    expect(problem).toContain('redisAdapter: false');
  });
});
