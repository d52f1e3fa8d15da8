import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomStore } from '../../client/roomStore.js';
import { ROOM, ev, fakeHost, replayAck, settle, snapshotAck, subscribedStore } from './support/fakeHost.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('RoomStore reference counting', () => {
  it('shares one server subscription between handles and unsubscribes after the last one, after the delay', async () => {
    const { host, store, unsubscribes, release } = await subscribedStore();
    const second = store.acquire();
    expect(host.subscribe).toHaveBeenCalledTimes(1);
    release();
    second();
    await vi.advanceTimersByTimeAsync(999);
    expect(unsubscribes).toEqual([]);
    expect(store.getSnapshot().state).toBe('active');
    await vi.advanceTimersByTimeAsync(1);
    expect(unsubscribes).toEqual([{ room: ROOM }]);
    expect(store.getSnapshot().state).toBe('closed');
    expect(store.getSnapshot().jobs).toEqual({});
    expect(host.deactivate).toHaveBeenCalledWith(store);
  });

  it('keeps the subscription when re-acquired within the delay (StrictMode remount)', async () => {
    const { host, store, unsubscribes, release } = await subscribedStore();
    release();
    await vi.advanceTimersByTimeAsync(500);
    const again = store.acquire();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(unsubscribes).toEqual([]);
    expect(host.subscribe).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().state).toBe('active');
    again();
  });

  it('counts store listeners as references and ignores a second release of the same handle', async () => {
    const { host, store, unsubscribes, release } = await subscribedStore();
    const stop = store.subscribe(() => undefined);
    release();
    release();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(unsubscribes).toEqual([]);
    expect(store.refCount).toBe(1);
    stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(unsubscribes).toHaveLength(1);
    expect(host.subscribe).toHaveBeenCalledTimes(1);
  });

  it('undoes a subscribe that was still in flight when the room was released', async () => {
    const { host, subscribes, unsubscribes } = fakeHost();
    const store = new RoomStore(ROOM, host);
    store.acquire()();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(unsubscribes).toEqual([]);
    subscribes[0]!.resolve(snapshotAck(1));
    await settle();
    expect(unsubscribes).toEqual([{ room: ROOM }]);
    expect(store.getSnapshot().state).toBe('closed');
  });

  it('still unsubscribes a room released during a resubscribe, whatever the answer', async () => {
    const { store, subscribes, unsubscribes, release } = await subscribedStore(3);
    store.handleStatus(ev(1, 'j1', 'active', 'e2')); // epoch change: a resubscribe is now in flight
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(unsubscribes).toEqual([]);
    subscribes[1]!.resolve({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    await settle();
    expect(unsubscribes).toEqual([{ room: ROOM }]);
  });

  it('refuses locally only a name too long to send, and sends a name that breaks the grammar so the server can hint', async () => {
    const { host, kinds } = fakeHost();
    const tooLong = new RoomStore(`document:${'x'.repeat(1_100)}`, host);
    tooLong.acquire();
    await settle();
    expect(host.subscribe).not.toHaveBeenCalled();
    expect(tooLong.getSnapshot()).toMatchObject({ state: 'rejected', subscription: 'rejected', error: { code: 'INVALID_ROOM' } });
    expect(kinds()).toEqual(['rejected']);

    const nearMiss = fakeHost();
    const store = new RoomStore('document_42', nearMiss.host);
    const states: string[] = [];
    store.acquire();
    const handleState = store.onState((transition) => states.push(`${transition.to}${transition.code ? ` ${transition.code}` : ''}`));
    expect(nearMiss.subscribes[0]!.request).toEqual({ room: 'document_42' });
    const error = { code: 'INVALID_ROOM', message: 'Room names look like "type:id".', hint: 'Did you mean "document:42"?' };
    nearMiss.subscribes[0]!.resolve({ ok: false, error });
    await settle();
    expect(store.getSnapshot()).toMatchObject({ state: 'rejected', error });
    expect(states).toEqual(['rejected INVALID_ROOM']);
    handleState();
  });
});

