import { ERROR_MESSAGES, ErrorCodeSchema, RETRYABLE_CODES, isValidRoomName } from '../shared/index.js';
import { ReplayAckSchema, SubscribeAckSchema, UnsubscribeAckSchema } from '../shared/index.js';
import type { Cursor, Revoked, StatusEvent, SubscribeOk, WireError } from '../shared/index.js';
import { computeBackoffMs } from './backoff.js';
import { invalidRoomError, toErrorMessage } from './errors.js';
import { OneShotTimer } from './timer.js';
import { EMPTY_GAP_STATS, countResubscribe, recordGap, resolvePendingGaps } from './gapStats.js';
import type { GapStats } from './gapStats.js';
import { applyLiveEvent, applyReplay, applySubscribeAck, createRoomState, highestSeq, missingRange } from './roomState.js';
import type { RoomState, SeqRange } from './roomState.js';
import type { RoomCounters, RoomHost, RoomSnapshot, RoomStatus, RoomSyncOwner } from './types.js';

/**
 * Keeps one room's cursor in step with the server: subscribe and resubscribe, sort live
 * events that beat the ack, wait out and replay gaps, resync when the cursor is lost.
 * At most one subscribe or replay is in flight; answers from an older generation are ignored.
 */
export class RoomSync {
  readonly room: string;
  /** False for a name that breaks the grammar: rejected locally, nothing is ever sent. */
  readonly valid: boolean;
  #status: RoomStatus;
  #error: WireError | undefined;
  #cursor: RoomState = createRoomState();
  #gaps: GapStats = EMPTY_GAP_STATS;
  #lastEventAt: number | undefined;
  readonly #counters = { received: 0, applied: 0, duplicates: 0 };
  readonly #host: RoomHost;
  readonly #owner: RoomSyncOwner;
  #generation = 0;
  #subscribed = false;
  #inflight = false;
  #replaying = false;
  #early: StatusEvent[] = [];
  #since: Cursor | undefined;
  #highestBefore = 0;
  #forceSnapshot = false;
  #undoOnAnswer: 'always' | 'if-ok' | undefined;
  #retryAttempt = 0;
  readonly #graceTimer = new OneShotTimer();
  readonly #retryTimer = new OneShotTimer();

  constructor(room: string, host: RoomHost, owner: RoomSyncOwner) {
    this.room = room;
    this.#host = host;
    this.#owner = owner;
    this.valid = isValidRoomName(room);
    this.#status = this.valid ? 'pending' : 'rejected';
    if (!this.valid) this.#error = invalidRoomError(room);
  }

