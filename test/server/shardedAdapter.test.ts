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
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures.map((error) => (error as Error).message)).toEqual(['gave up', 'gave up']);
    // Closed under a SUNSUBSCRIBE (the server closing): refused, handled, and not worth telling.
    void sub.sunsubscribe('room-c');
    sub.disconnect();
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toHaveLength(2);
    expect(unhandled).toEqual([]);
  });
});