describe('RoomStore delivery', () => {
  it('holds live events that beat the ack and applies only those above its seq', async () => {
    const { host, subscribes } = fakeHost();
    const store = new RoomStore(ROOM, host);
    const seen: number[] = [];
    store.acquire();
    store.onEvent((event) => seen.push(event.seq));
    store.handleStatus(ev(3, 'j1'));
    store.handleStatus(ev(4, 'j1', 'completed'));
    expect(store.getSnapshot().state).toBe('pending');
    subscribes[0]!.resolve(snapshotAck(3, [ev(3, 'j1')]));
    await settle();
    expect(seen).toEqual([4]);
    expect(store.getSnapshot()).toMatchObject({ state: 'active', seq: 4, jobs: { 'q/j1': { state: 'completed' } } });
  });

  it('drops duplicates, counts them and keeps the same snapshot object', async () => {
    const { store, kinds } = await subscribedStore(3);
    const before = store.getSnapshot();
    store.handleStatus(ev(3));
    expect(store.getSnapshot()).toBe(before);
    expect(store.getCounters()).toEqual({ received: 1, applied: 0, duplicates: 1 });
    expect(kinds()).toContain('duplicate');
  });

  it('does not count a gap that fills by itself within the grace period', async () => {
    const { store, replays } = await subscribedStore(3);
    store.handleStatus(ev(5));
    await vi.advanceTimersByTimeAsync(200);
    store.handleStatus(ev(4));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(replays).toEqual([]);
    expect(store.getSnapshot()).toMatchObject({ seq: 5, gaps: { detected: 0, replayed: 0, resynced: 0, ranges: [] } });
  });

  it('asks for a replay after the grace period and counts the gap as replayed', async () => {
    const { store, replays, kinds } = await subscribedStore(3);
    const seen: number[] = [];
    store.onEvent((event) => seen.push(event.seq));
    store.handleStatus(ev(6, 'j2'));
    await vi.advanceTimersByTimeAsync(249);
    expect(replays).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(replays[0]!.request).toEqual({ room: ROOM, epoch: 'e1', after: 3, to: 5 });
    expect(store.getSnapshot().gaps).toMatchObject({ detected: 1, ranges: [{ from: 4, to: 5, outcome: 'pending' }] });
    replays[0]!.resolve({ ok: true, complete: true, events: [ev(4), ev(5, 'j1', 'completed')] });
    await settle();
    expect(seen).toEqual([4, 5, 6]);
    expect(store.getSnapshot()).toMatchObject({
      seq: 6,
      jobs: { 'q/j1': { state: 'completed' }, 'q/j2': { state: 'active' } },
      gaps: { detected: 1, replayed: 1, resynced: 0, ranges: [{ from: 4, to: 5, outcome: 'replayed' }] },
    });
    expect(kinds()).toEqual(expect.arrayContaining(['gap', 'replayed']));
  });

  it('counts no gap when a heartbeat saw the server ahead but the events were only in flight', async () => {
    const { store, replays } = await subscribedStore(3);
    const { token } = store.heartbeatEntry()!;
    store.handleHeartbeat({ room: ROOM, subscribed: true, epoch: 'e1', seq: 5 }, token);
    await vi.advanceTimersByTimeAsync(250);
    expect(replays[0]!.request).toEqual({ room: ROOM, epoch: 'e1', after: 3, to: 5 });
    // The live events land before the replay answer, which then brings nothing new.
    store.handleStatus(ev(4));
    store.handleStatus(ev(5, 'j1', 'completed'));
    replays[0]!.resolve({ ok: true, complete: true, events: [ev(4), ev(5, 'j1', 'completed')] });
    await settle();
    expect(store.getSnapshot()).toMatchObject({ seq: 5, gaps: { detected: 0, replayed: 0, resynced: 0 } });
  });

  it('counts a heartbeat-found gap once its replay brings events that never arrived', async () => {
    const { store, replays } = await subscribedStore(3);
    store.handleHeartbeat({ room: ROOM, subscribed: true, epoch: 'e1', seq: 5 }, store.heartbeatEntry()!.token);
    await vi.advanceTimersByTimeAsync(250);
    replays[0]!.resolve({ ok: true, complete: true, events: [ev(4), ev(5, 'j1', 'completed')] });
    await settle();
    expect(store.getSnapshot()).toMatchObject({ seq: 5, gaps: { detected: 1, replayed: 1, ranges: [{ from: 4, to: 5, outcome: 'replayed' }] } });
  });

  it.each([
    ['an incomplete replay', { ok: true, complete: false, events: [] }],
    ['a refused replay', { ok: false, error: { code: 'UNAVAILABLE', message: 'down' } }],
    ['a malformed replay ack', { nope: true }],
  ])('resyncs with a fresh snapshot after %s', async (_, answer) => {
    const { store, replays, subscribes } = await subscribedStore(3);
    store.handleStatus(ev(6));
    await vi.advanceTimersByTimeAsync(250);
    replays[0]!.resolve(answer);
    await settle();
    expect(subscribes).toHaveLength(2);
    expect(subscribes[1]!.request).toEqual({ room: ROOM });
    subscribes[1]!.resolve(snapshotAck(9, [ev(9, 'j9', 'completed')]));
    await settle();
    expect(store.getSnapshot()).toMatchObject({
      state: 'active',
      seq: 9,
      jobs: { 'q/j9': { state: 'completed' } },
      gaps: { detected: 1, replayed: 0, resynced: 1, ranges: [{ from: 4, to: 5, outcome: 'resynced' }] },
    });
    expect(store.getSnapshot().jobs['q/j1']).toBeUndefined();
  });

  it('resyncs when a live event comes from another epoch', async () => {
    const { store, subscribes } = await subscribedStore(3);
    store.handleStatus(ev(1, 'j1', 'active', 'e2'));
    expect(subscribes[1]!.request).toEqual({ room: ROOM });
    expect(store.getSnapshot().gaps).toMatchObject({ detected: 1, resynced: 1, ranges: [] });
  });

  it('catches a throwing listener, logs it and still calls the others', async () => {
    const { store, logs } = await subscribedStore(3);
    const seen: number[] = [];
    store.onEvent(() => {
      throw new Error('boom');
    });
    store.onEvent((event) => seen.push(event.seq));
    store.subscribe(() => {
      throw new Error('store boom');
    });
    store.handleStatus(ev(4));
    expect(seen).toEqual([4]);
    expect(logs.filter((entry) => entry.kind === 'listener-error').map((entry) => entry.message)).toEqual(['store boom', 'boom']);
  });
});

