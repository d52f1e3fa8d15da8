import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { QueueLease } from '../../server/ingest/queueLease.js';
import { createKeys } from '../../server/store/keys.js';
import { RoomStore, type AppendInput, type EventBody } from '../../server/store/roomStore.js';
import { uniqueName } from '../support/stack.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

async function store(slotOf?: (key: string) => number) {
  const keys = createKeys(uniqueName('store'));
  await redis.set(keys.queueLease('q'), 'token-a');
  return { keys, store: new RoomStore(redis, keys, { historySize: 100, historyTtlMs: 60_000, snapshotJobs: 10, recordTtlMs: 60_000, maxReplay: 1_000, slotOf }) };
}

const body = (event: EventBody['event'], state: EventBody['status']['state']): EventBody => ({
  event,
  status: { jobId: 'j1', queue: 'q', incarnation: '100-0', state, attempt: 1, maxAttempts: 3, updatedAt: 1 },
  at: 1,
});
const input = (eventId: string | undefined, b: EventBody | undefined, rooms = ['document:1']): AppendInput => ({
  queue: 'q',
  jobId: 'j1',
  eventId,
  incarnation: '100-0',
  route: { rooms },
  body: b,
  consumedRoutes: [],
});

describe('RoomStore.append', () => {
  it('assigns each event the next cursor of every room of the job', async () => {
    const { store: s } = await store();
    const first = await s.append('token-a', input('100-1', body('active', 'active'), ['document:1', 'user:7']));
    const second = await s.append('token-a', input('100-2', body('completed', 'completed'), ['document:1', 'user:7']));
    expect(first).toMatchObject({ record: 'written', cursors: [{ room: 'document:1', seq: 1 }, { room: 'user:7', seq: 1 }] });
    expect(second).toMatchObject({ record: 'written', cursors: [{ room: 'document:1', seq: 2 }, { room: 'user:7', seq: 2 }] });
    expect((await s.readRoom('document:1', undefined)).events.map((event) => event.status.state)).toEqual(['completed']);
  });

  it('keeps the last historySize events of a room for replay and the snapshotJobs jobs updated last', async () => {
    const { store: s } = await store(); // historySize 100, snapshotJobs 10
    // 230 statuses of 13 jobs, in turn: every job is updated again after it left the snapshot, and while in it.
    const jobOf = (index: number) => `h${index % 13}`;
    const writes = Array.from({ length: 230 }, (_, index): AppendInput => {
      const b = body('active', 'active');
      return { ...input(`300-${index}`, { ...b, status: { ...b.status, jobId: jobOf(index), progress: index } }), jobId: jobOf(index) };
    });
    for (let start = 0; start < writes.length; start += 23) await s.appendBatch('token-a', 'q', writes.slice(start, start + 23), { advanceTo: `300-${start + 22}` });
    const { epoch, seq } = await s.cursorOf('document:1');
    expect(seq).toBe(230);
    const replay = await s.readRoom('document:1', { epoch: epoch!, seq: 130 });
    expect(replay).toMatchObject({ mode: 'replay', resync: undefined });
    expect(replay.events.map((event) => event.seq)).toEqual(Array.from({ length: 100 }, (_, index) => 131 + index));
    expect(await s.readRoom('document:1', { epoch: epoch!, seq: 129 })).toMatchObject({ mode: 'snapshot', resync: 'history-exceeded' });
    const snapshot = await s.readRoom('document:1', undefined);
    const latest = new Map(Array.from({ length: 10 }, (_, index) => [jobOf(229 - index), 229 - index]));
    expect(new Map(snapshot.events.map((event) => [event.status.jobId, event.status.progress]))).toEqual(latest);
  });

  it('stores each room exactly the event body it was given, with its room and cursor', async () => {
    const { store: s } = await store();
    const reconciled: EventBody = { ...body('reconciled', 'unknown'), reason: 'vanished', status: { ...body('reconciled', 'unknown').status, name: 'quote " and \\ ünïcode', progress: { percent: 5 } } };
    await s.append('token-a', input('1-0', body('added', 'waiting')));
    await s.append('token-a', input(undefined, reconciled));
    const { events, epoch } = await s.readRoom('document:1', { epoch: (await s.cursorOf('document:1')).epoch!, seq: 0 });
    expect(events).toEqual([
      { ...body('added', 'waiting'), room: 'document:1', epoch, seq: 1 },
      { ...reconciled, room: 'document:1', epoch, seq: 2 },
    ]);
  });

  it('writes nothing for an event the job record already holds (ingested before a restart)', async () => {
    const { store: s } = await store();
    await s.append('token-a', input('100-2', body('active', 'active')));
    expect(await s.append('token-a', input('100-2', body('active', 'active')))).toEqual({ record: 'duplicate', cursors: [] });
    expect(await s.append('token-a', input('100-1', body('added', 'waiting')))).toEqual({ record: 'duplicate', cursors: [] });
    expect((await s.cursorOf('document:1')).seq).toBe(1);
  });

  it.each([
    ['one Redis', undefined],
    ['rooms in two hash slots', (key: string) => (key.includes('{user:') ? 1 : 0)],
  ])('applies a batch of writes in order, across calls, each with its own outcome (%s)', async (_, slotOf) => {
    const { store: s, keys } = await store(slotOf);
    const other = (eventId: string, b: EventBody, jobId: string, rooms: string[]): AppendInput => ({ ...input(eventId, { ...b, status: { ...b.status, jobId } }, rooms), jobId });
    // 1,250 writes: three script calls of each kind. Job j1 twice (the second a duplicate of the first), then 1,248 jobs in two rooms.
    const writes = [
      input('100-1', body('active', 'active'), ['document:1', 'user:7']),
      input('100-1', body('active', 'active'), ['document:1', 'user:7']),
      ...Array.from({ length: 1_248 }, (_, index) => other(`100-${index + 2}`, body('active', 'active'), `k${index}`, index % 2 ? ['document:1'] : ['user:7'])),
    ];
    const outcomes = await s.appendBatch('token-a', 'q', writes, { advanceTo: '100-1249' });
    expect(outcomes).toHaveLength(1_250);
    expect(outcomes[0]).toMatchObject({ record: 'written', cursors: [{ room: 'document:1', seq: 1 }, { room: 'user:7', seq: 1 }] });
    expect(outcomes[1]).toEqual({ record: 'duplicate', cursors: [] });
    const seqs = (room: string) => outcomes.flatMap((outcome) => outcome.cursors.filter((cursor) => cursor.room === room).map((cursor) => cursor.seq));
    expect(seqs('document:1')).toEqual(Array.from({ length: 625 }, (_, index) => index + 1));
    expect(seqs('user:7')).toEqual(Array.from({ length: 625 }, (_, index) => index + 1));
    expect((await s.cursorOf('document:1')).seq).toBe(625);
    expect(await redis.scard(keys.queueOpenJobs('q'))).toBe(1_249);
    // The last record call moved the queue's stored stream position.
    expect(await redis.get(keys.queueCursor('q'))).toBe('100-1249');
    await redis.set(keys.queueLease('q'), 'token-b');
    expect(await s.appendBatch('token-a', 'q', [input('100-1300', body('completed', 'completed'))], { advanceTo: '100-1300' })).toMatchObject([{ record: 'lease-lost' }]);
    expect(await redis.hget(keys.job('q', 'j1'), 'status')).not.toContain('completed');
    expect(await redis.get(keys.queueCursor('q'))).toBe('100-1249');
  });

  it('sends no later call for a room after one failed, so reading the batch again loses none of its events', async () => {
    const { store: s, keys } = await store();
    const write = (index: number, room: string): AppendInput => ({ ...input(`200-${index}`, { ...body('active', 'active'), status: { ...body('active', 'active').status, jobId: `w${index}` } }, [room]), jobId: `w${index}` });
    // 600 entries in two calls: the first fails on its first entry (a room whose history is not a sorted set).
    const writes = [write(0, 'broken:1'), ...Array.from({ length: 599 }, (_, index) => write(index + 1, 'document:1'))];
    await redis.set(keys.roomHistory('broken:1'), 'not a sorted set');
    const failed = await s.appendBatch('token-a', 'q', writes, { advanceTo: '200-599' });
    expect(failed.every((outcome) => outcome.record === 'failed')).toBe(true);
    expect((await s.cursorOf('document:1')).seq).toBe(0);
    expect(await redis.get(keys.queueCursor('q'))).toBeNull();
    await redis.del(keys.roomHistory('broken:1'));
    const retried = await s.appendBatch('token-a', 'q', writes, { advanceTo: '200-599' });
    expect(retried.every((outcome) => outcome.record === 'written')).toBe(true);
    expect((await s.cursorOf('document:1')).seq).toBe(599);
    expect(await redis.get(keys.queueCursor('q'))).toBe('200-599');
    // The failed call had begun on the broken room: its event is taken again, not skipped.
    expect(await s.lastEventOf('broken:1', 'q', 'w0')).toMatchObject({ status: { jobId: 'w0' } });
  });

  it('gives all four keys of a room their expiry, also when a subscriber created the room first', async () => {
    const { store: s, keys } = await store();
    await s.readRoom('document:1', undefined); // creates the room's cursor, with its expiry
    await s.append('token-a', input('100-1', body('active', 'active')));
    await s.append('token-a', input('100-2', body('completed', 'completed')));
    const room = [keys.roomMeta('document:1'), keys.roomHistory('document:1'), keys.roomJobs('document:1'), keys.roomJobIndex('document:1')];
    const ttls = await Promise.all(room.map((key) => redis.pttl(key)));
    // recordTtlMs and historyTtlMs are 60 s here: each key expires within a minute, none never (-1).
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(50_000);
    for (const ttl of ttls) expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("renews a room's expiry once it is nearer than the ttl less the slack, and not on every status", async () => {
    const { store: s, keys } = await store(); // ttl 60 s: the slack is 600 ms
    const room = [keys.roomMeta('document:1'), keys.roomHistory('document:1'), keys.roomJobs('document:1'), keys.roomJobIndex('document:1')];
    await s.append('token-a', input('100-1', body('active', 'active')));
    // Set apart from what the script would set: a status within the slack leaves the expiry as it is.
    for (const key of room) await redis.pexpire(key, 59_900);
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
    await redis.hset(keys.roomMeta('document:1'), 'expires', now + 59_900);
    await s.append('token-a', input('100-2', body('active', 'active')));
    for (const key of room) expect(await redis.pttl(key)).toBeLessThanOrEqual(59_900);
    // Nearer than the slack allows (as if 20 s had passed): all four keys get the full ttl again.
    for (const key of room) await redis.pexpire(key, 40_000);
    await redis.hset(keys.roomMeta('document:1'), 'expires', now + 40_000);
    await s.append('token-a', input('100-3', body('completed', 'completed')));
    for (const key of room) expect(await redis.pttl(key)).toBeGreaterThan(50_000);
  });

  it("gives a room's new snapshot and history their expiry when its cursor outlived them", async () => {
    const { store: s, keys } = await store();
    await s.append('token-a', input('100-1', body('active', 'active')));
    await redis.del(keys.roomHistory('document:1'), keys.roomJobs('document:1'), keys.roomJobIndex('document:1'));
    await s.append('token-a', input('100-2', body('completed', 'completed')));
    for (const key of [keys.roomHistory('document:1'), keys.roomJobs('document:1'), keys.roomJobIndex('document:1')]) {
      expect(await redis.pttl(key)).toBeGreaterThan(50_000);
    }
  });

  it.each([
    ['one Redis', undefined],
    ['a cluster', (key: string) => (key.includes('{user:') ? 1 : 0)],
  ])('appends an event to a room once when its job record was not written (%s)', async (_, slotOf) => {
    const { store: s, keys } = await store(slotOf);
    // The record's key is broken: the rooms are written, the record write fails.
    await redis.set(keys.job('q', 'j1'), 'not a hash');
    const failed = await s.append('token-a', input('100-1', body('active', 'active'), ['document:1', 'user:7']));
    expect(failed.record).toBe('failed');
    if (slotOf) expect(failed.cursors).toMatchObject([{ seq: 1 }, { seq: 1 }]);
    await redis.del(keys.job('q', 'j1'));
    if (!slotOf) {
      // One Redis: rooms and record go in one script, which an error stops after the rooms it wrote; the event is taken again.
      expect((await s.cursorOf('document:1')).seq).toBe(1);
    }
    // The batch is read again: the rooms skip the event, the record takes it.
    expect(await s.append('token-a', input('100-1', body('active', 'active'), ['document:1', 'user:7']))).toEqual({ record: 'written', cursors: [] });
    expect(await redis.hget(keys.job('q', 'j1'), 'ev')).toBe('100-1');
    expect(await s.append('token-a', input('100-2', body('completed', 'completed'), ['document:1', 'user:7']))).toMatchObject({ cursors: [{ seq: 2 }, { seq: 2 }] });
  });

  it.each([
    ['one Redis', undefined],
    ['a cluster', (key: string) => (key.includes('{user:') ? 1 : 0)],
  ])('writes nothing, not even to new empty rooms, once the lease is gone with lost data (%s)', async (_, slotOf) => {
    const { store: s, keys } = await store(slotOf);
    await redis.del(keys.queueLease('q')); // Redis lost its data while a batch was in flight
    expect(await s.append('token-a', input('100-1', body('active', 'active'), ['document:1', 'user:7']))).toEqual({ record: 'lease-lost', cursors: [] });
    expect(await redis.exists(keys.roomMeta('document:1'), keys.roomMeta('user:7'))).toBe(0);
  });

  it('refuses a node whose lease was taken over once the next holder wrote to the room (fencing)', async () => {
    const { store: s, keys } = await store();
    await redis.del(keys.queueLease('q'));
    const first = new QueueLease(redis, keys.queueLease('q'), keys.queueFence('q'), 60_000);
    const second = new QueueLease(redis, keys.queueLease('q'), keys.queueFence('q'), 60_000);
    const stale = (await first.tryAcquire('node-a'))!;
    expect(await second.tryAcquire('node-b')).toBeUndefined();
    await redis.del(keys.queueLease('q')); // node-a's lease ran out while it was paused
    const current = (await second.tryAcquire('node-b'))!;
    expect(Number(current.split(':')[0])).toBeGreaterThan(Number(stale.split(':')[0]));
    await s.append(current, input('100-1', body('completed', 'completed')));
    // node-a wakes up with a reconciliation (no event id to order it): nothing lands.
    expect(await s.append(stale, input(undefined, body('reconciled', 'active')))).toEqual({ record: 'lease-lost', cursors: [] });
    expect(await s.advanceCursor(stale, 'q', '100-1')).toBe(false);
    expect((await s.readRoom('document:1', undefined)).events.map((event) => event.status.state)).toEqual(['completed']);
  });

  it('gives each new lease a greater fence number, also when the clock is behind the last one', async () => {
    const { keys } = await store();
    await redis.del(keys.queueLease('q'));
    const lease = new QueueLease(redis, keys.queueLease('q'), keys.queueFence('q'), 60_000);
    await redis.set(keys.queueFence('q'), '9000000000000000'); // far ahead of Redis's clock in microseconds
    expect((await lease.tryAcquire('node-a'))?.split(':')[0]).toBe('9000000000000001');
    await lease.release();
    expect((await lease.tryAcquire('node-a'))?.split(':')[0]).toBe('9000000000000002');
  });

  it('keeps unfinished jobs in the open set and moves the stored position forward only', async () => {
    const { store: s, keys } = await store();
    await s.append('token-a', input('100-3', body('active', 'active')));
    expect(await redis.smembers(keys.queueOpenJobs('q'))).toEqual(['j1']);
    // The stored position moves once per batch, not per append.
    expect(await redis.get(keys.queueCursor('q'))).toBeNull();
    expect(await s.advanceCursor('token-a', 'q', '100-3')).toBe(true);
    expect(await s.advanceCursor('token-a', 'q', '100-1')).toBe(true);
    expect(await redis.get(keys.queueCursor('q'))).toBe('100-3');
    await s.append('token-a', input('100-4', body('completed', 'completed')));
    expect(await redis.smembers(keys.queueOpenJobs('q'))).toEqual([]);
  });

  it('records an unrouted incarnation without touching any room', async () => {
    const { store: s, keys } = await store();
    const result = await s.append('token-a', { ...input('100-1', undefined), route: undefined });
    expect(result).toEqual({ record: 'written', cursors: [] });
    expect(await redis.hget(keys.job('q', 'j1'), 'inc')).toBe('100-0');
    expect((await s.cursorOf('document:1')).seq).toBe(0);
  });
});
