import { describe, expect, it } from 'vitest';
import type { JobState, JobStatus, StatusEvent, SubscribeOk } from '../../shared/index.js';
import {
  applyLiveEvent,
  applyReplay,
  applySubscribeAck,
  createRoomState,
  highestSeq,
  missingRange,
  noteServerCursor,
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
    expect(result.state.jobs['q/a']?.state).toBe('completed');
    expect(result.state.jobs['q/b']?.state).toBe('active');
    expect(result.applied).toEqual([]);
  });

  it('applies a live event that follows the snapshot and returns new objects', () => {
    const before = at(3);
    const result = applyLiveEvent(before, ev(4, 'a', 'completed'));
    expect(result.outcome).toBe('applied');
    expect(result.applied.map((e) => e.seq)).toEqual([4]);
    expect(result.state.seq).toBe(4);
    expect(result.state.jobs['q/a']?.state).toBe('completed');
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
    expect(result.state.jobs['q/a']?.state).toBe('completed');
    expect(result.state.jobs['q/b']?.state).toBe('active');
  });

  it('drops early events of another epoch than the ack', () => {
    const early = [ev(4, 'a', 'active', 'old'), ev(2, 'b', 'active', 'old'), ev(4, 'c')];
    const result = applySubscribeAck(createRoomState(), snapshotAck(3), early);
    expect(result.state.seq).toBe(4);
    expect(Object.keys(result.state.jobs)).toEqual(['q/c']);
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
    expect(replayed.state.jobs['q/a']?.state).toBe('completed');
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
    expect(state.jobs['q/a']?.state).toBe('completed');
    expect(state.jobs['q/b']?.state).toBe('completed');
  });

  it('continues the cursor with a replay-mode ack that reaches its seq', () => {
    const state = applyLiveEvent(at(2), ev(3, 'a')).state;
    const result = applySubscribeAck(state, replayAck(5, [ev(4, 'a', 'completed'), ev(5, 'b')]), [ev(5, 'b'), ev(6, 'c')]);
    expect(result.outcome).toBe('replayed');
    expect(result.applied.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(Object.keys(result.state.jobs).sort()).toEqual(['q/a', 'q/b', 'q/c']);
    expect(result.state.jobs['q/a']?.state).toBe('completed');
  });

  it('reports a replay-mode ack with a hole or from another epoch as incomplete', () => {
    const state = at(2);
    expect(applySubscribeAck(state, replayAck(5, [ev(3), ev(5)])).outcome).toBe('incomplete');
    expect(applySubscribeAck(state, replayAck(3, [ev(3, 'j1', 'active', 'e2')], 'e2')).outcome).toBe('incomplete');
    expect(applySubscribeAck(state, replayAck(2, [])).outcome).toBe('replayed');
  });
});

describe('roomState job identity', () => {
  const status = (queue: string, jobId: string, incarnation: string, extra: Partial<JobStatus>): JobStatus => ({
    jobId, queue, incarnation, state: 'active', attempt: 1, maxAttempts: 3, updatedAt: 1, ...extra,
  });
  const event = (seq: number, job: JobStatus): StatusEvent => ({ room: ROOM, epoch: 'e1', seq, event: 'active', status: job, at: 1 });

  it('keeps the same job id of two queues as two jobs', () => {
    let state = at(0);
    state = applyLiveEvent(state, event(1, status('imports', '1', 'a', { state: 'failed', failure: { code: 'JOB_FAILED', message: 'x' } }))).state;
    state = applyLiveEvent(state, event(2, status('thumbnails', '1', 'b', { state: 'completed' }))).state;
    expect(Object.keys(state.jobs).sort()).toEqual(['imports/1', 'thumbnails/1']);
    expect(state.jobs['imports/1']).toMatchObject({ state: 'failed', failure: { code: 'JOB_FAILED' } });
    expect(state.jobs['thumbnails/1']?.state).toBe('completed');
    const snapshot = applySubscribeAck(createRoomState(), snapshotAck(2, [event(1, state.jobs['imports/1']!), event(2, state.jobs['thumbnails/1']!)]));
    expect(Object.keys(snapshot.state.jobs).sort()).toEqual(['imports/1', 'thumbnails/1']);
  });

  it('replaces a job entirely with a status of a new incarnation of its key', () => {
    const old = status('imports', '7', 'first', {
      attempt: 3, progress: 80, step: { name: 'persist', status: 'started' }, steps: [{ name: 'fetch', status: 'completed' }], data: { summary: 'old' },
    });
    let state = applyLiveEvent(at(0), event(1, old)).state;
    state = applyLiveEvent(state, event(2, status('imports', '7', 'second', { state: 'waiting' }))).state;
    expect(state.jobs['imports/7']).toEqual(status('imports', '7', 'second', { state: 'waiting' }));
  });
});

