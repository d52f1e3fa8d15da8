import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type JobStatus, type WorkerProgress } from '../../shared/index.js';
import { createWorkerIdentityFilter } from '../../server/security/workerIdentity.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor, watchRoom, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const worker = { host: 'build-7.internal', pid: 4242, version: '1.0.0' };

/** True when the worker's host or pid shows anywhere in what was received. */
const revealsWorker = (received: unknown) => {
  const text = JSON.stringify(received);
  return text.includes(worker.host) || text.includes('"pid"') || text.includes(`pid ${worker.pid}`);
};

/** Runs one job whose worker reports its identity (as the worker helpers do), and waits for its end. */
async function runJob(stack: TestStack, queue: string, room: string) {
  const running = startWorker(queue, async (job) => {
    await job.updateProgress({ percent: 50, worker } satisfies WorkerProgress);
    return 'ok';
  });
  cleanups.push(() => running.close());
  return stack.server.enqueue(queue, 'identified', {}, { rooms: [room] });
}

describe("the worker's host and pid", () => {
  it('reach only debug users: live, in snapshots, replays and HTTP, with warnings reworded for the others', async () => {
    const queue = uniqueName('identity');
    const stack = await startStack({ queues: [queue], expectedWorkerVersion: '2.0.0', canDebug: (user) => user.id === 'dev' });
    cleanups.push(() => stack.close());
    const alice = await watchRoom(stack.url, 'user:alice', 'document:1');
    const dev = await watchRoom(stack.url, 'user:dev', 'document:1');
    await runJob(stack, queue, 'document:1');
    await waitFor(() => alice.events.some((e) => e.event === 'completed') && dev.events.some((e) => e.event === 'completed'), 'both see the end');

    // The debug user gets the identity, and the warning naming it.
    const devProgress = dev.events.find((e) => e.event === 'progress')!.status;
    expect(devProgress.worker).toEqual(worker);
    expect(devProgress.warnings).toEqual([
      { code: 'STALE_WORKER', message: 'Run by a worker on version 1.0.0 (build-7.internal, pid 4242); this server expects 2.0.0.' },
    ]);
    // Everyone else: the same events, without it.
    expect(alice.events.map((e) => e.seq)).toEqual(dev.events.map((e) => e.seq));
    expect(revealsWorker(alice.events)).toBe(false);
    const aliceProgress = alice.events.find((e) => e.event === 'progress')!.status;
    expect(aliceProgress.worker).toBeUndefined();
    expect(aliceProgress.warnings).toEqual([{ code: 'STALE_WORKER', message: 'Run by a worker on version 1.0.0; this server expects 2.0.0.' }]);
    expect(aliceProgress.progress).toEqual({ percent: 50 });

    // A late subscriber's snapshot, a replay from a cursor, the HTTP snapshot.
    const late = connectRaw(stack.url, 'user:carol');
    cleanups.push(() => late.close());
    await connected(late);
    const snapshot = await request(late, EVENTS.subscribe, { room: 'document:1' });
    expect(snapshot.jobs.length).toBeGreaterThan(0);
    expect(revealsWorker(snapshot)).toBe(false);
    const replay = await request(late, EVENTS.subscribe, { room: 'document:1', since: { epoch: snapshot.epoch, seq: 0 } });
    expect(replay).toMatchObject({ ok: true, mode: 'replay' });
    expect(replay.events.length).toBe(snapshot.seq);
    expect(revealsWorker(replay)).toBe(false);
    const range = await request(late, EVENTS.replay, { room: 'document:1', epoch: snapshot.epoch, after: 0, to: snapshot.seq });
    expect(range.events.length).toBe(snapshot.seq);
    expect(revealsWorker(range)).toBe(false);
    const http = (token: string) => fetch(`${stack.url}/jobcast/rooms/document:1`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.json());
    expect(revealsWorker(await http('user:alice'))).toBe(false);
    expect(revealsWorker(await http('user:dev'))).toBe(true);
    // The debug views are for debug users: they keep it.
    const report = await fetch(`${stack.url}/jobcast/debug/rooms/document:1`, { headers: { authorization: 'Bearer user:dev' } }).then((response) => response.json());
    expect(revealsWorker(report)).toBe(true);
  });

  it('stay out of a room without a debug user, and reach one who joins it later', async () => {
    const queue = uniqueName('identity');
    const stack = await startStack({ queues: [queue], canDebug: (user) => user.id === 'dev' });
    cleanups.push(() => stack.close());
    const alice = await watchRoom(stack.url, 'user:alice', 'document:2');
    await runJob(stack, queue, 'document:2');
    await waitFor(() => alice.events.some((e) => e.event === 'completed'), 'the first job ends');
    expect(alice.events.some((e) => e.event === 'progress')).toBe(true);
    expect(revealsWorker(alice.events)).toBe(false);

    const dev = await watchRoom(stack.url, 'user:dev', 'document:2');
    const seen = alice.events.length;
    await runJob(stack, queue, 'document:2');
    await waitFor(() => alice.events.filter((e) => e.event === 'completed').length === 2 && dev.events.some((e) => e.event === 'completed'), 'the second job ends');
    expect(dev.events.find((e) => e.event === 'progress')!.status.worker).toEqual(worker);
    expect(revealsWorker(alice.events)).toBe(false);
    // Both get the room's statuses from then on, in order, with no gap.
    expect(dev.events.map((e) => e.seq)).toEqual(alice.events.slice(seen).map((e) => e.seq));
    expect(alice.events.map((e) => e.seq)).toEqual(alice.events.map((_, index) => index + alice.events[0]!.seq));
  });

  it('reach every subscriber with exposeWorkerIdentity', async () => {
    const queue = uniqueName('identity');
    const stack = await startStack({ queues: [queue], exposeWorkerIdentity: true });
    cleanups.push(() => stack.close());
    const alice = await watchRoom(stack.url, 'user:alice', 'document:1');
    await runJob(stack, queue, 'document:1');
    await waitFor(() => alice.events.some((e) => e.event === 'completed'), 'the end');
    expect(alice.events.find((e) => e.event === 'progress')!.status.worker).toEqual(worker);
  });
});

describe('createWorkerIdentityFilter', () => {
  it('rewords a WORKER_LOST warning that names the worker, keeps its deadline, and leaves other warnings and statuses as they are', () => {
    const filter = createWorkerIdentityFilter({ expectedWorkerVersion: undefined });
    const lost: JobStatus = {
      jobId: '1',
      queue: 'q',
      incarnation: 'i',
      state: 'active',
      attempt: 1,
      maxAttempts: 1,
      updatedAt: 1,
      worker,
      warnings: [
        { code: 'WORKER_LOST', message: `The worker running this job (${worker.host} pid ${worker.pid}) is gone: BullMQ's stalled check will retry or fail it once its lock runs out.`, until: 99 },
        { code: 'NO_WORKER', message: 'No worker listens on queue "q": it waits until one starts.' },
      ],
    };
    const shown = filter.status(lost);
    expect(revealsWorker(shown)).toBe(false);
    expect(shown.warnings).toEqual([
      { code: 'WORKER_LOST', message: "The worker running this job is gone or stopped renewing its lock: BullMQ's stalled check will retry or fail it.", until: 99 },
      lost.warnings![1],
    ]);
    expect(lost.worker).toEqual(worker); // the original is untouched
    const { worker: _worker, warnings: _warnings, ...plain } = lost;
    expect(filter.status(plain)).toBe(plain);
  });
});
