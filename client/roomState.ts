import { isTerminalStatus, type JobStatus, type StatusEvent, type SubscribeOk } from '../shared/index.js';

/**
 * Pure cursor logic of one room: no socket, no timers, no mutation. Each function returns
 * a new state (and new `jobs` object when a job changed) so snapshots can be compared by identity.
 */
export interface RoomState {
  /** The epoch the cursor belongs to; undefined until the first subscribe ack. */
  readonly epoch: string | undefined;
  /** The last sequence number applied: every event at or below it is reflected in `jobs`. */
  readonly seq: number;
  /** The latest status of each job, by job id. */
  readonly jobs: Readonly<Record<string, JobStatus>>;
  /** Events that arrived past a gap, sorted by seq, waiting for the missing ones. */
  readonly pending: readonly StatusEvent[];
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

const EMPTY: RoomState = Object.freeze({ epoch: undefined, seq: 0, jobs: Object.freeze({}), pending: Object.freeze([]) });

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
  // In seq order, so each job ends on its latest status whatever order the wire used.
  for (const event of applied) jobs[event.status.jobId] = event.status;
  const last = applied[applied.length - 1]!;
  return { state: { epoch: state.epoch, seq: last.seq, jobs, pending: state.pending.slice(index) }, applied };
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
    const jobs: Record<string, JobStatus> = {};
    const seqOf: Record<string, number> = {};
    for (const event of ack.jobs) {
      const id = event.status.jobId;
      if ((seqOf[id] ?? -1) < event.seq) {
        jobs[id] = event.status;
        seqOf[id] = event.seq;
      }
    }
    if (state.epoch !== undefined && state.epoch !== ack.epoch) markLostJobs(state.jobs, jobs);
    base = { epoch: ack.epoch, seq: ack.seq, jobs, pending: [] };
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
 * After an epoch change (Redis lost its data, or the room expired) a job that was still
 * running and is absent from the new snapshot cannot be found any more: show it as
 * `unknown` instead of letting it look "active" forever.
 */
function markLostJobs(before: Readonly<Record<string, JobStatus>>, after: Record<string, JobStatus>): void {
  for (const [id, status] of Object.entries(before)) {
    if (!(id in after) && !isTerminalStatus(status)) after[id] = { ...status, state: 'unknown', updatedAt: Date.now() };
  }
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

/** The sequence numbers missing before the last buffered event, or undefined when there is no gap. */
export function missingRange(state: RoomState): SeqRange | undefined {
  const last = state.pending[state.pending.length - 1];
  return last === undefined ? undefined : { from: state.seq + 1, to: last.seq - 1 };
}

/** The highest sequence number seen, applied or buffered. */
export const highestSeq = (state: RoomState): number => state.pending[state.pending.length - 1]?.seq ?? state.seq;
