import { describe, expect, it, vi } from 'vitest';
import { computeBackoffMs } from '../../client/backoff.js';
import { ConnectionStore, TIMELINE_SIZE } from '../../client/connection.js';
import { JobcastClientError, isJobcastClientError } from '../../client/errors.js';
import { EventLog } from '../../client/eventLog.js';
import { clientDefaults, resolveClientOptions } from '../../client/options.js';

const clock = () => {
  let now = 1_000;
  return { now: () => now, tick: (ms: number) => void (now += ms) };
};

describe('ConnectionStore', () => {
  it('starts idle and records each transition in its timeline', () => {
    const time = clock();
    const store = new ConnectionStore({ now: time.now });
    expect(store.getSnapshot()).toEqual({ state: 'idle', attempt: 0, timeline: [] });
    store.setConnecting();
    time.tick(10);
    store.setConnected('polling');
    store.setTransport('websocket');
    store.setHello({ protocol: 1, nodeId: 'node-a', window: { historySize: 100, historyTtlMs: 60_000 } });
    expect(store.getSnapshot()).toMatchObject({
      state: 'connected',
      attempt: 0,
      transport: 'websocket',
      connectedAt: 1_010,
      nodeId: 'node-a',
      window: { historySize: 100, historyTtlMs: 60_000 },
    });
    store.setReconnecting({ reason: 'transport close' });
    store.setReconnecting({ reason: 'connect_error', attempt: 2, error: { code: 'TOKEN_EXPIRED', message: 'expired' } });
    const snapshot = store.getSnapshot();
    expect(snapshot).toMatchObject({ state: 'reconnecting', attempt: 2, error: { code: 'TOKEN_EXPIRED' }, nodeId: 'node-a' });
    expect(snapshot.transport).toBeUndefined();
    expect(snapshot.connectedAt).toBeUndefined();
    expect(snapshot.timeline).toEqual([
      { at: 1_000, state: 'connecting' },
      { at: 1_010, state: 'connected' },
      { at: 1_010, state: 'reconnecting', reason: 'transport close' },
      { at: 1_010, state: 'reconnecting', reason: 'connect_error', attempt: 2, code: 'TOKEN_EXPIRED' },
    ]);
  });

  it('clears the error and the attempt count on connect', () => {
    const store = new ConnectionStore();
    store.setReconnecting({ attempt: 3, error: { code: 'UNAVAILABLE', message: 'x' } });
    store.setConnected('websocket');
    expect(store.getSnapshot()).toMatchObject({ state: 'connected', attempt: 0 });
    expect(store.getSnapshot().error).toBeUndefined();
    expect(store.getSnapshot().reason).toBeUndefined();
  });

  it('keeps the same snapshot and does not notify when nothing changes', () => {
    const store = new ConnectionStore();
    const listener = vi.fn();
    store.subscribe(listener);
    store.setDisconnected({ reason: 'io client disconnect' });
    const snapshot = store.getSnapshot();
    store.setDisconnected({ reason: 'io client disconnect' });
    expect(store.getSnapshot()).toBe(snapshot);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('bounds the timeline', () => {
    const store = new ConnectionStore();
    for (let attempt = 1; attempt <= TIMELINE_SIZE + 20; attempt += 1) store.setReconnecting({ attempt });
    const { timeline } = store.getSnapshot();
    expect(timeline).toHaveLength(TIMELINE_SIZE);
    expect(timeline.at(-1)?.attempt).toBe(TIMELINE_SIZE + 20);
  });

  it('reports a throwing listener instead of failing the transition', () => {
    const errors: unknown[] = [];
    const store = new ConnectionStore({ onListenerError: (error) => errors.push(error) });
    const after = vi.fn();
    store.subscribe(() => {
      throw new Error('render failed');
    });
    store.subscribe(after);
    store.setConnecting();
    expect(errors).toEqual([new Error('render failed')]);
    expect(after).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().state).toBe('connecting');
  });
});

describe('EventLog', () => {
  it('keeps the last entries in order with increasing ids', () => {
    const log = new EventLog(3, () => 42);
    for (const room of ['a:1', 'a:2', 'a:3', 'a:4', 'a:5']) log.add({ kind: 'status', room });
    const entries = log.getSnapshot();
    expect(entries.map((entry) => entry.room)).toEqual(['a:3', 'a:4', 'a:5']);
    expect(entries.map((entry) => entry.id)).toEqual([3, 4, 5]);
    expect(entries[0]?.at).toBe(42);
  });

  it('returns the same array until an entry is added and notifies listeners', () => {
    const log = new EventLog(10);
    const listener = vi.fn();
    log.subscribe(listener);
    const empty = log.getSnapshot();
    expect(log.getSnapshot()).toBe(empty);
    log.add({ kind: 'connect' });
    expect(log.getSnapshot()).not.toBe(empty);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('keeps nothing with a size of 0', () => {
    const log = new EventLog(0);
    log.add({ kind: 'connect' });
    expect(log.getSnapshot()).toEqual([]);
  });
});

describe('computeBackoffMs', () => {
  it('doubles per attempt, stays within ±50 % and never exceeds the cap', () => {
    expect(computeBackoffMs(1, 500, 10_000, () => 0.5)).toBe(500);
    expect(computeBackoffMs(3, 500, 10_000, () => 0.5)).toBe(2_000);
    expect(computeBackoffMs(1, 500, 10_000, () => 0)).toBe(250);
    expect(computeBackoffMs(1, 500, 10_000, () => 1)).toBe(750);
    expect(computeBackoffMs(30, 500, 10_000, () => 1)).toBe(10_000);
    expect(computeBackoffMs(30, 500, 10_000, () => 0)).toBe(5_000);
  });
});

describe('resolveClientOptions', () => {
  it('fills defaults, lets undefined fall back to them and freezes the result', () => {
    const options = resolveClientOptions({ url: 'http://x', gapGraceMs: undefined, unsubscribeDelayMs: 1_000 });
    expect(options).toMatchObject({ ...clientDefaults, url: 'http://x', unsubscribeDelayMs: 1_000 });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('throws on a missing url or a bad duration', () => {
    expect(() => resolveClientOptions({ url: '' })).toThrow(/url/);
    expect(() => resolveClientOptions({ url: 'http://x', ackTimeoutMs: -1 })).toThrow(/ackTimeoutMs/);
    expect(() => resolveClientOptions({ url: 'http://x', logSize: 1.5 })).toThrow(/logSize/);
  });
});

describe('JobcastClientError', () => {
  it('wraps a wire error and converts back', () => {
    const error = JobcastClientError.from({ code: 'INVALID_ROOM', message: 'no such room', hint: 'did you mean document:1?' });
    expect(isJobcastClientError(error)).toBe(true);
    expect(isJobcastClientError(new Error('x'))).toBe(false);
    expect(error).toMatchObject({ name: 'JobcastClientError', code: 'INVALID_ROOM', hint: 'did you mean document:1?' });
    expect(error.toWire()).toEqual({ code: 'INVALID_ROOM', message: 'no such room', hint: 'did you mean document:1?' });
    expect(new JobcastClientError('TIMEOUT').message).toBe('The server did not answer in time.');
  });
});
