import { jobKeyOf } from '../shared/identity.js';
import { isTerminalStatus } from '../shared/lifecycle.js';
import type { Cursor, StatusEvent, SubscribeOk } from '../shared/index.js';
import type { RoomJob } from './types.js';

/**
 * Pure cursor logic of one room: no socket, no timers, no mutation. Each function returns
 * a new state (and new `jobs` object when a job changed) so snapshots can be compared by identity.
 */
export interface RoomState {
  /** The epoch the cursor belongs to; undefined until the first subscribe ack. */
  readonly epoch: string | undefined;
  /** The last sequence number applied: every event at or below it is reflected in `jobs`. */
  readonly seq: number;
  /** The latest status of each job, by {@link jobKeyOf} (`queue/jobId`): the same id in two queues is two jobs. */
  readonly jobs: Readonly<Record<string, RoomJob>>;
  /** Events that arrived past a gap, sorted by seq, waiting for the missing ones. */
  readonly pending: readonly StatusEvent[];
  /**
   * The highest seq the server said the room has reached in this epoch (from a heartbeat). Above
   * `seq` with no event buffered, it is a gap no later event would reveal (say, a missed `completed`).
   */
  readonly serverSeq: number;
}

/** What a live event did to the state. */
export type LiveOutcome =
  /** It was next in sequence (and may have released buffered events after it). */
  | 'applied'
  /** Already applied or already buffered: dropped. */
  | 'duplicate'
  /** It is ahead of the cursor: kept until the events between arrive or are replayed. */
  | 'buffered-gap'
  /** It belongs to another epoch: cursors cannot be compared, the caller must resync. */
  | 'epoch-changed';

/** The result of feeding events to a state. */
export interface ApplyResult {
  readonly state: RoomState;
  /** The events that took effect, in seq order (a listener sees exactly these). */
  readonly applied: readonly StatusEvent[];
}

/** The result of {@link applyLiveEvent}. */
export interface LiveResult extends ApplyResult {
  readonly outcome: LiveOutcome;
}

/** The result of {@link applySubscribeAck} and {@link applyReplay}. */
export interface RecoveryResult extends ApplyResult {
  /** 'incomplete': the answer does not reach the cursor it claims; the caller must resync. */
  readonly outcome: 'snapshot' | 'replayed' | 'incomplete';
}

/** A range of missing sequence numbers, both ends included. */
export interface SeqRange {
  readonly from: number;
  readonly to: number;
}

const EMPTY: RoomState = Object.freeze({ epoch: undefined, seq: 0, jobs: Object.freeze({}), pending: Object.freeze([]), serverSeq: 0 });

/** The state of a room nothing is known about yet. */
export const createRoomState = (): RoomState => EMPTY;

/** Feeds one live event: applies it if it is next, drops duplicates, buffers events past a gap. */
export function applyLiveEvent(state: RoomState, event: StatusEvent): LiveResult {
  // Without an epoch there is no cursor to compare with; the caller buffers until the ack instead.
  if (state.epoch === undefined || event.epoch !== state.epoch) {
    return { state, applied: [], outcome: 'epoch-changed' };
  }
  if (event.seq <= state.seq || state.pending.some((buffered) => buffered.seq === event.seq)) {
    return { state, applied: [], outcome: 'duplicate' };
  }
  if (event.seq > state.seq + 1) {
    const pending = [...state.pending, event].sort((a, b) => a.seq - b.seq);
    return { state: { ...state, pending }, applied: [], outcome: 'buffered-gap' };
  }
  return { ...advance(state, event), outcome: 'applied' };
}

/** Applies `first` (which is `state.seq + 1`) and every buffered event that follows it without a hole. */
function advance(state: RoomState, first: StatusEvent): ApplyResult {
  const applied = [first];
  let index = 0;
  while (state.pending[index]?.seq === first.seq + applied.length) {
    applied.push(state.pending[index]!);
    index += 1;
  }
  const jobs = { ...state.jobs };
  // In seq order, so each job ends on its latest status whatever order the wire used. The whole
  // status is replaced: a new incarnation of the key inherits nothing (attempt, progress, steps).
  for (const event of applied) jobs[jobKeyOf(event.status)] = event.status;
  const last = applied[applied.length - 1]!;
  const next = { epoch: state.epoch, seq: last.seq, jobs, pending: state.pending.slice(index), serverSeq: state.serverSeq };
  return { state: next, applied };
}

/**
 * Feeds several events (a replay, or events held back before an ack) in seq order.
 * Stops at the first event of another epoch and reports it, leaving the rest unapplied.
 */
export function applyEvents(state: RoomState, events: readonly StatusEvent[]): ApplyResult & { epochChanged: boolean } {
  let current = state;
  const applied: StatusEvent[] = [];
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    const result = applyLiveEvent(current, event);
    if (result.outcome === 'epoch-changed') return { state: current, applied, epochChanged: true };
    current = result.state;
    applied.push(...result.applied);
  }
  return { state: current, applied, epochChanged: false };
}

