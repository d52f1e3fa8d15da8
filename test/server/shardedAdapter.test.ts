import { Server } from 'socket.io';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openRedis } from '../../server/redisConnection.js';
import { createJobcastAdapter } from '../../server/shardedAdapter.js';
import { uniqueName, waitFor } from '../support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('createJobcastAdapter', () => {
  it("handles the replies of the adapter's SSUBSCRIBE and SUNSUBSCRIBE: a connection closed under them ends no process, and a failure is told", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => process.off('unhandledRejection', onUnhandled));
    const pub = openRedis(inject('redisUrl'), 'adapter-pub');
    const sub = openRedis(inject('redisUrl'), 'adapter-sub', false, undefined, { shardedSubscribers: true });
    cleanups.push(() => pub.disconnect(), () => sub.disconnect());
    const failures: unknown[] = [];
    createJobcastAdapter(pub, sub, uniqueName('jc'), (error) => failures.push(error));
    await waitFor(() => sub.status === 'ready', 'the subscriber connection ready');
    // As the adapter sends them: nobody waits for the replies.
    void sub.ssubscribe('room-a');
    void sub.sunsubscribe('room-b');
    // Refused before Redis answers, as ioredis refuses what it holds once it gives up retrying.
    (sub as unknown as { flushQueue(error: Error): void }).flushQueue(new Error('gave up'));
    // One report for the burst: both refused at once.
    await waitFor(() => failures.length > 0, 'the refusals reported');
    expect(failures.map((error) => (error as Error).message)).toEqual(['gave up']);
    // Closed under a SUNSUBSCRIBE (the server closing): refused, handled, and not worth telling.
    void sub.sunsubscribe('room-c');
    sub.disconnect();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve)); // a report comes one turn after its refusal
    expect(failures).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });

  it("sends a refused room-channel subscription again once Redis is back, while the room has members here", async () => {
    const pub = openRedis(inject('redisUrl'), 'adapter-pub');
    const sub = openRedis(inject('redisUrl'), 'adapter-sub', false, undefined, { shardedSubscribers: true });
    const io = new Server();
    cleanups.push(() => pub.disconnect(), () => sub.disconnect(), () => io.of('/').adapter.close());
    const prefix = uniqueName('jc');
    const reported: number[] = [];
    io.adapter(createJobcastAdapter(pub, sub, prefix, (_error, channels) => reported.push(channels)));
    await waitFor(() => sub.status === 'ready', 'the subscriber connection ready');
    // The connection drops: the room's SSUBSCRIBE waits in ioredis's offline queue, and is
    // refused there, never sent, as when ioredis gives up retrying during an outage.
    sub.disconnect(true);
    const joined = io.of('/').adapter.addAll('socket-1', new Set(['jobcast:room-retried']));
    (sub as unknown as { flushQueue(error: Error): void }).flushQueue(new Error('gave up'));
    await joined;
    await waitFor(() => reported.length > 0, 'the refusal reported');
    const channel = `${prefix}#/#jobcast:room-retried#`;
    const subscribers = async () => ((await pub.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1];
    await waitFor(async () => (await subscribers()) === 1, 'the room channel subscribed again', 20_000);
    expect(reported[0]).toBe(1); // one channel (the adapter's SSUBSCRIBE, and jobcast's own to confirm it)
  });
});
