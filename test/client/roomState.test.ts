import { describe, expect, it } from 'vitest';
import type { JobState, StatusEvent, SubscribeOk } from '../../shared/index.js';
import {
  applyLiveEvent,
  applyReplay,
  applySubscribeAck,
  createRoomState,
  highestSeq,
  missingRange,
} from '../../client/roomState.js';
import type { RoomState } from '../../client/roomState.js';

const ROOM = 'document:1';

function ev(seq: number, jobId = 'j1', state: JobState = 'active', epoch = 'e1'): StatusEvent {
  return {
    room: ROOM,
    epoch,
    seq,
    event: state === 'completed' ? 'completed' : 'active',
    status: { jobId, queue: 'q', incarnation: 'i1', state, attempt: 1, maxAttempts: 1, updatedAt: seq },
    at: 1_000 + seq,
  };
}

function snapshotAck(seq: number, jobs: StatusEvent[] = [], epoch = 'e1'): SubscribeOk {
  return { ok: true, room: ROOM, epoch, seq, mode: 'snapshot', jobs, events: [] };
}

function replayAck(seq: number, events: StatusEvent[], epoch = 'e1'): SubscribeOk {
  return { ok: true, room: ROOM, epoch, seq, mode: 'replay', jobs: [], events };
}

/** A state subscribed at `seq` in epoch e1 with no jobs. */
const at = (seq: number): RoomState => applySubscribeAck(createRoomState(), snapshotAck(seq)).state;