/**
 * Applies a successful subscribe ack, then the live events that arrived before it.
 *
 * Snapshot mode replaces the state; replay mode continues it and must reach `ack.seq`
 * without a hole, or the outcome is 'incomplete'. Early events of another epoch than the
 * ack are dropped: the server reads the ack after joining, so they predate it.
 */
export function applySubscribeAck(
  state: RoomState,
  ack: SubscribeOk,
  early: readonly StatusEvent[] = [],
): RecoveryResult {
  let base: RoomState;
  let applied: readonly StatusEvent[] = [];
  if (ack.mode === 'snapshot') {
    const jobs: Record<string, RoomJob> = {};
    const seqOf: Record<string, number> = {};
    for (const event of ack.jobs) {
      const key = jobKeyOf(event.status);
      if ((seqOf[key] ?? -1) < event.seq) {
        jobs[key] = event.status;
        seqOf[key] = event.seq;
      }
    }
    if (state.epoch !== undefined && state.epoch !== ack.epoch) carryOver(state.epoch, ack.epoch, state.jobs, jobs);
    else keepCarriedOver(state.jobs, jobs);
    base = { epoch: ack.epoch, seq: ack.seq, jobs, pending: [], serverSeq: ack.seq };
  } else {
    if (state.epoch !== ack.epoch) return { state, applied: [], outcome: 'incomplete' };
    const replayed = applyEvents(state, ack.events);
    if (replayed.epochChanged || replayed.state.seq < ack.seq) return { state, applied: [], outcome: 'incomplete' };
    base = replayed.state;
    applied = replayed.applied;
  }
  const live = applyEvents(base, early.filter((event) => event.epoch === ack.epoch));
  return { state: live.state, applied: [...applied, ...live.applied], outcome: ack.mode === 'snapshot' ? 'snapshot' : 'replayed' };
}

/**
 * After an epoch change (Redis lost its data, or the room expired) the new snapshot may not
 * hold jobs the page already showed. A finished one stays as it was: its outcome (and its
 * projected data) is still true. An unfinished one cannot be found any more: it becomes
 * `unknown` instead of looking "active" forever. Both are marked `carriedOver`; a job the new
 * snapshot does hold takes the snapshot's status.
 */
function carryOver(fromEpoch: string, toEpoch: string, before: Readonly<Record<string, RoomJob>>, after: Record<string, RoomJob>): void {
  const at = Date.now();
  for (const [key, job] of Object.entries(before)) {
    if (key in after) continue;
    const carriedOver = { fromEpoch: job.carriedOver?.fromEpoch ?? fromEpoch, toEpoch, at, lastState: job.carriedOver?.lastState ?? job.state };
    after[key] = isTerminalStatus(job) ? { ...job, carriedOver } : { ...job, state: 'unknown', updatedAt: at, carriedOver };
  }
}

/**
 * A snapshot of the same epoch never holds a job carried over from a lost one (the server lost
 * it with its data): the job stays as the page last knew it, until the room has it again.
 */
function keepCarriedOver(before: Readonly<Record<string, RoomJob>>, after: Record<string, RoomJob>): void {
  for (const [key, job] of Object.entries(before)) if (job.carriedOver && !(key in after)) after[key] = job;
}

/**
 * Applies the events a replay request returned for a gap that ended at `to`.
 * 'incomplete' when they belong to another epoch or leave the cursor short of `to`.
 */
export function applyReplay(state: RoomState, events: readonly StatusEvent[], to: number): RecoveryResult {
  const result = applyEvents(state, events);
  if (result.epochChanged || result.state.seq < to) return { state, applied: [], outcome: 'incomplete' };
  return { state: result.state, applied: result.applied, outcome: 'replayed' };
}

/**
 * Takes note of the room's cursor on the server (from a heartbeat): ahead of everything seen
 * in the same epoch, it makes a gap. Returns the same state when it tells nothing new.
 */
export function noteServerCursor(state: RoomState, server: Cursor): RoomState {
  if (state.epoch === undefined || server.epoch !== state.epoch || server.seq <= state.serverSeq) return state;
  return { ...state, serverSeq: server.seq };
}

/**
 * The sequence numbers missing before the last buffered event (or up to the server's cursor,
 * when a heartbeat said it is further), or undefined when there is no gap.
 */
export function missingRange(state: RoomState): SeqRange | undefined {
  const last = state.pending[state.pending.length - 1];
  const to = Math.max(last === undefined ? 0 : last.seq - 1, state.serverSeq);
  if (last === undefined && to <= state.seq) return undefined;
  return { from: state.seq + 1, to };
}

/** The highest sequence number seen, applied or buffered. */
export const highestSeq = (state: RoomState): number => state.pending[state.pending.length - 1]?.seq ?? state.seq;
