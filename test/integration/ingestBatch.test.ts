import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { EVENTS, type StatusEvent } from '../../shared/index.js';
import { connectRaw, connected, openQueue, request, startStack, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('ingest batches', () => {
  it('routes a completion that arrives in the same batch as the start of a job the server has not seen yet', async () => {
    const queue = uniqueName('batch');
    // The job exists before the server starts, so its added/waiting events are never read here.
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const job = await plain.add('fast', { rooms: ['document:1'] });
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    const events: StatusEvent[] = [];
    socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
    await connected(socket);
    await request(socket, EVENTS.subscribe, { room: 'document:1' });

    // A worker that finishes at once: start and completion written in one transaction, so a
    // reader blocked in XREAD gets both in one batch.
    const redis = new Redis(stack.redisUrl);
    cleanups.push(() => redis.quit());
    await redis
      .multi()
      .xadd(`bull:${queue}:events`, '*', 'event', 'active', 'jobId', job.id!, 'prev', 'waiting')
      .xadd(`bull:${queue}:events`, '*', 'event', 'completed', 'jobId', job.id!, 'returnvalue', '"ok"', 'prev', 'active')
      .exec();
    await waitFor(() => events.some((event) => event.event === 'completed'), 'the completion');
    expect(events.map((event) => [event.seq, event.event, event.status.state])).toEqual([
      [1, 'active', 'active'],
      [2, 'completed', 'completed'],
    ]);
  });
});