describe('RoomStore and a final failure', () => {
  it('settles on one `failed` delivery without waiting for a `retries-exhausted` after it', async () => {
    const { store, subscribes } = await subscribedStore(3);
    const seen: string[] = [];
    store.onEvent((event) => seen.push(`${event.event}:${event.status.state}`));
    const retrying = ev(4, 'j1', 'failed');
    store.handleStatus({ ...retrying, event: 'retrying', status: { ...retrying.status, willRetry: true, attempt: 1, maxAttempts: 2 } });
    const final = ev(5, 'j1', 'failed');
    store.handleStatus({ ...final, event: 'failed', status: { ...final.status, willRetry: false, attempt: 2, maxAttempts: 2 } });
    expect(seen).toEqual(['retrying:failed', 'failed:failed']);
    expect(store.getSnapshot()).toMatchObject({ seq: 5, jobs: { 'q/j1': { state: 'failed', willRetry: false, attempt: 2 } } });
    // Finished: an epoch change keeps it as it is instead of turning it into `unknown`.
    store.handleStatus(ev(1, 'other', 'active', 'e2'));
    subscribes[1]!.resolve({ ...snapshotAck(1, [ev(1, 'other', 'active', 'e2')]), epoch: 'e2' });
    await settle();
    expect(store.getSnapshot().jobs['q/j1']).toMatchObject({ state: 'failed', attempt: 2, carriedOver: { fromEpoch: 'e1', toEpoch: 'e2' } });
  });
});