describe('roomState after an epoch change', () => {
  const status = (jobId: string, state: JobState, extra: Partial<JobStatus> = {}): JobStatus => ({
    jobId, queue: 'q', incarnation: 'i1', state, attempt: 1, maxAttempts: 1, updatedAt: 1, ...extra,
  });
  const event = (seq: number, job: JobStatus, epoch = 'old'): StatusEvent => ({ room: ROOM, epoch, seq, event: 'active', status: job, at: 1 });
  const before = () =>
    applySubscribeAck(createRoomState(), {
      ok: true, room: ROOM, epoch: 'old', seq: 5, mode: 'snapshot', events: [],
      jobs: [
        event(1, status('running', 'active', { progress: 40 })),
        event(2, status('done', 'completed', { data: { summary: 'kept' } })),
        event(3, status('broken', 'failed', { failure: { code: 'JOB_FAILED', message: 'The job failed.' } })),
        event(4, status('retrying', 'failed', { willRetry: true })),
        event(5, status('again', 'active')),
      ],
    }).state;

  it('keeps finished jobs the new snapshot does not hold, marked as carried over, and shows unfinished ones as unknown', () => {
    const after = applySubscribeAck(before(), {
      ok: true, room: ROOM, epoch: 'new', seq: 1, mode: 'snapshot', events: [], resync: 'epoch-changed',
      jobs: [event(1, status('again', 'completed', { incarnation: 'i2' }), 'new')],
    }).state;
    expect(after.epoch).toBe('new');
    const carried = { fromEpoch: 'old', toEpoch: 'new', at: expect.any(Number) };
    expect(after.jobs['q/done']).toEqual({ ...status('done', 'completed', { data: { summary: 'kept' } }), carriedOver: { ...carried, lastState: 'completed' } });
    expect(after.jobs['q/broken']).toMatchObject({ state: 'failed', failure: { code: 'JOB_FAILED' }, carriedOver: { ...carried, lastState: 'failed' } });
    expect(after.jobs['q/running']).toMatchObject({ state: 'unknown', progress: 40, carriedOver: { ...carried, lastState: 'active' } });
    // A failed attempt that was going to retry is not finished: it is lost too.
    expect(after.jobs['q/retrying']).toMatchObject({ state: 'unknown', carriedOver: { lastState: 'failed' } });
    // The snapshot's own status wins, and is not marked.
    expect(after.jobs['q/again']).toEqual(status('again', 'completed', { incarnation: 'i2' }));
  });

  it('keeps the first epoch a job was carried over from across a second epoch change', () => {
    const middle = applySubscribeAck(before(), { ok: true, room: ROOM, epoch: 'new', seq: 0, mode: 'snapshot', events: [], jobs: [] }).state;
    const last = applySubscribeAck(middle, { ok: true, room: ROOM, epoch: 'newer', seq: 0, mode: 'snapshot', events: [], jobs: [] }).state;
    expect(last.jobs['q/done']?.carriedOver).toMatchObject({ fromEpoch: 'old', toEpoch: 'newer', lastState: 'completed' });
    expect(last.jobs['q/running']?.carriedOver).toMatchObject({ fromEpoch: 'old', lastState: 'active' });
  });

  it('carries nothing over on a snapshot of the same epoch', () => {
    const after = applySubscribeAck(before(), { ok: true, room: ROOM, epoch: 'old', seq: 9, mode: 'snapshot', events: [], jobs: [] }).state;
    expect(after.jobs).toEqual({});
  });

  it('keeps jobs carried over from a lost epoch through a later snapshot of the new one, which cannot hold them', () => {
    const carried = applySubscribeAck(before(), { ok: true, room: ROOM, epoch: 'new', seq: 1, mode: 'snapshot', events: [], jobs: [event(1, status('again', 'active', { incarnation: 'i2' }), 'new')] }).state;
    // The cursor fell behind the history (or ahead of a room restored from an older save): a snapshot of the same epoch.
    const later = applySubscribeAck(carried, {
      ok: true, room: ROOM, epoch: 'new', seq: 7, mode: 'snapshot', events: [], resync: 'history-exceeded',
      jobs: [event(7, status('again', 'completed', { incarnation: 'i2' }), 'new')],
    }).state;
    expect(later.jobs['q/done']).toMatchObject({ state: 'completed', carriedOver: { fromEpoch: 'old', toEpoch: 'new' } });
    expect(later.jobs['q/running']).toMatchObject({ state: 'unknown', carriedOver: { lastState: 'active' } });
    expect(later.jobs['q/again']).toEqual(status('again', 'completed', { incarnation: 'i2' }));
  });
});

describe('roomState and the server cursor from a heartbeat', () => {
  it('turns a server cursor ahead of the room into a gap that no later event would reveal', () => {
    const state = at(3);
    expect(noteServerCursor(state, { epoch: 'e1', seq: 3 })).toBe(state);
    expect(noteServerCursor(state, { epoch: 'other', seq: 9 })).toBe(state);
    const behind = noteServerCursor(state, { epoch: 'e1', seq: 5 });
    expect(missingRange(behind)).toEqual({ from: 4, to: 5 });
    const replayed = applyReplay(behind, [ev(4), ev(5, 'j1', 'completed')], 5);
    expect(replayed.outcome).toBe('replayed');
    expect(missingRange(replayed.state)).toBeUndefined();
  });

  it('asks for everything up to the further of the buffered events and the server cursor', () => {
    const gapped = applyLiveEvent(at(3), ev(6)).state;
    expect(missingRange(noteServerCursor(gapped, { epoch: 'e1', seq: 9 }))).toEqual({ from: 4, to: 9 });
    expect(missingRange(noteServerCursor(gapped, { epoch: 'e1', seq: 4 }))).toEqual({ from: 4, to: 5 });
  });
});
