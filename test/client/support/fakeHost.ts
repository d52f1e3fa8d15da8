import { vi } from 'vitest';
import type { JobState, ReplayRequest, StatusEvent, SubscribeRequest } from '../../../shared/index.js';
import type { LogInput } from '../../../client/eventLog.js';
import { RoomStore } from '../../../client/roomStore.js';
import type { RoomStoreHost } from '../../../client/roomStore.js';

/** A room store over a host whose requests wait until the test answers them: the client's room logic without a socket. */
export const ROOM = 'document:1';

export function ev(seq: number, jobId = 'j1', state: JobState = 'active', epoch = 'e1'): StatusEvent {
  return {
    room: ROOM,
    epoch,
    seq,
    event: 'active',
    status: { jobId, queue: 'q', incarnation: 'i1', state, attempt: 1, maxAttempts: 1, updatedAt: seq },
    at: Date.now(),
  };
}

interface Pending<T> {
  request: T;
  resolve(answer: unknown): void;
  reject(error: Error): void;
}

/** A host whose requests wait until the test answers them. */
export function fakeHost() {
  const subscribes: Array<Pending<SubscribeRequest>> = [];
  const replays: Array<Pending<ReplayRequest>> = [];
  const unsubscribes: Array<{ room: string }> = [];
  const logs: LogInput[] = [];
  const defer = <T>(list: Array<Pending<T>>, request: T) =>
    new Promise<unknown>((resolve, reject) => list.push({ request, resolve, reject }));
  const net = { connected: true };
  const host = {
    unsubscribeDelayMs: 1_000,
    gapGraceMs: 250,
    retryDelayMs: 500,
    retryDelayMaxMs: 10_000,
    isConnected: () => net.connected,
    subscribe: vi.fn((request: SubscribeRequest) => defer(subscribes, request)),
    replay: vi.fn((request: ReplayRequest) => defer(replays, request)),
    unsubscribe: vi.fn(async (request: { room: string }) => {
      unsubscribes.push(request);
      return { ok: true };
    }),
    log: (entry: LogInput) => void logs.push(entry),
    activate: vi.fn(),
    deactivate: vi.fn(),
  } satisfies RoomStoreHost;
  const kinds = () => logs.map((entry) => entry.kind);
  return { host, net, subscribes, replays, unsubscribes, logs, kinds };
}

export const snapshotAck = (seq: number, jobs: StatusEvent[] = [], extra: object = {}) => ({
  ok: true, room: ROOM, epoch: 'e1', seq, mode: 'snapshot', jobs, events: [], ...extra,
});
export const replayAck = (seq: number, events: StatusEvent[]) => ({ ok: true, room: ROOM, epoch: 'e1', seq, mode: 'replay', jobs: [], events });
/** Lets answered requests run their `.then` handlers. */
export const settle = () => vi.advanceTimersByTimeAsync(0);

/** A store with one handle, subscribed at `seq` with one job. */
export async function subscribedStore(seq = 3) {
  const fake = fakeHost();
  const store = new RoomStore(ROOM, fake.host);
  const release = store.acquire();
  fake.subscribes[0]!.resolve(snapshotAck(seq, [ev(seq, 'j1')]));
  await settle();
  return { ...fake, store, release };
}