describe('RoomStore recovery', () => {
  it('resubscribes with its cursor after a reconnect and counts a replayed gap', async () => {
    const { net, store, subscribes } = await subscribedStore(3);
    net.connected = false;
    store.handleDisconnected();
    expect(store.getSnapshot().state).toBe('pending');
    net.connected = true;
    store.handleConnected();
    expect(subscribes[1]!.request).toEqual({ room: ROOM, since: { epoch: 'e1', seq: 3 } });
    subscribes[1]!.resolve(replayAck(5, [ev(4), ev(5, 'j1', 'completed')]));
    await settle();
    expect(store.getSnapshot()).toMatchObject({
      state: 'active',
      seq: 5,
      jobs: { 'q/j1': { state: 'completed' } },
      gaps: { detected: 1, replayed: 1, ranges: [{ from: 4, to: 5, outcome: 'replayed' }] },
    });
  });

  it('counts nothing when a reconnect missed nothing', async () => {
    const { host, store, subscribes } = await subscribedStore(3);
    store.handleDisconnected();
    store.handleConnected();
    subscribes[1]!.resolve(replayAck(3, []));
    await settle();
    expect(store.getSnapshot().gaps.detected).toBe(0);
    expect(host.subscribe).toHaveBeenCalledTimes(2);
  });

  it('counts a resync when the server answers a cursor with a fresh snapshot', async () => {
    const { store, subscribes } = await subscribedStore(3);
    store.handleDisconnected();
    store.handleConnected();
    subscribes[1]!.resolve(snapshotAck(50, [], { resync: 'history-exceeded' }));
    await settle();
    expect(store.getSnapshot()).toMatchObject({
      seq: 50,
      jobs: {},
      gaps: { detected: 1, resynced: 1, ranges: [{ from: 4, to: 50, outcome: 'resynced', reason: 'history-exceeded' }] },
    });
  });

  it('settles a gap left pending by a disconnect with the reconnect answer', async () => {
    const { store, subscribes, replays } = await subscribedStore(3);
    store.handleStatus(ev(6));
    store.handleDisconnected();
    expect(store.getSnapshot().gaps).toMatchObject({ detected: 1, ranges: [{ from: 4, to: 5, outcome: 'pending' }] });
    store.handleConnected();
    expect(subscribes[1]!.request.since).toEqual({ epoch: 'e1', seq: 3 });
    subscribes[1]!.resolve(replayAck(6, [ev(4), ev(5), ev(6)]));
    await settle();
    expect(replays).toEqual([]);
    expect(store.getSnapshot()).toMatchObject({ seq: 6, gaps: { detected: 1, replayed: 1, resynced: 0 } });
  });

  it('marks the room rejected on a refusal, clears its jobs and tries again on reconnect', async () => {
    const { store, subscribes } = await subscribedStore(3);
    store.handleDisconnected();
    store.handleConnected();
    subscribes[1]!.resolve({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    await settle();
    expect(store.getSnapshot()).toMatchObject({ state: 'rejected', error: { code: 'FORBIDDEN' }, jobs: {} });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(subscribes).toHaveLength(2);
    store.handleDisconnected();
    store.handleConnected();
    expect(subscribes[2]!.request).toEqual({ room: ROOM });
    expect(store.getSnapshot().state).toBe('pending');
  });

  it('stays pending and retries with backoff after a retryable refusal or a timeout', async () => {
    const { host, subscribes } = fakeHost();
    const store = new RoomStore(ROOM, host);
    store.acquire();
    subscribes[0]!.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'store down' } });
    await settle();
    expect(store.getSnapshot()).toMatchObject({ state: 'pending', error: { code: 'UNAVAILABLE' } });
    await vi.advanceTimersByTimeAsync(750); // first retry: 500 ms ± 50 %
    expect(subscribes).toHaveLength(2);
    subscribes[1]!.reject(new Error('operation has timed out'));
    await settle();
    expect(store.getSnapshot()).toMatchObject({ state: 'pending', error: { code: 'TIMEOUT' } });
    await vi.advanceTimersByTimeAsync(1_500); // second retry: 1000 ms ± 50 %
    expect(subscribes).toHaveLength(3);
    subscribes[2]!.resolve(snapshotAck(1));
    await settle();
    expect(store.getSnapshot().state).toBe('active');
    expect(store.getSnapshot().error).toBeUndefined();
  });

  it('logs a malformed subscribe ack as an invalid message and retries', async () => {
    const { host, subscribes, kinds } = fakeHost();
    const store = new RoomStore(ROOM, host);
    store.acquire();
    subscribes[0]!.resolve({ ok: true, room: ROOM, seq: 'three' });
    await settle();
    expect(kinds()).toContain('invalid-message');
    await vi.advanceTimersByTimeAsync(750);
    expect(subscribes).toHaveLength(2);
  });

  it('becomes rejected with the revocation code and ignores later events', async () => {
    const { store } = await subscribedStore(3);
    store.handleRevoked({ room: ROOM, code: 'REVOKED', message: 'access withdrawn' });
    store.handleStatus(ev(4));
    expect(store.getSnapshot()).toMatchObject({ state: 'rejected', error: { code: 'REVOKED', message: 'access withdrawn' }, seq: 0 });
    expect(store.getCounters().applied).toBe(0);
  });
});
