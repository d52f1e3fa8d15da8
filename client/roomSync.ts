import { ERROR_MESSAGES } from '../shared/errorCodes.js';
import type { HeartbeatRoom, HeartbeatRoomState, Revoked, StatusEvent, SubscribeOk, WireError } from '../shared/index.js';
import { computeBackoffMs } from './backoff.js';
import { isErrorCode, isSendableRoomName, toErrorMessage, unsendableRoomError } from './errors.js';
import { applyLiveEvent, applyReplay, applySubscribeAck, highestSeq, missingRange, noteServerCursor } from './roomState.js';
import { readReplayAnswer, readSubscribeAnswer, sendUnsubscribe } from './roomAnswers.js';
import { RoomRecord } from './roomRecord.js';
import { TransitionLog, exitState, isJoined } from './subscriptionState.js';
import type { SubscribingState, SubscriptionState } from './subscriptionState.js';
import { OneShotTimer } from './timer.js';
import type { RoomCounters, RoomHost, RoomSnapshot, RoomSyncOwner } from './types.js';

/**
 * Keeps one room's cursor in step with the server: subscribe and resubscribe, sort live
 * events that beat the ack, wait out and replay gaps, resync when the cursor is lost. Its
 * lifecycle is one {@link SubscriptionState}, changed only by `#enter`.
 */
export class RoomSync {
  readonly room: string;
  /** False for a name too long for the wire: rejected locally, nothing is ever sent. */
  readonly sendable: boolean;
  #state: SubscriptionState = { name: 'idle' };
  readonly #record = new RoomRecord();
  #retryAttempt = 0;
  /** Every state change: the timeline for the panel, and the `state` events the store reports after publishing. */
  readonly transitions = new TransitionLog();
  readonly #host: RoomHost;
  readonly #owner: RoomSyncOwner;

  constructor(room: string, host: RoomHost, owner: RoomSyncOwner) {
    this.room = room;
    this.#host = host;
    this.#owner = owner;
    this.sendable = isSendableRoomName(room);
    if (!this.sendable) this.#record.error = unsendableRoomError(room);
  }

  /** The room's snapshot as of now (a new object each call; the store keeps the old one when nothing differs). */
  toSnapshot(): RoomSnapshot {
    return this.#record.toSnapshot(this.room, !this.sendable && this.#state.name === 'idle' ? 'rejected' : this.#state.name);
  }

