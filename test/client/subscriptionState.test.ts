import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomStore } from '../../client/roomStore.js';
import { SUBSCRIPTION_TRANSITIONS } from '../../client/subscriptionState.js';
import type { SubscriptionTransition } from '../../client/subscriptionState.js';
import { ROOM, ev, fakeHost, replayAck, settle, snapshotAck } from './support/fakeHost.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** A store whose every state change is recorded, with the snapshot each `state` event saw. */
function recordedStore() {
  const fake = fakeHost();
  const store = new RoomStore(ROOM, fake.host);
  const transitions: SubscriptionTransition[] = [];
  const seen: string[] = [];
  store.onState((transition) => {
    transitions.push(transition);
    seen.push(`${transition.to}/${store.getSnapshot().subscription}`);
  });
  const path = () => transitions.map((transition) => transition.to);
  return { ...fake, store, transitions, seen, path };
}

describe('the subscription state machine', () => {
  it('walks a whole life in named states, each reported after the snapshot shows it, along allowed edges only', async () => {
    const { store, net, subscribes, replays, transitions, seen, path } = recordedStore();
    net.connected = false;
    const release = store.acquire();
    expect(store.getSnapshot()).toMatchObject({ state: 'pending', subscription: 'waiting' });
    net.connected = true;
    store.handleConnected();
    subscribes[0]!.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'store down' } });
    await settle();
    expect(store.getSnapshot()).toMatchObject({ state: 'pending', subscription: 'retrying', error: { code: 'UNAVAILABLE' } });
    await vi.advanceTimersByTimeAsync(750);
    subscribes[1]!.resolve(snapshotAck(3, [ev(3)]));
    await settle();
    store.handleStatus(ev(6));
    await vi.advanceTimersByTimeAsync(250);
    expect(store.getSnapshot()).toMatchObject({ state: 'active', subscription: 'replaying' });
    replays[0]!.resolve({ ok: true, complete: true, events: [ev(4), ev(5)] });
    await settle();
    store.handleStatus(ev(1, 'j1', 'active', 'e2'));
    net.connected = false;
    store.handleDisconnected();
    net.connected = true;
    store.handleConnected();
    subscribes[3]!.resolve({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    await settle();
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(path()).toEqual([
      'waiting', 'subscribing', 'retrying', 'subscribing', 'subscribed', 'replaying', 'subscribed', 'subscribing', 'waiting', 'subscribing', 'rejected', 'closed',
    ]);
    expect(seen.every((entry) => entry.split('/')[0] === entry.split('/')[1])).toBe(true);
    for (const { from, to } of transitions) expect(SUBSCRIPTION_TRANSITIONS[from], `${from} → ${to}`).toContain(to);
    expect(transitions.find((transition) => transition.to === 'rejected')).toMatchObject({ code: 'FORBIDDEN', reason: 'no' });
    expect(store.getTimeline().map((transition) => transition.to)).toEqual(path());
  });

  it('ignores an answer meant for a state it has left', async () => {
    const { store, subscribes, net } = recordedStore();
    store.acquire();
    net.connected = false;
    store.handleDisconnected();
    net.connected = true;
    store.handleConnected();
    subscribes[0]!.resolve(snapshotAck(9, [ev(9, 'stale')]));
    await settle();
    expect(store.getSnapshot()).toMatchObject({ subscription: 'subscribing', seq: 0, jobs: {} });
    subscribes[1]!.resolve(snapshotAck(2, [ev(2, 'fresh')]));
    await settle();
    expect(store.getSnapshot()).toMatchObject({ subscription: 'subscribed', seq: 2, jobs: { 'q/fresh': { state: 'active' } } });
  });
});

describe('the subscription and the heartbeat', () => {
  async function subscribed() {
    const recorded = recordedStore();
    recorded.store.acquire();
    recorded.subscribes[0]!.resolve(snapshotAck(3, [ev(3)]));
    await settle();
    const entry = recorded.store.heartbeatEntry()!;
    return { ...recorded, entry };
  }

  it('offers its cursor to the heartbeat only while subscribed', async () => {
    const { store, entry } = await subscribed();
    expect(entry.entry).toEqual({ room: ROOM, epoch: 'e1', seq: 3 });
    store.handleStatus(ev(1, 'j1', 'active', 'e2'));
    expect(store.heartbeatEntry()).toBeUndefined();
  });

  it('replays up to the server cursor when the server is ahead and no live event fills the gap', async () => {
    const { store, entry, replays, kinds } = await subscribed();
    const seen: number[] = [];
    store.onEvent((event) => seen.push(event.seq));
    store.handleHeartbeat({ room: ROOM, subscribed: true, epoch: 'e1', seq: 5 }, entry.token);
    await vi.advanceTimersByTimeAsync(250);
    expect(replays[0]!.request).toEqual({ room: ROOM, epoch: 'e1', after: 3, to: 5 });
    replays[0]!.resolve({ ok: true, complete: true, events: [ev(4), ev(5, 'j1', 'completed')] });
    await settle();
    expect(seen).toEqual([4, 5]);
    expect(store.getSnapshot()).toMatchObject({
      subscription: 'subscribed', seq: 5, jobs: { 'q/j1': { state: 'completed' } },
      gaps: { detected: 1, replayed: 1, ranges: [{ from: 4, to: 5, outcome: 'replayed' }] },
    });
    expect(kinds()).toEqual(expect.arrayContaining(['gap', 'replayed']));
  });

  it('counts nothing when the live events the server already counted arrive within the grace period', async () => {
    const { store, entry, replays } = await subscribed();
    store.handleHeartbeat({ room: ROOM, subscribed: true, epoch: 'e1', seq: 4 }, entry.token);
    store.handleStatus(ev(4));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(replays).toEqual([]);
    expect(store.getSnapshot().gaps.detected).toBe(0);
  });

  it('resubscribes with its cursor when the server no longer has the subscription', async () => {
    const { store, entry, subscribes } = await subscribed();
    store.handleHeartbeat({ room: ROOM, subscribed: false }, entry.token);
    expect(subscribes[1]!.request).toEqual({ room: ROOM, since: { epoch: 'e1', seq: 3 } });
    subscribes[1]!.resolve(replayAck(4, [ev(4, 'j1', 'completed')]));
    await settle();
    expect(store.getSnapshot()).toMatchObject({ subscription: 'subscribed', seq: 4, jobs: { 'q/j1': { state: 'completed' } } });
  });

  it('resyncs when the server cursor is of another epoch or gone', async () => {
    for (const answer of [{ epoch: 'e2', seq: 1 }, {}]) {
      const { store, entry, subscribes } = await subscribed();
      store.handleHeartbeat({ room: ROOM, subscribed: true, ...answer }, entry.token);
      expect(subscribes[1]!.request).toEqual({ room: ROOM });
      expect(store.getSnapshot().gaps).toMatchObject({ detected: 1, resynced: 1 });
    }
  });

  it('ignores an answer to a heartbeat sent before the subscription changed', async () => {
    const { store, entry, subscribes, replays } = await subscribed();
    store.handleStatus(ev(1, 'j1', 'active', 'e2'));
    subscribes[1]!.resolve({ ...snapshotAck(1, [ev(1, 'j1', 'active', 'e2')]), epoch: 'e2' });
    await settle();
    store.handleHeartbeat({ room: ROOM, subscribed: true, epoch: 'e1', seq: 8 }, entry.token);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(subscribes).toHaveLength(2);
    expect(replays).toEqual([]);
    expect(store.getSnapshot()).toMatchObject({ subscription: 'subscribed', epoch: 'e2', seq: 1 });
  });
});
