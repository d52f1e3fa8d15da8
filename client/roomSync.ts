import { ERROR_MESSAGES, ErrorCodeSchema, RETRYABLE_CODES } from '../shared/index.js';
import { ReplayAckSchema, SubscribeAckSchema, UnsubscribeAckSchema } from '../shared/index.js';
import type { HeartbeatRoom, HeartbeatRoomState, Revoked, StatusEvent, SubscribeOk, WireError } from '../shared/index.js';
import { computeBackoffMs } from './backoff.js';
import { isSendableRoomName, toErrorMessage, unsendableRoomError } from './errors.js';
import { EMPTY_GAP_STATS, countResubscribe, recordGap, resolvePendingGaps } from './gapStats.js';
import type { GapStats } from './gapStats.js';
import { applyLiveEvent, applyReplay, applySubscribeAck, createRoomState, highestSeq, missingRange, noteServerCursor } from './roomState.js';
import type { RoomState } from './roomState.js';
import { ROOM_STATUS_OF, SUBSCRIPTION_TIMELINE_SIZE, exitState, isJoined } from './subscriptionState.js';
import type { SubscribingState, SubscriptionState, SubscriptionStateName, SubscriptionTransition } from './subscriptionState.js';
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
  #error: WireError | undefined;
  #cursor: RoomState = createRoomState();
  /** False after a failed recovery: the next subscribe asks for a snapshot instead of sending the cursor. */
  #cursorUsable = true;
  #gaps: GapStats = EMPTY_GAP_STATS;
  #lastEventAt: number | undefined;
  #retryAttempt = 0;
  #timeline: SubscriptionTransition[] = [];
  #unreported: SubscriptionTransition[] = [];
  readonly #counters = { received: 0, applied: 0, duplicates: 0 };
  readonly #host: RoomHost;
  readonly #owner: RoomSyncOwner;

  constructor(room: string, host: RoomHost, owner: RoomSyncOwner) {
    this.room = room;
    this.#host = host;
    this.#owner = owner;
    this.sendable = isSendableRoomName(room);
    if (!this.sendable) this.#error = unsendableRoomError(room);
  }

  /** The subscription's current state. */
  get state(): SubscriptionStateName {
    return this.#state.name;
  }

  /** The room's snapshot as of now (a new object each call; the store keeps the old one when nothing differs). */
  toSnapshot(): RoomSnapshot {
    const { epoch, seq, jobs } = this.#cursor;
    const name = !this.sendable && this.#state.name === 'idle' ? 'rejected' : this.#state.name;
    return {
      room: this.room,
      state: ROOM_STATUS_OF[name],
      subscription: name,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(epoch === undefined ? {} : { epoch }),
      seq,
      jobs,
      ...(this.#lastEventAt === undefined ? {} : { lastEventAt: this.#lastEventAt }),
      gaps: this.#gaps,
    };
  }

  getCounters(): RoomCounters {
    return { ...this.#counters };
  }

  /** The last state changes, oldest first. */
  getTimeline(): readonly SubscriptionTransition[] {
    return this.#timeline;
  }

  /** Transitions not yet reported as `state` events; the store drains them after publishing. */
  takeTransitions(): SubscriptionTransition[] {
    return this.#unreported.splice(0);
  }

  /** The room gained its first reference. */
  open(): void {
    if (!this.sendable) {
      this.#enter({ name: 'rejected' }, 'refused locally', this.#error?.code);
      this.#host.log({ kind: 'rejected', room: this.room, ...this.#error, detail: 'rejected locally; nothing sent' });
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
    if (state.name === 'subscribed' && state.grace.pending) this.#recordGapNow();
    if (['subscribing', 'retrying', 'subscribed', 'replaying'].includes(state.name)) this.#enter({ name: 'waiting' }, 'disconnected');
    this.#owner.changed();
  }

  /** The last reference is gone: unsubscribe and forget the room's state. */
  close(): void {
    const previous = this.#state;
    this.#enter({ name: 'closed' }, 'released');
    // A subscribe still in flight is undone when its answer comes (see #onSubscribeAnswer), so the
    // unsubscribe cannot overtake it on the server and leave the socket in the room.
    if (previous.name !== 'subscribing' && isJoined(previous)) this.#sendUnsubscribe();
    if (this.sendable) this.#host.log({ kind: 'unsubscribe', room: this.room });
    this.#error = this.sendable ? undefined : this.#error;
    this.#cursor = createRoomState();
    this.#cursorUsable = true;
    this.#gaps = EMPTY_GAP_STATS;
    this.#lastEventAt = undefined;
    this.#owner.changed();
  }

  /** Stops every timer and request without telling the server (the client is closing). */
  dispose(): void {
    if (this.#state.name !== 'closed') this.#enter({ name: 'closed' }, 'client closed');
    this.#owner.changed();
  }

  /** A live event for this room, already validated. */
  handleStatus(event: StatusEvent): void {
    this.#counters.received += 1;
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
    const result = applyLiveEvent(this.#cursor, event);
    if (result.outcome === 'epoch-changed') return this.#resync(`epoch-changed: ${this.#cursor.epoch} → ${event.epoch}`);
    if (result.outcome === 'duplicate') {
      this.#counters.duplicates += 1;
      return this.#host.log({ kind: 'duplicate', ...base });
    }
    this.#cursor = result.state;
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
    const code = ErrorCodeSchema.safeParse(revoked.code);
    this.#reject({ code: code.success ? code.data : 'REVOKED', message: revoked.message });
    this.#host.log({ kind: 'revoked', room: this.room, code: this.#error?.code, message: revoked.message });
  }

  /** The server says events may have been missed: resubscribe with the cursor, and the server replays or resyncs. */
  handleResyncNotice(reason: string): void {
    const name = this.#state.name;
    if (name !== 'subscribed' && name !== 'replaying' && name !== 'retrying') return;
    this.#host.log({ kind: 'gap', room: this.room, seq: this.#cursor.seq, detail: `server asked to resync: ${reason}` });
    this.#subscribe(`server asked to resync: ${reason}`);
    this.#owner.changed();
  }

  /** What a heartbeat reports for this room, with the token its answer must bring back; undefined unless subscribed. */
  heartbeatEntry(): { entry: HeartbeatRoom; token: object } | undefined {
    const state = this.#state;
    const { epoch, seq } = this.#cursor;
    if (state.name !== 'subscribed' || epoch === undefined) return undefined;
    return { entry: { room: this.room, epoch, seq }, token: state };
  }

  /** The server's answer to a heartbeat for this room; ignored when the subscription changed since it was sent. */
  handleHeartbeat(answer: HeartbeatRoomState, token: object): void {
    if (token !== this.#state || this.#state.name !== 'subscribed') return;
    const { epoch, seq } = this.#cursor;
    if (!answer.subscribed) {
      this.#host.log({ kind: 'gap', room: this.room, seq, detail: 'heartbeat: the server no longer has this subscription' });
      this.#subscribe('heartbeat: not subscribed on the server', false);
    } else if (answer.epoch === undefined || answer.epoch !== epoch) {
      this.#resync(`epoch-changed (heartbeat): ${epoch} → ${answer.epoch ?? 'none'}`);
    } else {
      const noted = noteServerCursor(this.#cursor, { epoch: answer.epoch, seq: answer.seq ?? 0 });
      if (noted === this.#cursor) return;
      this.#cursor = noted;
      this.#checkGap();
    }
    this.#owner.changed();
  }

  #enter(next: SubscriptionState, reason: string, code?: WireError['code']): void {
    const previous = this.#state;
    exitState(previous);
    this.#state = next;
    const transition = { at: Date.now(), from: previous.name, to: next.name, reason, ...(code ? { code } : {}) };
    this.#timeline = [...this.#timeline, transition].slice(-SUBSCRIPTION_TIMELINE_SIZE);
    this.#unreported.push(transition);
  }

  #subscribe(reason: string, joined = isJoined(this.#state)): void {
    if (!this.#host.isConnected()) return this.#enter({ name: 'waiting' }, `${reason}; no connection`);
    const { epoch, seq } = this.#cursor;
    const since = this.#cursorUsable && epoch !== undefined ? { epoch, seq } : undefined;
    const sent: SubscribingState = { name: 'subscribing', since, highestBefore: highestSeq(this.#cursor), early: [], joined };
    this.#enter(sent, reason);
    this.#host.log({ kind: 'subscribe', room: this.room, ...(since ? { seq: since.seq } : {}), detail: since ? `since ${since.epoch}:${since.seq}` : 'snapshot' });
    this.#host.subscribe(since ? { room: this.room, since } : { room: this.room }).then(
      (raw) => this.#onSubscribeAnswer(sent, raw),
      (error: unknown) => this.#onSubscribeFailed(sent, error),
    );
  }

  #onSubscribeAnswer(sent: SubscribingState, raw: unknown): void {
    const parsed = SubscribeAckSchema.safeParse(raw);
    if (sent !== this.#state) {
      // Released while the subscribe was on its way: undo it, or the server keeps sending to us.
      const ok = parsed.success && parsed.data.ok;
      if (this.#state.name === 'closed' && (isJoined(sent) || ok)) this.#sendUnsubscribe();
      return;
    }
    if (!parsed.success || (parsed.data.ok && parsed.data.room !== this.room)) {
      const detail = parsed.success ? 'answer for another room' : parsed.error.message.slice(0, 500);
      this.#host.log({ kind: 'invalid-message', room: this.room, detail: `subscribe ack: ${detail}` });
      this.#retryLater({ code: 'INTERNAL', message: 'The server answered the subscribe with a malformed ack.' });
    } else if (parsed.data.ok) {
      this.#applyAck(sent, parsed.data);
    } else {
      const { error } = parsed.data;
      const retryable = RETRYABLE_CODES.has(error.code);
      this.#host.log({ kind: 'rejected', room: this.room, ...error, ...(retryable ? { detail: 'retrying' } : {}) });
      if (retryable) this.#retryLater(error);
      else this.#reject(error);
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
    const result = applySubscribeAck(this.#cursor, ack, sent.early);
    if (result.outcome === 'incomplete') return this.#resync('replay-incomplete');
    this.#cursorUsable = true;
    this.#retryAttempt = 0;
    this.#cursor = result.state;
    this.#error = undefined;
    this.#enter({ name: 'subscribed', grace: new OneShotTimer(), graceFromLive: false }, `subscribed (${ack.mode})`);
    const count = ack.mode === 'snapshot' ? `${ack.jobs.length} jobs` : `${ack.events.length} events`;
    this.#host.log({ kind: 'subscribed', room: this.room, seq: ack.seq, detail: `${ack.mode}: ${count}` });
    if (sent.since) {
      const counted = countResubscribe(this.#gaps, { since: sent.since, highestBefore: sent.highestBefore, ack, at: Date.now() });
      this.#gaps = counted.stats;
      if (counted.outcome === 'resynced') this.#host.log({ kind: 'resync', room: this.room, seq: ack.seq, detail: counted.reason });
      if (counted.outcome === 'replayed') this.#host.log({ kind: 'replayed', room: this.room, seq: ack.seq, detail: count });
    }
    this.#deliver(result.applied);
    this.#checkGap();
  }

  #checkGap(): void {
    const state = this.#state;
    if (state.name !== 'subscribed') return;
    if (missingRange(this.#cursor) === undefined) {
      if (!state.grace.pending) return;
      state.grace.cancel();
      if (state.graceFromLive) this.#host.log({ kind: 'gap', room: this.room, seq: this.#cursor.seq, detail: 'filled by a late arrival' });
      state.graceFromLive = false;
      return;
    }
    // Wait a little first: events relayed through several server nodes may just arrive out of
    // order, and a heartbeat's cursor may be read just before the live event goes out.
    if (!state.grace.pending) state.grace.start(this.#host.gapGraceMs, () => this.#requestReplay());
  }

  #recordGapNow(): ReturnType<typeof missingRange> {
    const range = missingRange(this.#cursor);
    if (range) this.#gaps = recordGap(this.#gaps, range, 'pending', Date.now());
    return range;
  }

  #requestReplay(): void {
    const { epoch, seq: after, pending } = this.#cursor;
    if (epoch === undefined || this.#state.name !== 'subscribed' || !this.#host.isConnected()) return;
    const range = this.#recordGapNow();
    if (range === undefined) return;
    const source = pending.length > 0 ? '' : ` (heartbeat: server at ${range.to})`;
    this.#enter({ name: 'replaying', to: range.to }, `gap ${range.from}..${range.to}${source}`);
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
    const parsed = ReplayAckSchema.safeParse(raw);
    if (!parsed.success) {
      this.#host.log({ kind: 'invalid-message', room: this.room, detail: `replay ack: ${parsed.error.message.slice(0, 500)}` });
      this.#resync('replay ack malformed');
    } else if (!parsed.data.ok) this.#resync(`replay refused: ${parsed.data.error.code}`);
    else if (!parsed.data.complete) this.#resync('history-exceeded');
    else {
      const result = applyReplay(this.#cursor, parsed.data.events, to);
      if (result.outcome === 'incomplete') this.#resync('replay-incomplete');
      else {
        this.#cursor = result.state;
        this.#gaps = resolvePendingGaps(this.#gaps, 'replayed').stats;
        this.#enter({ name: 'subscribed', grace: new OneShotTimer(), graceFromLive: false }, 'replayed');
        this.#host.log({ kind: 'replayed', room: this.room, seq: result.state.seq, detail: `${result.applied.length} events` });
        this.#deliver(result.applied);
        this.#checkGap();
      }
    }
    this.#owner.changed();
  }

  /** Gives up on the cursor: counts the gap as resynced and asks for a fresh snapshot. */
  #resync(reason: string): void {
    const resolved = resolvePendingGaps(this.#gaps, 'resynced', reason);
    this.#gaps = resolved.resolved > 0 ? resolved.stats : recordGap(this.#gaps, undefined, 'resynced', Date.now(), reason);
    this.#host.log({ kind: 'resync', room: this.room, seq: this.#cursor.seq, detail: reason });
    this.#cursorUsable = false;
    this.#subscribe(reason);
    this.#owner.changed();
  }

  #retryLater(error: WireError): void {
    this.#error = error;
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
    this.#cursor = createRoomState();
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