  getCounters(): RoomCounters {
    return { ...this.#record.counters };
  }

  /** The room gained its first reference. */
  open(): void {
    if (!this.sendable) {
      this.#enter({ name: 'rejected' }, 'refused locally', this.#record.error?.code);
      this.#host.log({ kind: 'rejected', room: this.room, ...this.#record.error, detail: 'rejected locally; nothing sent' });
    } else this.#subscribe('opened');
    this.#owner.changed();
  }

  /** The socket (re)connected, or its token was refreshed: subscribe again, with the cursor when there is one. */
  connected(): void {
    this.#retryAttempt = 0;
    const name = this.#state.name;
    if (this.sendable && (name === 'waiting' || name === 'rejected' || name === 'retrying')) this.#subscribe('connected');
    this.#owner.changed();
  }

  /** The socket is gone: answers in flight will never come and a gap can no longer fill by itself. */
  disconnected(): void {
    const state = this.#state;
    if (state.name === 'subscribed' && state.grace.pending) this.#record.countPendingGap();
    if (['subscribing', 'retrying', 'subscribed', 'replaying'].includes(state.name)) this.#enter({ name: 'waiting' }, 'disconnected');
    this.#owner.changed();
  }

  /** The last reference is gone: unsubscribe and forget the room's state. */
  close(): void {
    const previous = this.#state;
    this.#enter({ name: 'closed' }, 'released');
    // A subscribe still in flight is undone when its answer comes (see #onSubscribeAnswer), so the
    // unsubscribe cannot overtake it on the server and leave the socket in the room.
    if (previous.name !== 'subscribing' && isJoined(previous)) sendUnsubscribe(this.#host, this.room);
    if (this.sendable) this.#host.log({ kind: 'unsubscribe', room: this.room });
    this.#record.forget(this.sendable ? undefined : this.#record.error);
    this.#owner.changed();
  }

  /** Stops every timer and request without telling the server (the client is closing). */
  dispose(): void {
    if (this.#state.name !== 'closed') this.#enter({ name: 'closed' }, 'client closed');
    this.#owner.changed();
  }

  /** A live event for this room, already validated. */
  handleStatus(event: StatusEvent): void {
    this.#record.counters.received += 1;
    const state = this.#state;
    const base = { room: this.room, seq: event.seq, jobId: event.status.jobId };
    if (state.name === 'subscribing') {
      // The server joins before reading the snapshot, so events may beat the ack; sort them out after it.
      state.early.push(event);
      return this.#host.log({ kind: 'status', ...base, detail: 'held until the subscribe ack' });
    }
    if (state.name !== 'subscribed' && state.name !== 'replaying') {
      return this.#host.log({ kind: 'status', ...base, detail: 'ignored: not subscribed' });
    }
    const result = applyLiveEvent(this.#record.cursor, event);
    if (result.outcome === 'epoch-changed') return this.#resync(`epoch-changed: ${this.#record.cursor.epoch} → ${event.epoch}`);
    if (result.outcome === 'duplicate') {
      this.#record.counters.duplicates += 1;
      return this.#host.log({ kind: 'duplicate', ...base });
    }
    this.#record.cursor = result.state;
    if (result.outcome === 'buffered-gap') {
      const range = missingRange(result.state);
      this.#host.log({ kind: 'gap', ...base, detail: `missing ${range?.from}..${range?.to}; waiting ${this.#host.gapGraceMs} ms` });
      if (state.name === 'subscribed') state.graceFromLive = true;
    } else {
      const latencyMs = Date.now() - event.at;
      const detail = `${event.event} → ${event.status.state}`;
      this.#host.log({ kind: 'status', ...base, queue: event.status.queue, correlationId: event.status.correlationId, latencyMs, detail });
      this.#deliver(result.applied);
    }
    this.#checkGap();
  }

  /** The server removed this socket from the room. */
  handleRevoked(revoked: Revoked): void {
    this.#reject({ code: isErrorCode(revoked.code) ? revoked.code : 'REVOKED', message: revoked.message });
    this.#host.log({ kind: 'revoked', room: this.room, code: this.#record.error?.code, message: revoked.message });
  }

  /** The server says events may have been missed: resubscribe with the cursor, and the server replays or resyncs. */
  handleResyncNotice(reason: string): void {
    const name = this.#state.name;
    if (name !== 'subscribed' && name !== 'replaying' && name !== 'retrying') return;
    this.#host.log({ kind: 'gap', room: this.room, seq: this.#record.cursor.seq, detail: `server asked to resync: ${reason}` });
    this.#subscribe(`server asked to resync: ${reason}`);
    this.#owner.changed();
  }

  /** What a heartbeat reports for this room, with the token its answer must bring back; undefined unless subscribed. */
  heartbeatEntry(): { entry: HeartbeatRoom; token: object } | undefined {
    const state = this.#state;
    const { epoch, seq } = this.#record.cursor;
    if (state.name !== 'subscribed' || epoch === undefined) return undefined;
    return { entry: { room: this.room, epoch, seq }, token: state };
  }

  /** The server's answer to a heartbeat for this room; ignored when the subscription changed since it was sent. */
  handleHeartbeat(answer: HeartbeatRoomState, token: object): void {
    if (token !== this.#state || this.#state.name !== 'subscribed') return;
    const { epoch, seq } = this.#record.cursor;
    if (!answer.subscribed) {
      this.#host.log({ kind: 'gap', room: this.room, seq, detail: 'heartbeat: the server no longer has this subscription' });
      this.#subscribe('heartbeat: not subscribed on the server', false);
    } else if (answer.epoch === undefined || answer.epoch !== epoch) {
      this.#resync(`epoch-changed (heartbeat): ${epoch} → ${answer.epoch ?? 'none'}`);
    } else {
      const noted = noteServerCursor(this.#record.cursor, { epoch: answer.epoch, seq: answer.seq ?? 0 });
      if (noted === this.#record.cursor) return;
      this.#record.cursor = noted;
      this.#checkGap();
    }
    this.#owner.changed();
  }

  #enter(next: SubscriptionState, reason: string, code?: WireError['code']): void {
    const previous = this.#state;
    exitState(previous);
    this.#state = next;
    this.transitions.record(previous.name, next.name, reason, code);
  }

  #subscribe(reason: string, joined = isJoined(this.#state)): void {
    if (!this.#host.isConnected()) return this.#enter({ name: 'waiting' }, `${reason}; no connection`);
    const since = this.#record.since();
    const sent: SubscribingState = { name: 'subscribing', since, highestBefore: highestSeq(this.#record.cursor), early: [], joined };
    this.#enter(sent, reason);
    this.#host.log({ kind: 'subscribe', room: this.room, ...(since ? { seq: since.seq } : {}), detail: since ? `since ${since.epoch}:${since.seq}` : 'snapshot' });
    this.#host.subscribe(since ? { room: this.room, since } : { room: this.room }).then(
      (raw) => this.#onSubscribeAnswer(sent, raw),
      (error: unknown) => this.#onSubscribeFailed(sent, error),
    );
  }

  #onSubscribeAnswer(sent: SubscribingState, raw: unknown): void {
    const answer = readSubscribeAnswer(raw, this.room);
    if (sent !== this.#state) {
      // Released while the subscribe was on its way: undo it, or the server keeps sending to us.
      if (this.#state.name === 'closed' && (isJoined(sent) || answer.kind === 'ok')) sendUnsubscribe(this.#host, this.room);
      return;
    }
    if (answer.kind === 'malformed') {
      this.#host.log({ kind: 'invalid-message', room: this.room, detail: `subscribe ack: ${answer.detail}` });
      this.#retryLater({ code: 'INTERNAL', message: 'The server answered the subscribe with a malformed ack.' });
    } else if (answer.kind === 'ok') this.#applyAck(sent, answer.ack);
    else {
      this.#host.log({ kind: 'rejected', room: this.room, ...answer.error, ...(answer.retryable ? { detail: 'retrying' } : {}) });
      if (answer.retryable) this.#retryLater(answer.error);
      else this.#reject(answer.error);
    }
    this.#owner.changed();
  }

  #onSubscribeFailed(sent: SubscriptionState, error: unknown): void {
    if (sent !== this.#state) return;
    if (!this.#host.isConnected()) return; // the disconnect moves the room to 'waiting'; the reconnect resubscribes
    this.#host.log({ kind: 'subscribe', room: this.room, code: 'TIMEOUT', message: toErrorMessage(error), detail: 'retrying' });
    this.#retryLater({ code: 'TIMEOUT', message: ERROR_MESSAGES.TIMEOUT });
    this.#owner.changed();
  }

  #applyAck(sent: SubscribingState, ack: SubscribeOk): void {
    const result = applySubscribeAck(this.#record.cursor, ack, sent.early);
    if (result.outcome === 'incomplete') return this.#resync('replay-incomplete');
    this.#record.cursorUsable = true;
    this.#record.cursor = result.state;
    this.#record.error = undefined;
    this.#retryAttempt = 0;
    this.#enter({ name: 'subscribed', grace: new OneShotTimer(), graceFromLive: false }, `subscribed (${ack.mode})`);
    const count = ack.mode === 'snapshot' ? `${ack.jobs.length} jobs` : `${ack.events.length} events`;
    this.#host.log({ kind: 'subscribed', room: this.room, seq: ack.seq, detail: `${ack.mode}: ${count}` });
    if (sent.since) {
      const counted = this.#record.countResubscribe(sent.since, sent.highestBefore, ack);
      if (counted.outcome === 'resynced') this.#host.log({ kind: 'resync', room: this.room, seq: ack.seq, detail: counted.reason });
      if (counted.outcome === 'replayed') this.#host.log({ kind: 'replayed', room: this.room, seq: ack.seq, detail: count });
    }
    this.#deliver(result.applied);
    this.#checkGap();
  }

  #checkGap(): void {
    const state = this.#state;
    if (state.name !== 'subscribed') return;
    if (missingRange(this.#record.cursor) === undefined) {
      if (!state.grace.pending) return;
      state.grace.cancel();
      if (state.graceFromLive) this.#host.log({ kind: 'gap', room: this.room, seq: this.#record.cursor.seq, detail: 'filled by a late arrival' });
      state.graceFromLive = false;
      return;
    }
    // Wait a little first: events relayed through several server nodes may just arrive out of
    // order, and a heartbeat's cursor may be read just before the live event goes out.
    if (!state.grace.pending) state.grace.start(this.#host.gapGraceMs, () => this.#requestReplay());
  }

  #requestReplay(): void {
    const { epoch, seq: after, pending } = this.#record.cursor;
    if (epoch === undefined || this.#state.name !== 'subscribed' || !this.#host.isConnected()) return;
    // An event past a hole proves a gap; a heartbeat cursor ahead may only mean events in flight.
    const suspected = pending.length === 0;
    const range = suspected ? missingRange(this.#record.cursor) : this.#record.countPendingGap();
    if (range === undefined) return;
    const source = suspected ? ` (heartbeat: server at ${range.to})` : '';
    this.#enter(suspected ? { name: 'replaying', to: range.to, suspected: range } : { name: 'replaying', to: range.to }, `gap ${range.from}..${range.to}${source}`);
    const sent = this.#state;
    this.#host.log({ kind: 'gap', room: this.room, seq: after, detail: `replaying ${range.from}..${range.to}${source}` });
    this.#owner.changed();
    this.#host.replay({ room: this.room, epoch, after, to: range.to }).then(
      (raw) => this.#onReplayAnswer(sent, raw, range.to),
      (error: unknown) => {
        if (sent !== this.#state || !this.#host.isConnected()) return;
        this.#resync(`replay failed: ${toErrorMessage(error)}`);
        this.#owner.changed();
      },
    );
  }

  #onReplayAnswer(sent: SubscriptionState, raw: unknown, to: number): void {
    if (sent !== this.#state) return;
    const answer = readReplayAnswer(raw);
    const result = answer.kind === 'events' ? applyReplay(this.#record.cursor, answer.events, to) : undefined;
    if (answer.kind === 'resync') {
      if (answer.malformed) this.#host.log({ kind: 'invalid-message', room: this.room, detail: `replay ack: ${answer.malformed}` });
      this.#resync(answer.reason);
    } else if (result === undefined || result.outcome === 'incomplete') this.#resync('replay-incomplete');
    else {
      this.#record.cursor = result.state;
      if (sent.name === 'replaying' && sent.suspected) {
        // Counted only if the replay brought what never arrived live.
        if (result.applied.length > 0) this.#record.countReplayedRange(sent.suspected);
      } else this.#record.countReplayed();
      this.#enter({ name: 'subscribed', grace: new OneShotTimer(), graceFromLive: false }, 'replayed');
      this.#host.log({ kind: 'replayed', room: this.room, seq: result.state.seq, detail: `${result.applied.length} events` });
      this.#deliver(result.applied);
      this.#checkGap();
    }
    this.#owner.changed();
  }

  /** Gives up on the cursor: counts the gap as resynced and asks for a fresh snapshot. */
  #resync(reason: string): void {
    this.#record.countResync(reason);
    this.#host.log({ kind: 'resync', room: this.room, seq: this.#record.cursor.seq, detail: reason });
    this.#record.cursorUsable = false;
    this.#subscribe(reason);
    this.#owner.changed();
  }

  #retryLater(error: WireError): void {
    this.#record.error = error;
    if (!this.#host.isConnected()) return this.#enter({ name: 'waiting' }, 'retry needs a connection', error.code);
    this.#retryAttempt += 1;
    const delayMs = computeBackoffMs(this.#retryAttempt, this.#host.retryDelayMs, this.#host.retryDelayMaxMs);
    const timer = new OneShotTimer();
    this.#enter({ name: 'retrying', timer, joined: isJoined(this.#state) }, `retry in ${delayMs} ms`, error.code);
    timer.start(delayMs, () => {
      this.#subscribe('retry');
      this.#owner.changed();
    });
  }

  #reject(error: WireError): void {
    this.#enter({ name: 'rejected' }, error.message, error.code);
    // Access is gone: stop showing what the room used to contain.
    this.#record.forget(error);
    this.#owner.changed();
  }

  #deliver(applied: readonly StatusEvent[]): void {
    this.#record.countApplied(applied);
    this.#owner.changed();
    if (applied.length > 0) this.#owner.delivered(applied);
  }
}