  /** The room's snapshot as of now (a new object each call; the store caches it). */
  toSnapshot(): RoomSnapshot {
    const { epoch, seq, jobs } = this.#cursor;
    return {
      room: this.room,
      state: this.#status,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(epoch === undefined ? {} : { epoch }),
      seq,
      jobs,
      ...(this.#lastEventAt === undefined ? {} : { lastEventAt: this.#lastEventAt }),
      gaps: this.#gaps,
    };
  }

  /** A copy of the delivery counters. */
  getCounters(): RoomCounters {
    return { ...this.#counters };
  }

  /** The room gained its first reference. */
  open(): void {
    this.#undoOnAnswer = undefined;
    if (!this.valid) {
      this.#host.log({ kind: 'rejected', room: this.room, ...this.#error, detail: 'rejected locally; nothing sent' });
      return;
    }
    this.#status = 'pending';
    this.#owner.changed();
    this.#subscribeNow();
  }

  /** The socket (re)connected: subscribe again, with the cursor when there is one. Rejected rooms retry too (the token may have changed). */
  connected(): void {
    this.#retryAttempt = 0;
    this.#subscribeNow();
  }

  /** The socket is gone: in-flight answers will never come and a gap can no longer fill by itself. */
  disconnected(): void {
    this.#undoOnAnswer = undefined; // the server forgets the socket's rooms anyway
    if (this.#graceTimer.pending) this.#recordGapNow();
    this.#stopRequests();
    this.#subscribed = false;
    if (this.#status === 'active') this.#status = 'pending';
    this.#owner.changed();
  }

  /** The last reference is gone: unsubscribe and forget the room's state. */
  close(): void {
    // With a subscribe in flight, unsubscribe once it is answered (see #onSubscribeAck) so the
    // unsubscribe cannot overtake it on the server and leave the socket in the room.
    const subscribed = this.#subscribed;
    this.#undoOnAnswer = this.#inflight ? (subscribed ? 'always' : 'if-ok') : undefined;
    this.dispose();
    if (!this.valid) return;
    if (subscribed && this.#undoOnAnswer === undefined) this.#sendUnsubscribe();
    this.#host.log({ kind: 'unsubscribe', room: this.room });
    this.#status = 'closed';
    this.#error = undefined;
    this.#cursor = createRoomState();
    this.#gaps = EMPTY_GAP_STATS;
    this.#lastEventAt = undefined;
    this.#forceSnapshot = false;
    this.#owner.changed();
  }

  /** Stops every timer and request without telling the server (the client is closing). */
  dispose(): void {
    this.#stopRequests();
    this.#subscribed = false;
    if (this.valid) this.#status = 'closed';
  }

  /** A live event for this room, already validated. */
  handleStatus(event: StatusEvent): void {
    this.#counters.received += 1;
    const base = { room: this.room, seq: event.seq, jobId: event.status.jobId };
    if (this.#inflight) {
      // The server joins before reading the snapshot, so events may beat the ack; sort them out after it.
      this.#early.push(event);
      this.#host.log({ kind: 'status', ...base, detail: 'held until the subscribe ack' });
      return;
    }
    if (!this.#subscribed) {
      this.#host.log({ kind: 'status', ...base, detail: 'ignored: not subscribed' });
      return;
    }
    const result = applyLiveEvent(this.#cursor, event);
    if (result.outcome === 'epoch-changed') return this.#resync(`epoch-changed: ${this.#cursor.epoch} → ${event.epoch}`);
    if (result.outcome === 'duplicate') {
      this.#counters.duplicates += 1;
      this.#host.log({ kind: 'duplicate', ...base });
      return;
    }
    this.#cursor = result.state;
    if (result.outcome === 'buffered-gap') {
      const range = missingRange(result.state);
      this.#host.log({ kind: 'gap', ...base, detail: `missing ${range?.from}..${range?.to}; waiting ${this.#host.gapGraceMs} ms` });
    } else {
      const { correlationId } = event.status;
      const latencyMs = Date.now() - event.at;
      this.#host.log({ kind: 'status', ...base, correlationId, latencyMs, detail: `${event.event} → ${event.status.state}` });
      this.#deliver(result.applied);
    }
    this.#checkGap();
  }

  /** The server removed this socket from the room. */
  handleRevoked(revoked: Revoked): void {
    const code = ErrorCodeSchema.safeParse(revoked.code);
    this.#reject({ code: code.success ? code.data : 'REVOKED', message: revoked.message });
    this.#host.log({ kind: 'revoked', room: this.room, code: this.#error?.code, message: revoked.message });
  }

  /** The server says events may have been missed: resubscribe with the cursor, and the server replays or resyncs. */
  handleResyncNotice(reason: string): void {
    if (this.#status === 'rejected' || this.#status === 'closed') return;
    this.#host.log({ kind: 'gap', room: this.room, seq: this.#cursor.seq, detail: `server asked to resync: ${reason}` });
    this.#subscribeNow();
  }

  #stopRequests(): void {
    this.#generation += 1;
    this.#inflight = false;
    this.#replaying = false;
    this.#early = [];
    this.#retryTimer.cancel();
    this.#graceTimer.cancel();
  }

  #subscribeNow(): void {
    if (!this.valid || this.#inflight || !this.#host.isConnected()) return;
    this.#stopRequests();
    const generation = this.#generation;
    const { epoch, seq } = this.#cursor;
    const since = !this.#forceSnapshot && epoch !== undefined ? { epoch, seq } : undefined;
    this.#inflight = true;
    this.#since = since;
    this.#highestBefore = highestSeq(this.#cursor);
    if (this.#status === 'rejected') {
      this.#status = 'pending';
      this.#owner.changed();
    }
    const detail = since ? `since ${since.epoch}:${since.seq}` : 'snapshot';
    this.#host.log({ kind: 'subscribe', room: this.room, ...(since ? { seq: since.seq } : {}), detail });
    this.#host.subscribe(since ? { room: this.room, since } : { room: this.room }).then(
      (raw) => this.#onSubscribeAck(generation, raw),
      (error: unknown) => this.#onSubscribeFailed(generation, error),
    );
  }

  #onSubscribeAck(generation: number, raw: unknown): void {
    const parsed = SubscribeAckSchema.safeParse(raw);
    if (generation !== this.#generation) {
      // Closed while the subscribe was on its way: undo it, or the server keeps sending to us.
      const undo = this.#undoOnAnswer;
      this.#undoOnAnswer = undefined;
      if (undo === 'always' || (undo === 'if-ok' && parsed.success && parsed.data.ok)) this.#sendUnsubscribe();
      return;
    }
    this.#inflight = false;
    if (!parsed.success || (parsed.data.ok && parsed.data.room !== this.room)) {
      const detail = parsed.success ? 'answer for another room' : parsed.error.message.slice(0, 500);
      this.#host.log({ kind: 'invalid-message', room: this.room, detail: `subscribe ack: ${detail}` });
      return this.#retryLater({ code: 'INTERNAL', message: 'The server answered the subscribe with a malformed ack.' });
    }
    const ack = parsed.data;
    if (ack.ok) return this.#applyAck(ack);
    const retryable = RETRYABLE_CODES.has(ack.error.code);
    this.#host.log({ kind: 'rejected', room: this.room, ...ack.error, ...(retryable ? { detail: 'retrying' } : {}) });
    if (retryable) this.#retryLater(ack.error);
    else this.#reject(ack.error);
  }

  #onSubscribeFailed(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
    this.#inflight = false;
    this.#early = [];
    if (!this.#host.isConnected()) return; // the reconnect resubscribes
    this.#host.log({ kind: 'subscribe', room: this.room, code: 'TIMEOUT', message: toErrorMessage(error), detail: 'retrying' });
    this.#retryLater({ code: 'TIMEOUT', message: ERROR_MESSAGES.TIMEOUT });
  }

  #applyAck(ack: SubscribeOk): void {
    const early = this.#early;
    this.#early = [];
    this.#forceSnapshot = false;
    const result = applySubscribeAck(this.#cursor, ack, early);
    if (result.outcome === 'incomplete') return this.#resync('replay-incomplete');
    this.#subscribed = true;
    this.#retryAttempt = 0;
    this.#cursor = result.state;
    this.#status = 'active';
    this.#error = undefined;
    const count = ack.mode === 'snapshot' ? `${ack.jobs.length} jobs` : `${ack.events.length} events`;
    this.#host.log({ kind: 'subscribed', room: this.room, seq: ack.seq, detail: `${ack.mode}: ${count}` });
    if (this.#since) {
      const input = { since: this.#since, highestBefore: this.#highestBefore, ack, at: Date.now() };
      const counted = countResubscribe(this.#gaps, input);
      this.#gaps = counted.stats;
      if (counted.outcome === 'resynced') this.#host.log({ kind: 'resync', room: this.room, seq: ack.seq, detail: counted.reason });
      if (counted.outcome === 'replayed') this.#host.log({ kind: 'replayed', room: this.room, seq: ack.seq, detail: count });
    }
    this.#deliver(result.applied);
    this.#checkGap();
  }

  #checkGap(): void {
    if (missingRange(this.#cursor) === undefined) {
      if (!this.#graceTimer.pending) return;
      this.#graceTimer.cancel();
      this.#host.log({ kind: 'gap', room: this.room, seq: this.#cursor.seq, detail: 'filled by a late arrival' });
      return;
    }
    if (this.#graceTimer.pending || this.#replaying || this.#inflight) return;
    // Wait a little first: events relayed through several server nodes may just arrive out of order.
    this.#graceTimer.start(this.#host.gapGraceMs, () => this.#requestReplay());
  }

  #recordGapNow(): SeqRange | undefined {
    this.#graceTimer.cancel();
    const range = missingRange(this.#cursor);
    if (range) this.#gaps = recordGap(this.#gaps, range, 'pending', Date.now());
    return range;
  }

  #requestReplay(): void {
    const { epoch, seq: after } = this.#cursor;
    if (epoch === undefined || !this.#host.isConnected()) return;
    const range = this.#recordGapNow();
    if (range === undefined) return;
    this.#owner.changed();
    this.#replaying = true;
    const generation = this.#generation;
    this.#host.log({ kind: 'gap', room: this.room, seq: after, detail: `replaying ${range.from}..${range.to}` });
    this.#host.replay({ room: this.room, epoch, after, to: range.to }).then(
      (raw) => this.#onReplayAck(generation, raw, range.to),
      (error: unknown) => {
        if (generation !== this.#generation) return;
        this.#replaying = false;
        if (this.#host.isConnected()) this.#resync(`replay failed: ${toErrorMessage(error)}`);
      },
    );
  }

  #onReplayAck(generation: number, raw: unknown, to: number): void {
    if (generation !== this.#generation) return;
    this.#replaying = false;
    const parsed = ReplayAckSchema.safeParse(raw);
    if (!parsed.success) {
      this.#host.log({ kind: 'invalid-message', room: this.room, detail: `replay ack: ${parsed.error.message.slice(0, 500)}` });
      return this.#resync('replay ack malformed');
    }
    const ack = parsed.data;
    if (!ack.ok) return this.#resync(`replay refused: ${ack.error.code}`);
    if (!ack.complete) return this.#resync('history-exceeded');
    const result = applyReplay(this.#cursor, ack.events, to);
    if (result.outcome === 'incomplete') return this.#resync('replay-incomplete');
    this.#cursor = result.state;
    this.#gaps = resolvePendingGaps(this.#gaps, 'replayed').stats;
    this.#host.log({ kind: 'replayed', room: this.room, seq: result.state.seq, detail: `${result.applied.length} events` });
    this.#deliver(result.applied);
    this.#checkGap();
  }

  /** Gives up on the cursor: counts the gap as resynced and asks for a fresh snapshot. */
  #resync(reason: string): void {
    const resolved = resolvePendingGaps(this.#gaps, 'resynced', reason);
    this.#gaps = resolved.resolved > 0 ? resolved.stats : recordGap(this.#gaps, undefined, 'resynced', Date.now(), reason);
    this.#host.log({ kind: 'resync', room: this.room, seq: this.#cursor.seq, detail: reason });
    this.#forceSnapshot = true;
    this.#stopRequests();
    this.#owner.changed();
    this.#subscribeNow();
  }

  #retryLater(error: WireError): void {
    this.#error = error;
    this.#owner.changed();
    if (!this.#host.isConnected()) return;
    this.#retryAttempt += 1;
    const delayMs = computeBackoffMs(this.#retryAttempt, this.#host.retryDelayMs, this.#host.retryDelayMaxMs);
    this.#retryTimer.start(delayMs, () => this.#subscribeNow());
  }

  #reject(error: WireError): void {
    this.#stopRequests();
    this.#subscribed = false;
    // Access is gone: stop showing what the room used to contain.
    this.#cursor = createRoomState();
    this.#status = 'rejected';
    this.#error = error;
    this.#owner.changed();
  }

  #sendUnsubscribe(): void {
    if (!this.#host.isConnected()) return;
    const room = this.room;
    this.#host.unsubscribe({ room }).then(
      (raw) => {
        const ack = UnsubscribeAckSchema.safeParse(raw);
        if (!ack.success || !ack.data.ok) {
          this.#host.log({ kind: 'unsubscribe', room, ...(ack.data?.ok === false ? ack.data.error : {}), detail: 'refused' });
        }
      },
      (error: unknown) => this.#host.log({ kind: 'unsubscribe', room, message: toErrorMessage(error), detail: 'no answer' }),
    );
  }

  #deliver(applied: readonly StatusEvent[]): void {
    if (applied.length > 0) {
      this.#counters.applied += applied.length;
      this.#lastEventAt = Date.now();
    }
    this.#owner.changed();
    if (applied.length > 0) this.#owner.delivered(applied);
  }
}
