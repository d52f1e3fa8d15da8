import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { createKeys } from '../../server/store/keys.js';
import { RoomStore, type AppendInput, type EventBody } from '../../server/store/roomStore.js';
import { uniqueName } from '../support/stack.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

async function store() {
  const keys = createKeys(uniqueName('store'));
  await redis.set(keys.queueLease('q'), 'token-a');
  return { keys, store: new RoomStore(redis, keys, { historySize: 100, historyTtlMs: 60_000, snapshotJobs: 10, recordTtlMs: 60_000, maxReplay: 1_000 }) };
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
    expect(first).toMatchObject({ kind: 'appended', cursors: [{ room: 'document:1', seq: 1 }, { room: 'user:7', seq: 1 }] });
    expect(second).toMatchObject({ kind: 'appended', cursors: [{ room: 'document:1', seq: 2 }, { room: 'user:7', seq: 2 }] });
    expect((await s.readRoom('document:1', undefined)).events.map((event) => event.status.state)).toEqual(['completed']);
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
    expect(await s.append('token-a', input('100-2', body('active', 'active')))).toEqual({ kind: 'duplicate' });
    expect(await s.append('token-a', input('100-1', body('added', 'waiting')))).toEqual({ kind: 'duplicate' });
    expect((await s.cursorOf('document:1')).seq).toBe(1);
  });

  it('applies a batch of writes in order, across calls, each with its own outcome', async () => {
    const { store: s, keys } = await store();
    const other = (eventId: string, b: EventBody, jobId: string, rooms: string[]): AppendInput => ({ ...input(eventId, { ...b, status: { ...b.status, jobId } }, rooms), jobId });
    // 250 writes: three script calls. Job j1 twice (the second a duplicate of the first), then 247 jobs in two rooms.
    const writes = [
      input('100-1', body('active', 'active'), ['document:1', 'user:7']),
      input('100-1', body('active', 'active'), ['document:1', 'user:7']),
      ...Array.from({ length: 248 }, (_, index) => other(`100-${index + 2}`, body('active', 'active'), `k${index}`, index % 2 ? ['document:1'] : ['user:7'])),
    ];
    const outcomes = await s.appendBatch('token-a', 'q', writes);
    expect(outcomes).toHaveLength(250);
    expect(outcomes[0]).toMatchObject({ kind: 'appended', cursors: [{ room: 'document:1', seq: 1 }, { room: 'user:7', seq: 1 }] });
    expect(outcomes[1]).toEqual({ kind: 'duplicate' });
    const seqs = (room: string) => outcomes.flatMap((outcome) => (outcome.kind === 'appended' ? outcome.cursors.filter((cursor) => cursor.room === room).map((cursor) => cursor.seq) : []));
    expect(seqs('document:1')).toEqual(Array.from({ length: 125 }, (_, index) => index + 1));
    expect(seqs('user:7')).toEqual(Array.from({ length: 125 }, (_, index) => index + 1));
    expect((await s.cursorOf('document:1')).seq).toBe(125);
    expect(await redis.scard(keys.queueOpenJobs('q'))).toBe(249);
    await redis.set(keys.queueLease('q'), 'token-b');
    expect(await s.appendBatch('token-a', 'q', [input('100-900', body('completed', 'completed'))])).toEqual([{ kind: 'lease-lost' }]);
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

  it('writes nothing once another node holds the lease (fencing)', async () => {
    const { store: s, keys } = await store();
    await redis.set(keys.queueLease('q'), 'token-b');
    expect(await s.append('token-a', input('100-1', body('active', 'active')))).toEqual({ kind: 'lease-lost' });
    expect(await s.advanceCursor('token-a', 'q', '100-1')).toBe(false);
    expect((await s.cursorOf('document:1')).seq).toBe(0);
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
    expect(result).toEqual({ kind: 'appended', cursors: [] });
    expect(await redis.hget(keys.job('q', 'j1'), 'inc')).toBe('100-0');
    expect((await s.cursorOf('document:1')).seq).toBe(0);
  });
});
