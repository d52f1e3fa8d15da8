import type { Cursor, StatusEvent, SubscribeOk, WireError } from '../shared/index.js';
import { EMPTY_GAP_STATS, countResubscribe, recordGap, resolvePendingGaps } from './gapStats.js';
import type { GapOutcome, GapStats } from './gapStats.js';
import { createRoomState, missingRange } from './roomState.js';
import type { RoomState, SeqRange } from './roomState.js';
import { ROOM_STATUS_OF } from './subscriptionState.js';
import type { SubscriptionStateName } from './subscriptionState.js';
import type { RoomCounters, RoomSnapshot } from './types.js';

/**
 * What one room knows, apart from where its subscription is: the cursor and jobs, the gap
 * counters, delivery counters and the last error. {@link RoomSync} changes it; the store
 * publishes it through {@link RoomRecord.toSnapshot}.
 */
export class RoomRecord {
  cursor: RoomState = createRoomState();
  /** False after a failed recovery: the next subscribe asks for a snapshot instead of sending the cursor. */
  cursorUsable = true;
  gaps: GapStats = EMPTY_GAP_STATS;
  /** Why the room is rejected, or the last retryable failure while it is pending. */
  error: WireError | undefined;
  lastEventAt: number | undefined;
  readonly counters: { -readonly [K in keyof RoomCounters]: number } = { received: 0, applied: 0, duplicates: 0 };

  /** The cursor to send with the next subscribe, when it can be trusted. */
  since(): Cursor | undefined {
    const { epoch, seq } = this.cursor;
    return this.cursorUsable && epoch !== undefined ? { epoch, seq } : undefined;
  }

  /** Forgets the room's data (released, or access lost); the delivery counters keep counting. */
  forget(error: WireError | undefined): void {
    this.cursor = createRoomState();
    this.cursorUsable = true;
    this.gaps = EMPTY_GAP_STATS;
    this.lastEventAt = undefined;
    this.error = error;
  }

  /** Counts the gap the cursor has now as being repaired; returns its range (undefined when there is none). */
  countPendingGap(): SeqRange | undefined {
    const range = missingRange(this.cursor);
    if (range) this.gaps = recordGap(this.gaps, range, 'pending', Date.now());
    return range;
  }

  /** Counts a gap found and filled at once by a replay. */
  countReplayedRange(range: SeqRange): void {
    this.gaps = recordGap(this.gaps, range, 'replayed', Date.now());
  }

  /** Ends the gaps being repaired as replayed. */
  countReplayed(): void {
    this.gaps = resolvePendingGaps(this.gaps, 'replayed').stats;
  }

  /** Ends the gaps being repaired as resynced, or counts a new resync when none was pending. */
  countResync(reason: string): void {
    const resolved = resolvePendingGaps(this.gaps, 'resynced', reason);
    this.gaps = resolved.resolved > 0 ? resolved.stats : recordGap(this.gaps, undefined, 'resynced', Date.now(), reason);
  }

  /** Counts what a resubscribe that sent `since` recovered; returns how it ended, if anything was missed. */
  countResubscribe(since: Cursor, highestBefore: number, ack: SubscribeOk): { outcome?: Exclude<GapOutcome, 'pending'>; reason?: string } {
    const counted = countResubscribe(this.gaps, { since, highestBefore, ack, at: Date.now() });
    this.gaps = counted.stats;
    return counted;
  }

  /**
   * Counts events that took effect. A `reconciled` event whose reason says the server's own
   * read of BullMQ's stream had a hole (trimmed, or Redis unreachable) stands for states of
   * that job nobody saw: it is counted as a resynced gap with that cause.
   */
  countApplied(applied: readonly StatusEvent[]): void {
    if (applied.length === 0) return;
    this.counters.applied += applied.length;
    this.lastEventAt = Date.now();
    for (const event of applied) {
      if (event.event === 'reconciled' && (event.reason === 'stream-trimmed' || event.reason === 'redis-reconnected')) {
        this.gaps = recordGap(this.gaps, undefined, 'resynced', Date.now(), `server ${event.reason}: ${event.status.queue}/${event.status.jobId}`);
      }
    }
  }

  /** The room's snapshot for a subscription in state `name` (a new object each call). */
  toSnapshot(room: string, name: SubscriptionStateName): RoomSnapshot {
    const { epoch, seq, jobs } = this.cursor;
    return {
      room,
      state: ROOM_STATUS_OF[name],
      subscription: name,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(epoch === undefined ? {} : { epoch }),
      seq,
      jobs,
      ...(this.lastEventAt === undefined ? {} : { lastEventAt: this.lastEventAt }),
      gaps: this.gaps,
    };
  }
}
