import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../client/heartbeat.js';
import type { HeartbeatDeps, HeartbeatEntry } from '../../client/heartbeat.js';
import type { LogInput } from '../../client/eventLog.js';
import type { HeartbeatRequest, HeartbeatRoomState } from '../../shared/index.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** A heartbeat whose sends wait until the test answers them. */
function setup(entries: HeartbeatEntry[] = []) {
  const sent: Array<{ request: HeartbeatRequest; answer(raw: unknown): void }> = [];
  const dead = vi.fn();
  const logs: LogInput[] = [];
  const deps: HeartbeatDeps = {
    intervalMs: 2_000,
    timeoutMs: 2_500,
    entries: () => entries,
    send: (request) => new Promise((resolve) => sent.push({ request, answer: resolve })),
    dead,
    log: (entry) => void logs.push(entry),
  };
  const heartbeat = new Heartbeat(deps);
  return { heartbeat, sent, dead, logs };
}

const ok = (rooms: HeartbeatRoomState[] = []) => ({ ok: true, at: Date.now(), rooms });

describe('Heartbeat', () => {
  it('beats every interval after each answer and hands each room its cursor', async () => {
    const delivered: HeartbeatRoomState[] = [];
    const entry: HeartbeatEntry = { entry: { room: 'document:1', epoch: 'e1', seq: 3 }, deliver: (answer) => delivered.push(answer) };
    const { heartbeat, sent, dead } = setup([entry]);
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.map((beat) => beat.request)).toEqual([{ rooms: [{ room: 'document:1', epoch: 'e1', seq: 3 }] }]);
    sent[0]!.answer(ok([{ room: 'document:1', subscribed: true, epoch: 'e1', seq: 5 }, { room: 'other:1', subscribed: false }]));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    expect(delivered).toEqual([{ room: 'document:1', subscribed: true, epoch: 'e1', seq: 5 }]);
    expect(dead).not.toHaveBeenCalled();
    heartbeat.stop();
  });

  it('calls the connection dead when neither the answer nor anything else arrives in time', async () => {
    const { heartbeat, dead } = setup();
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(2_000 + 2_499);
    expect(dead).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(dead).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(dead).toHaveBeenCalledTimes(1);
  });

  it('counts other traffic as alive when the answer is slow', async () => {
    const { heartbeat, sent, dead, logs } = setup();
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(2_000 + 1_000);
    heartbeat.heard();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(dead).not.toHaveBeenCalled();
    expect(logs.map((entry) => entry.detail)).toEqual(['no answer in 2500 ms, but other traffic arrived']);
    sent[0]!.answer(ok());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent).toHaveLength(2);
  });

  it('probes once more before calling the connection dead when its own timer ran late (the process slept)', async () => {
    const { heartbeat, sent, dead } = setup();
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(2_000);
    // The process is frozen for 10 s: the clock jumps, and the deadline fires late.
    vi.setSystemTime(Date.now() + 10_000);
    await vi.advanceTimersByTimeAsync(2_500);
    expect(dead).not.toHaveBeenCalled();
    expect(sent).toHaveLength(2);
    sent[1]!.answer(ok());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent).toHaveLength(3);
    expect(dead).not.toHaveBeenCalled();
  });

  it('ignores answers that arrive after it stopped, and beats at once when asked', async () => {
    const { heartbeat, sent, dead } = setup();
    heartbeat.start();
    heartbeat.beatNow();
    expect(sent).toHaveLength(1);
    heartbeat.beatNow(); // an answer is still awaited: no second heartbeat
    expect(sent).toHaveLength(1);
    heartbeat.stop();
    sent[0]!.answer(ok());
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sent).toHaveLength(1);
    expect(dead).not.toHaveBeenCalled();
  });

  it('splits many rooms into heartbeats under the server message limit', async () => {
    const entries = Array.from({ length: 250 }, (_, index) => ({
      entry: { room: `document:${'x'.repeat(40)}${index}`, epoch: 'e'.repeat(20), seq: index },
      deliver: () => undefined,
    }));
    const { heartbeat, sent } = setup(entries);
    heartbeat.start();
    heartbeat.beatNow();
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.flatMap((beat) => beat.request.rooms)).toHaveLength(250);
    for (const beat of sent) {
      expect(JSON.stringify(beat.request).length).toBeLessThan(4_096);
      expect(beat.request.rooms.length).toBeLessThanOrEqual(100);
    }
    heartbeat.stop();
  });

  it('logs a malformed or refused answer and still counts it as alive', async () => {
    const { heartbeat, sent, dead, logs } = setup();
    heartbeat.start();
    heartbeat.beatNow();
    sent[0]!.answer({ ok: 'yes' });
    await vi.advanceTimersByTimeAsync(2_000);
    sent[1]!.answer({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent).toHaveLength(3);
    expect(dead).not.toHaveBeenCalled();
    expect(logs.map((entry) => entry.kind)).toEqual(['invalid-message', 'heartbeat']);
    heartbeat.stop();
  });
});
