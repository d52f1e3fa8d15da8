import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { EVENTS, type StatusEvent } from '../../shared/index.js';
import { startRedisServer } from '../../scripts/redisServer.js';
import { createEnqueuer } from '../../server/index.js';
import { createKeys } from '../../server/store/keys.js';
import { connectRaw, connected, openQueue, request, startStack, startWorker, uniqueName, waitFor, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve().then(cleanups.pop()!).catch(() => undefined);
});

/** A raw socket subscribed to `rooms`, recording every status it receives. */
async function listen(url: string, rooms: string[]) {
  const socket = connectRaw(url, 'user:alice');
  cleanups.push(() => socket.close());
  const events: StatusEvent[] = [];
  socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
  await connected(socket);
  for (const room of rooms) expect((await request(socket, EVENTS.subscribe, { room })).ok).toBe(true);
  return events;
}

/** Empties a queue's events stream, as a MAXLEN trim does to events nobody read in time. */
/** A plain BullMQ queue and jobcast's enqueue helpers on `stack`'s Redis, for what happens while no server runs. */
function withoutServer(stack: TestStack, queue: string) {
  const plain = openQueue(queue);
  cleanups.push(() => plain.close());
  const enqueuer = createEnqueuer({ redis: stack.redisUrl, keyPrefix: stack.keyPrefix });
  cleanups.push(() => enqueuer.close());
  return { plain, enqueuer };
}

async function trimEvents(redisUrl: string, streamKey: string): Promise<void> {
  const admin = new Redis(redisUrl);
  await admin.xtrim(streamKey, 'MAXLEN', 0);
  await admin.quit();
}

const inRoom = (events: StatusEvent[], room: string) => events.filter((event) => event.room === room);