describe('roomState', () => {
  it('replaces the state with a snapshot ack, keeping the latest event of each job', () => {
    const result = applySubscribeAck(at(9), snapshotAck(5, [ev(4, 'a', 'completed'), ev(2, 'a'), ev(3, 'b')], 'e2'));
    expect(result.outcome).toBe('snapshot');
    expect(result.state.epoch).toBe('e2');
    expect(result.state.seq).toBe(5);
    expect(result.state.jobs.a?.state).toBe('completed');
    expect(result.state.jobs.b?.state).toBe('active');
    expect(result.applied).toEqual([]);
  });

  it('applies a live event that follows the snapshot and returns new objects', () => {
    const before = at(3);
    const result = applyLiveEvent(before, ev(4, 'a', 'completed'));
    expect(result.outcome).toBe('applied');
    expect(result.applied.map((e) => e.seq)).toEqual([4]);
    expect(result.state.seq).toBe(4);
    expect(result.state.jobs.a?.state).toBe('completed');
    expect(result.state).not.toBe(before);
    expect(result.state.jobs).not.toBe(before.jobs);
    expect(before.seq).toBe(3);
    expect(before.jobs).toEqual({});
  });

  it('applies only the early events above the ack seq, in seq order', () => {
    const early = [ev(5, 'a', 'completed'), ev(2, 'a'), ev(3, 'a'), ev(4, 'b')];
    const result = applySubscribeAck(createRoomState(), snapshotAck(3, [ev(3, 'a')]), early);
    expect(result.applied.map((e) => e.seq)).toEqual([4, 5]);
    expect(result.state.seq).toBe(5);
    expect(result.state.jobs.a?.state).toBe('completed');
    expect(result.state.jobs.b?.state).toBe('active');
  });

  it('drops early events of another epoch than the ack', () => {
    const early = [ev(4, 'a', 'active', 'old'), ev(2, 'b', 'active', 'old'), ev(4, 'c')];
    const result = applySubscribeAck(createRoomState(), snapshotAck(3), early);
    expect(result.state.seq).toBe(4);
    expect(Object.keys(result.state.jobs)).toEqual(['c']);
    expect(result.state.pending).toEqual([]);
  });

  it('buffers early events past a gap after the ack', () => {
    const result = applySubscribeAck(createRoomState(), snapshotAck(3), [ev(6)]);
    expect(result.state.seq).toBe(3);
    expect(missingRange(result.state)).toEqual({ from: 4, to: 5 });
  });

  it('drops duplicates at or below the cursor and of buffered events', () => {
    const state = applyLiveEvent(at(3), ev(6)).state;
    for (const seq of [1, 3, 6]) {
      const result = applyLiveEvent(state, ev(seq));
      expect(result.outcome).toBe('duplicate');
      expect(result.state).toBe(state);
      expect(result.applied).toEqual([]);
    }
  });

  it('detects a gap and fills it from a replay', () => {
    const gapped = applyLiveEvent(at(3), ev(6, 'a', 'completed'));
    expect(gapped.outcome).toBe('buffered-gap');
    expect(gapped.state.seq).toBe(3);
    expect(missingRange(gapped.state)).toEqual({ from: 4, to: 5 });
    expect(highestSeq(gapped.state)).toBe(6);

    const replayed = applyReplay(gapped.state, [ev(4, 'a'), ev(5, 'b')], 5);
    expect(replayed.outcome).toBe('replayed');
    expect(replayed.applied.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(replayed.state.seq).toBe(6);
    expect(replayed.state.pending).toEqual([]);
    expect(replayed.state.jobs.a?.state).toBe('completed');
  });

  it('reports a replay that stops short of the gap as incomplete and keeps the state', () => {
    const gapped = applyLiveEvent(at(3), ev(6)).state;
    const result = applyReplay(gapped, [ev(4)], 5);
    expect(result.outcome).toBe('incomplete');
    expect(result.state).toBe(gapped);
    expect(applyReplay(gapped, [ev(4, 'j1', 'active', 'e2'), ev(5, 'j1', 'active', 'e2')], 5).outcome).toBe('incomplete');
  });

  it('fills a gap with events arriving out of order, hole by hole', () => {
    let state = at(1);
    state = applyLiveEvent(state, ev(5)).state;
    state = applyLiveEvent(state, ev(3)).state;
    expect(missingRange(state)).toEqual({ from: 2, to: 4 });
    const two = applyLiveEvent(state, ev(2));
    expect(two.outcome).toBe('applied');
    expect(two.applied.map((e) => e.seq)).toEqual([2, 3]);
    expect(missingRange(two.state)).toEqual({ from: 4, to: 4 });
    const four = applyLiveEvent(two.state, ev(4));
    expect(four.applied.map((e) => e.seq)).toEqual([4, 5]);
    expect(missingRange(four.state)).toBeUndefined();
  });

  it('reports an event of another epoch without touching the state', () => {
    const state = at(3);
    const result = applyLiveEvent(state, ev(4, 'j1', 'active', 'e2'));
    expect(result.outcome).toBe('epoch-changed');
    expect(result.state).toBe(state);
  });

  it('reports a live event before any ack as an epoch change (nothing to compare with)', () => {
    expect(applyLiveEvent(createRoomState(), ev(1)).outcome).toBe('epoch-changed');
  });

  it('keeps each job on its latest seq whatever order the events arrived in', () => {
    let state = at(0);
    const delivered: number[] = [];
    for (const event of [ev(3, 'a', 'completed'), ev(2, 'b'), ev(1, 'a'), ev(4, 'b', 'completed')]) {
      const result = applyLiveEvent(state, event);
      state = result.state;
      delivered.push(...result.applied.map((e) => e.seq));
    }
    expect(delivered).toEqual([1, 2, 3, 4]);
    expect(state.jobs.a?.state).toBe('completed');
    expect(state.jobs.b?.state).toBe('completed');
  });

  it('continues the cursor with a replay-mode ack that reaches its seq', () => {
    const state = applyLiveEvent(at(2), ev(3, 'a')).state;
    const result = applySubscribeAck(state, replayAck(5, [ev(4, 'a', 'completed'), ev(5, 'b')]), [ev(5, 'b'), ev(6, 'c')]);
    expect(result.outcome).toBe('replayed');
    expect(result.applied.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(Object.keys(result.state.jobs).sort()).toEqual(['a', 'b', 'c']);
    expect(result.state.jobs.a?.state).toBe('completed');
  });

  it('reports a replay-mode ack with a hole or from another epoch as incomplete', () => {
    const state = at(2);
    expect(applySubscribeAck(state, replayAck(5, [ev(3), ev(5)])).outcome).toBe('incomplete');
    expect(applySubscribeAck(state, replayAck(3, [ev(3, 'j1', 'active', 'e2')], 'e2')).outcome).toBe('incomplete');
    expect(applySubscribeAck(state, replayAck(2, [])).outcome).toBe('replayed');
  });
});

describe('roomState after an epoch change', () => {
  it('shows a running job the new snapshot no longer has as unknown, and drops finished ones it does not list', async () => {
    const { applySubscribeAck, createRoomState } = await import('../../client/roomState.js');
    const status = (jobId: string, state: 'active' | 'completed') => ({ jobId, queue: 'q', incarnation: 'i1', state, attempt: 1, maxAttempts: 1, updatedAt: 1 });
    const event = (seq: number, jobId: string, state: 'active' | 'completed') => ({
      room: 'document:1', epoch: 'old', seq, event: state, status: status(jobId, state), at: 1,
    });
    const before = applySubscribeAck(createRoomState(), {
      ok: true, room: 'document:1', epoch: 'old', seq: 2, mode: 'snapshot', jobs: [event(1, 'running', 'active'), event(2, 'done', 'completed')], events: [],
    }).state;
    const after = applySubscribeAck(before, {
      ok: true, room: 'document:1', epoch: 'new', seq: 0, mode: 'snapshot', jobs: [], events: [], resync: 'epoch-changed',
    }).state;
    expect(after.epoch).toBe('new');
    expect(after.jobs.running?.state).toBe('unknown');
    expect(after.jobs.done).toBeUndefined();
  });
});
