import { afterEach, describe, expect, it } from 'vitest';
import { startStack, startWorker, testClient, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve().then(cleanups.pop()!).catch(() => undefined);
});

describe('two healthy server nodes', () => {
  it('deliver every event once, in order, with no gap on either node', async () => {
    const queue = uniqueName('two');
    const first = await startStack({ queues: [queue], nodeId: 'node-a' });
    cleanups.push(() => first.close());
    const second = await startStack({ queues: [queue], nodeId: 'node-b', keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const onFirst = testClient(first.url).subscribe('document:1');
    const onSecond = testClient(second.url).subscribe('document:1');
    await waitFor(() => onFirst.getSnapshot().state === 'active' && onSecond.getSnapshot().state === 'active', 'both subscribed');
    const worker = startWorker(queue, async (job) => {
      for (let percent = 10; percent <= 100; percent += 10) await job.updateProgress(percent);
      return 'done';
    });
    cleanups.push(() => worker.close());
    const jobIds: string[] = [];
    for (let index = 0; index < 30; index++) jobIds.push((await first.server.enqueue(queue, 'burst', { index }, { rooms: ['document:1'] })).jobId);
    const done = (handle: typeof onFirst) => jobIds.every((jobId) => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'completed');
    await waitFor(() => done(onFirst) && done(onSecond), 'every job completed on both nodes', 60_000);
    for (const handle of [onFirst, onSecond]) {
      expect(handle.getSnapshot().gaps.detected).toBe(0);
    }
    // Both clients saw the same room cursor: one ingest, one sequence.
    expect(onFirst.getSnapshot().seq).toBe(onSecond.getSnapshot().seq);
  });
});