describe('routing', () => {
  it('sends a reused custom job id to the rooms of the incarnation that produced each status', async () => {
    const queue = uniqueName('reuse');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const events = await listen(stack.url, ['document:1', 'document:2']);
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());

    await stack.server.enqueue(queue, 'first', {}, { rooms: ['document:1'], jobId: 'same', removeOnComplete: true });
    await waitFor(() => inRoom(events, 'document:1').some((event) => event.status.state === 'completed'), 'the first completion');
    await stack.server.enqueue(queue, 'second', {}, { rooms: ['document:2'], jobId: 'same', removeOnComplete: true });
    await waitFor(() => inRoom(events, 'document:2').some((event) => event.status.state === 'completed'), 'the second completion');

    expect(inRoom(events, 'document:1').every((event) => event.status.name === 'first')).toBe(true);
    expect(inRoom(events, 'document:2').every((event) => event.status.name === 'second')).toBe(true);
    const incarnations = new Set(events.map((event) => event.status.incarnation));
    expect(incarnations.size).toBe(2);
    // The second incarnation inherits nothing: it starts again at attempt 1.
    expect(inRoom(events, 'document:2').map((event) => event.status.attempt)).toEqual(inRoom(events, 'document:2').map(() => 1));
  });

  it('keeps a reused id\'s statuses apart when the server reads the first job\'s events after the second was added', async () => {
    const queue = uniqueName('reuse-lag');
    const first = await startStack({ queues: [queue] });
    await first.close();
    // While no server reads: job one runs and is removed, job two takes its id.
    const enqueuer = createEnqueuer({ redis: first.redisUrl, keyPrefix: first.keyPrefix });
    cleanups.push(() => enqueuer.close());
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const worker = startWorker(queue, async (job) => (job.name === 'one' ? 'first' : new Promise(() => undefined)));
    cleanups.push(() => worker.close(true));
    await enqueuer.enqueue(queue, 'one', {}, { rooms: ['document:1'], jobId: 'shared', removeOnComplete: true });
    await waitFor(async () => (await plain.getJob('shared')) === undefined, 'job one done and removed');
    await enqueuer.enqueue(queue, 'two', {}, { rooms: ['document:2'], jobId: 'shared' });
    await waitFor(async () => (await plain.getJob('shared'))?.name === 'two', 'job two added');

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const snapshot = async (room: string) => {
      const response = await fetch(`${second.url}/jobcast/rooms/${room}`, { headers: { authorization: 'Bearer user:alice' } });
      return ((await response.json()) as { jobs: StatusEvent[] }).jobs.find((event) => event.status.jobId === 'shared')?.status;
    };
    await waitFor(async () => (await snapshot('document:2'))?.state === 'active', 'job two running in document:2');
    expect(await snapshot('document:2')).toMatchObject({ name: 'two', state: 'active' });
    expect(await snapshot('document:1')).toMatchObject({ name: 'one', state: 'completed' });
    const two = await snapshot('document:2');
    const one = await snapshot('document:1');
    expect(two!.incarnation).not.toBe(one!.incarnation);
  });

  it('never routes a job to a room of a job that had its id before Redis lost its data', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const queue = uniqueName('flush');
    const stack = await startStack({ queues: [queue], redisUrl: redis.url, dataLossCheckMs: 200 });
    cleanups.push(() => stack.close());
    const events = await listen(stack.url, ['document:7', 'document:8']);
    const plain = openQueue(queue, redis.url);
    cleanups.push(() => plain.close());

    await stack.server.enqueue(queue, 'before', {}, { rooms: ['document:7'], jobId: 'report', delay: 60_000 });
    await waitFor(() => inRoom(events, 'document:7').length > 0, 'the first job in document:7');
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.quit());
    await admin.flushall();
    // The id is free again: a plain job takes it (it names no room), then a routed job follows.
    await plain.add('after', {}, { jobId: 'report' });
    await stack.server.routeJob(queue, 'next', { rooms: ['document:8'] });
    await plain.add('routed', {}, { jobId: 'next' });
    await waitFor(() => inRoom(events, 'document:8').some((event) => event.status.name === 'routed'), 'the new job in document:8');
    expect(inRoom(events, 'document:7').every((event) => event.status.name === 'before')).toBe(true);
    expect(events.some((event) => event.status.name === 'after')).toBe(false);
  });

  it('keeps two jobs with the same id in two queues apart in one room', async () => {
    const imports = uniqueName('imports');
    const thumbnails = uniqueName('thumbs');
    const stack = await startStack({ queues: [imports, thumbnails] });
    cleanups.push(() => stack.close());
    const events = await listen(stack.url, ['document:3']);
    const failing = startWorker(imports, async () => {
      throw new Error('nope');
    });
    const passing = startWorker(thumbnails, async () => 'ok');
    cleanups.push(() => failing.close(), () => passing.close());
    await stack.server.enqueue(imports, 'import', {}, { rooms: ['document:3'], jobId: 'j1', attempts: 1 });
    await stack.server.enqueue(thumbnails, 'thumb', {}, { rooms: ['document:3'], jobId: 'j1' });
    await waitFor(() => events.some((event) => event.status.state === 'failed') && events.some((event) => event.status.state === 'completed'), 'both outcomes');

    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    await connected(socket);
    const snapshot = await request(socket, EVENTS.subscribe, { room: 'document:3' });
    const states = (snapshot.jobs as StatusEvent[]).map((event) => `${event.status.queue}:${event.status.state}`).sort();
    expect(states).toEqual([`${imports}:failed`, `${thumbnails}:completed`].sort());
  });

  it('reaches the rooms of fast jobs added with routeJob and a plain queue.add, removed on completion', async () => {
    const queue = uniqueName('plain');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const events = await listen(stack.url, ['document:5']);
    const worker = startWorker(queue, async () => 'quick');
    cleanups.push(() => worker.close());
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const ids = Array.from({ length: 40 }, (_, index) => `fast-${index}`);
    for (const jobId of ids) {
      await stack.server.routeJob(queue, jobId, { rooms: ['document:5'] });
      await plain.add('fast', {}, { jobId, removeOnComplete: true });
    }
    await waitFor(() => ids.every((jobId) => events.some((event) => event.status.jobId === jobId && event.status.state === 'completed')), 'every completion', 60_000);
  });

  it('pushes nothing for a plain queue.add that was not routed, and lists it as unrouted', async () => {
    const queue = uniqueName('unrouted');
    const stack = await startStack({ queues: [queue], canDebug: () => true });
    cleanups.push(() => stack.close());
    const events = await listen(stack.url, ['document:6']);
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const job = await plain.add('lonely', { rooms: ['document:6'] });
    // A routed job added after it: once it shows, the unrouted one has been read too.
    await stack.server.enqueue(queue, 'routed', {}, { rooms: ['document:6'] });
    await waitFor(() => events.some((event) => event.status.name === 'routed'), 'the routed job');
    expect(events.some((event) => event.status.jobId === job.id)).toBe(false);
    const debug = (await (await fetch(`${stack.url}/jobcast/debug`, { headers: { authorization: 'Bearer user:alice' } })).json()) as { unrouted?: Array<{ jobId: string }> };
    expect(JSON.stringify(debug)).toContain(job.id!);
  });

  it('shows jobs removed by drain or obliterate as unknown within a few seconds', async () => {
    const queue = uniqueName('drain');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const events = await listen(stack.url, ['document:9']);
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const waiting = await stack.server.enqueue(queue, 'waits', {}, { rooms: ['document:9'] });
    const delayed = await stack.server.enqueue(queue, 'later', {}, { rooms: ['document:9'], delay: 60_000 });
    await waitFor(() => events.filter((event) => event.event === 'added').length === 2, 'both jobs added');
    await plain.drain(true);
    const last = (jobId: string) => events.filter((event) => event.status.jobId === jobId).at(-1);
    await waitFor(() => last(waiting.jobId)?.status.state === 'unknown' && last(delayed.jobId)?.status.state === 'unknown', 'both drained jobs shown unknown');
    expect(last(waiting.jobId)).toMatchObject({ event: 'reconciled', reason: 'vanished' });

    // obliterate deletes the events stream too; a job added afterwards is read all the same.
    const doomed = await stack.server.enqueue(queue, 'doomed', {}, { rooms: ['document:9'], delay: 60_000 });
    await waitFor(() => last(doomed.jobId)?.status.state === 'delayed', 'the next job delayed');
    await plain.obliterate({ force: true });
    await waitFor(() => last(doomed.jobId)?.status.state === 'unknown', 'the obliterated job shown unknown');
    const after = await stack.server.enqueue(queue, 'after', {}, { rooms: ['document:9'] });
    await waitFor(() => last(after.jobId)?.status.state === 'waiting', 'a job added after obliterate');
  });

  it('shows a job lost when its id starts a new job before its rooms saw it finish (obliterated while no server read)', async () => {
    const queue = uniqueName('reborn');
    const first = await startStack({ queues: [queue] });
    const { jobId } = await first.server.enqueue(queue, 'old', {}, { rooms: ['document:11'], jobId: 'same-id', delay: 60_000 });
    const snapshot = async (stack: typeof first, room: string) => {
      const response = await fetch(`${stack.url}/jobcast/rooms/${room}`, { headers: { authorization: 'Bearer user:alice' } });
      return ((await response.json()) as { jobs: StatusEvent[] }).jobs.find((event) => event.status.jobId === jobId)?.status;
    };
    await waitFor(async () => (await snapshot(first, 'document:11'))?.state === 'delayed', 'the old job delayed');
    await first.close();
    const { plain, enqueuer } = withoutServer(first, queue);
    await plain.obliterate({ force: true });
    await enqueuer.enqueue(queue, 'new', {}, { rooms: ['document:12'], jobId: 'same-id', delay: 60_000 });

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    await waitFor(async () => (await snapshot(second, 'document:12'))?.name === 'new', 'the new job in its room');
    await waitFor(async () => (await snapshot(second, 'document:11'))?.state === 'unknown', 'the old job shown lost');
    expect((await snapshot(second, 'document:11'))?.name).toBe('old');
  });

  it('shows a job lost where a subscriber saw it unfinished once Redis lost the job with its record and routes but not its room, never one the room has seen finish since', async () => {
    const queue = uniqueName('unrecorded');
    const first = await startStack({ queues: [queue] });
    const keys = createKeys(first.keyPrefix);
    const admin = new Redis(first.redisUrl);
    cleanups.push(() => admin.quit());
    const seen = await listen(first.url, ['document:13']);
    const kept = await first.server.enqueue(queue, 'kept', {}, { rooms: ['document:13'], delay: 60_000 });
    const done = await first.server.enqueue(queue, 'done', {}, { rooms: ['document:13'] });
    const last = (events: StatusEvent[], jobId: string) => events.filter((event) => event.status.jobId === jobId).at(-1)?.status.state;
    await waitFor(() => last(seen, kept.jobId) === 'delayed' && last(seen, done.jobId) === 'waiting', 'both jobs shown');
    // A second page's snapshot shows both unfinished: each is checked, with the room it was seen in.
    await listen(first.url, ['document:13']);
    await waitFor(async () => (await admin.exists(keys.queueSightings(queue, kept.jobId), keys.queueSightings(queue, done.jobId))) === 2, 'both sightings');
    const worker = startWorker(queue, async () => 'ok');
    await waitFor(() => last(seen, done.jobId) === 'completed', 'the second job completed');
    await worker.close();
    await first.close();
    // What a Redis Cluster's master holding the queue's keys loses while the room's master keeps
    // the room: the BullMQ jobs, and jobcast's records of them, their routes and the open-jobs set.
    const { plain } = withoutServer(first, queue);
    await plain.obliterate({ force: true });
    for (const { jobId } of [kept, done]) await admin.del(keys.job(queue, jobId), keys.routeVersions(queue, jobId));
    await admin.del(keys.queueOpenJobs(queue));
    // A check of the finished job still queued from before it finished.
    await admin.sadd(keys.queueChecks(queue), done.jobId);

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const events = await listen(second.url, ['document:13']);
    await waitFor(() => last(events, kept.jobId) === 'unknown', 'the unfinished job shown lost');
    expect(events.filter((event) => event.status.jobId === kept.jobId).at(-1)).toMatchObject({ room: 'document:13', event: 'reconciled', reason: 'vanished', status: { name: 'kept' } });
    // Its check ran by then (it was asked for first): the job the room saw finish stays finished.
    expect(await admin.sismember(keys.queueChecks(queue), done.jobId)).toBe(0);
    expect(events.some((event) => event.status.jobId === done.jobId)).toBe(false);
    const snapshot = (await (await fetch(`${second.url}/jobcast/rooms/document:13`, { headers: { authorization: 'Bearer user:alice' } })).json()) as { jobs: StatusEvent[] };
    expect(snapshot.jobs.find((event) => event.status.jobId === done.jobId)?.status.state).toBe('completed');
  });

  it('shows a job that finished while no server ran as completed, never unknown', async () => {
    const queue = uniqueName('down');
    let stack = await startStack({ queues: [queue] });
    const keyPrefix = stack.keyPrefix;
    await stack.close();
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const enqueuer = createEnqueuer({ redis: stack.redisUrl, keyPrefix });
    cleanups.push(() => enqueuer.close());
    const { jobId } = await enqueuer.enqueue(queue, 'offline', {}, { rooms: ['document:4'], removeOnComplete: true });
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await waitFor(async () => (await plain.getJob(jobId)) === undefined, 'the job to finish and be removed');
    stack = await startStack({ queues: [queue], keyPrefix });
    cleanups.push(() => stack.close());
    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    await connected(socket);
    const state = async () => {
      const answer = await request(socket, EVENTS.subscribe, { room: 'document:4' });
      return (answer.jobs as StatusEvent[]).find((event) => event.status.jobId === jobId)?.status.state;
    };
    await waitFor(async () => (await state()) === 'completed', 'the completion read after the restart');
  });

  it('finds the rooms of a routeJob + queue.add job whose added event was trimmed away unread, by the time it was routed', async () => {
    const queue = uniqueName('late-route');
    const first = await startStack({ queues: [queue] });
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    // A first job read, so the stored position is past the stream's start and the trim shows.
    const events = await listen(first.url, ['document:30']);
    await first.server.enqueue(queue, 'warmup', {}, { rooms: ['document:30'], delay: 60_000 });
    await waitFor(() => events.some((event) => event.status.state === 'delayed'), 'the first job read');
    await first.close();
    const enqueuer = createEnqueuer({ redis: first.redisUrl, keyPrefix: first.keyPrefix });
    cleanups.push(() => enqueuer.close());
    await enqueuer.routeJob(queue, 'routed-late', { rooms: ['document:31'] });
    await plain.add('report', {}, { jobId: 'routed-late', delay: 60_000 });
    await trimEvents(first.redisUrl, plain.keys.events!);

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const shown = await roomView(second.url, 'document:31');
    await waitFor(async () => (await shown('routed-late'))?.state === 'delayed', 'the job adopted into its room');
    expect((await shown('routed-late'))?.name).toBe('report');
  });

  it('shows a job whose every event was trimmed unread lost in its rooms, and the new job that took its id in its own', async () => {
    const queue = uniqueName('trimmed-reuse');
    const first = await startStack({ queues: [queue] });
    await first.close();
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const worker = startWorker(queue, async (job) => (job.name === 'old' ? 'done' : new Promise(() => undefined)));
    cleanups.push(() => worker.close(true));
    const enqueuer = createEnqueuer({ redis: first.redisUrl, keyPrefix: first.keyPrefix });
    cleanups.push(() => enqueuer.close());
    await enqueuer.enqueue(queue, 'old', {}, { rooms: ['document:32'], jobId: 'taken', removeOnComplete: true });
    await waitFor(async () => (await plain.getJob('taken')) === undefined, 'the old job to finish and be removed');
    await trimEvents(first.redisUrl, plain.keys.events!);
    await enqueuer.enqueue(queue, 'new', {}, { rooms: ['document:33'], jobId: 'taken' });

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const oldRoom = await roomView(second.url, 'document:32');
    const newRoom = await roomView(second.url, 'document:33');
    await waitFor(async () => (await newRoom('taken'))?.state === 'active', 'the new job running in its room');
    await waitFor(async () => (await oldRoom('taken'))?.state === 'unknown', 'the old job shown lost in its room');
    expect((await newRoom('taken'))?.name).toBe('new');
    expect((await oldRoom('taken'))?.incarnation).not.toBe((await newRoom('taken'))?.incarnation);
  });
  it('never pushes a later job\'s events to the rooms of an earlier job with its id when the later one\'s add was trimmed unread', async () => {
    const queue = uniqueName('hole-reuse');
    const first = await startStack({ queues: [queue] });
    const watch = await listen(first.url, ['document:40']);
    let open = () => undefined as void;
    const release = { wait: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    const worker = startWorker(queue, async (job) => (job.name === 'earlier' ? 'done' : release.wait.then(() => 'later done')));
    cleanups.push(() => worker.close(true));
    await first.server.enqueue(queue, 'earlier', {}, { rooms: ['document:40'], jobId: 'shared-id', removeOnComplete: true });
    await waitFor(() => watch.some((event) => event.status.state === 'completed'), 'the earlier job read to its end');
    await first.close();
    // While no server reads: the later job starts, its start is trimmed away, then it finishes.
    const { plain, enqueuer } = withoutServer(first, queue);
    await enqueuer.enqueue(queue, 'later', {}, { rooms: ['document:41'], jobId: 'shared-id', removeOnComplete: true });
    await waitFor(async () => (await plain.getJob('shared-id'))?.name === 'later' && (await plain.getJob('shared-id'))!.isActive(), 'the later job running');
    await trimEvents(first.redisUrl, plain.keys.events!);
    release.open();
    await waitFor(async () => (await plain.getJob('shared-id')) === undefined, 'the later job finished and removed');

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const earlierRoom = await listen(second.url, ['document:40']);
    const laterRoom = await roomView(second.url, 'document:41');
    // The later job is shown lost in its own room once its route is old enough to call it so.
    await waitFor(async () => (await laterRoom('shared-id'))?.state === 'unknown', 'the later job shown lost in its room', 40_000);
    expect(earlierRoom).toEqual([]);
  });
  it('shows a routed job scheduler\'s job that finished while every event of it was trimmed unread', async () => {
    const queue = uniqueName('trimmed-tick');
    const first = await startStack({ queues: [queue] });
    const watch = await listen(first.url, ['document:50']);
    await first.server.enqueue(queue, 'warmup', {}, { rooms: ['document:50'], delay: 60_000 });
    await waitFor(() => watch.some((event) => event.status.state === 'delayed'), 'the first job read');
    await first.close();
    const { plain, enqueuer } = withoutServer(first, queue);
    await enqueuer.routeScheduler(queue, 'tick', { rooms: ['document:51'] });
    const worker = startWorker(queue, async () => 'ticked');
    cleanups.push(() => worker.close());
    await plain.upsertJobScheduler('tick', { every: 600_000 }, { name: 'tick' });
    const finished = await waitFor(async () => (await plain.getCompleted()).find((job) => job.name === 'tick'), 'the scheduler\'s first job to complete');
    await trimEvents(first.redisUrl, plain.keys.events!);

    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const shown = await roomView(second.url, 'document:51');
    await waitFor(async () => (await shown(finished.id!))?.state === 'completed', 'the scheduler job shown completed in its room');
  });
});

/** The status of a job in `room`'s snapshot, as a fresh subscribe answers it. */
async function roomView(url: string, room: string) {
  const socket = connectRaw(url, 'user:alice');
  cleanups.push(() => socket.close());
  await connected(socket);
  // Each look is a subscribe request: spaced to stay within the server's 10 a second per connection
  // (waitFor polls every 25 ms, and a refused one would answer no jobs).
  let last = 0;
  return async (jobId: string) => {
    const wait = last + 110 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    last = Date.now();
    const answer = await request(socket, EVENTS.subscribe, { room });
    return (answer.jobs as StatusEvent[] | undefined)?.find((event) => event.status.jobId === jobId)?.status;
  };
}
