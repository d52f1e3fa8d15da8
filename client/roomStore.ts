import type { HeartbeatRoom, HeartbeatRoomState, StatusEvent, Revoked } from '../shared/index.js';
import { toErrorMessage } from './errors.js';
import { RoomSync } from './roomSync.js';
import type { SubscriptionTransition } from './subscriptionState.js';
import type { JobcastRoom, RoomCounters, RoomHost, RoomSnapshot } from './types.js';
import { Subscribable } from './subscribable.js';
import { OneShotTimer } from './timer.js';

/** What a room store needs from the client besides the wire: the cache that routes events to it. */
export interface RoomStoreHost extends RoomHost {
  /** The store gained its first reference: route its events and resubscribe it on reconnect. */
  activate(store: RoomStore): void;
  /** The store lost its last reference (after the delay): stop routing to it. */
  deactivate(store: RoomStore): void;
}

/**
 * One room, shared by every handle and store listener on it: the server subscription is
 * made on the first reference and dropped `unsubscribeDelayMs` after the last one, so a
 * release followed by a quick re-acquire (React StrictMode) keeps the subscription.
 */
export class RoomStore extends Subscribable<() => void> implements JobcastRoom {
  readonly room: string;
  readonly #host: RoomStoreHost;
  readonly #sync: RoomSync;
  readonly #eventListeners = new Set<(event: StatusEvent) => void>();
  readonly #stateListeners = new Set<(transition: SubscriptionTransition) => void>();
  #handles = 0;
  #active = false;
  readonly #releaseTimer = new OneShotTimer();
  #snapshot: RoomSnapshot;

  constructor(room: string, host: RoomStoreHost) {
    super();
    this.room = room;
    this.#host = host;
    this.#sync = new RoomSync(room, host, {
      changed: () => this.#publish(),
      delivered: (events) => this.#deliver(events),
    });
    this.#snapshot = this.#sync.toSnapshot();
  }

  /** The current snapshot; the same object until something changes. */
  getSnapshot = (): RoomSnapshot => this.#snapshot;

  /** Handles plus store listeners: the server subscription lives while this is above zero (and for the delay after). */
  get refCount(): number {
    return this.#handles + this.listenerCount;
  }

  /** A copy of the delivery counters. */
  getCounters(): RoomCounters {
    return this.#sync.getCounters();
  }

  /** The subscription's last state changes, oldest first. */
  getTimeline(): readonly SubscriptionTransition[] {
    return this.#sync.transitions.timeline;
  }

  /** Takes a reference; returns its release function (safe to call twice). */
  acquire(): () => void {
    this.#handles += 1;
    this.#refsChanged();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#handles -= 1;
      this.#refsChanged();
    };
  }

  /** Calls `listener` with every event applied to this room, in seq order. Takes no reference. */
  onEvent(listener: (event: StatusEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => void this.#eventListeners.delete(listener);
  }

  onState(listener: (transition: SubscriptionTransition) => void): () => void {
    this.#stateListeners.add(listener);
    return () => void this.#stateListeners.delete(listener);
  }

  /** This room's entry for the next heartbeat, with the token its answer must bring back; undefined unless subscribed. */
  heartbeatEntry(): { entry: HeartbeatRoom; token: object } | undefined {
    return this.#active ? this.#sync.heartbeatEntry() : undefined;
  }

  /** The server's heartbeat answer for this room. */
  handleHeartbeat(answer: HeartbeatRoomState, token: object): void {
    if (this.#active) this.#sync.handleHeartbeat(answer, token);
  }

  /** The socket (re)connected. */
  handleConnected(): void {
    if (this.#active) this.#sync.connected();
  }

  /** The socket disconnected. */
  handleDisconnected(): void {
    if (this.#active) this.#sync.disconnected();
  }

  /** A validated live event for this room. */
  handleStatus(event: StatusEvent): void {
    if (this.#active) this.#sync.handleStatus(event);
  }

  /** The server removed this socket from the room. */
  handleRevoked(revoked: Revoked): void {
    if (this.#active) this.#sync.handleRevoked(revoked);
  }

  /** The server says this room's cursor may have moved unseen. */
  handleResyncNotice(reason: string): void {
    if (this.#active) this.#sync.handleResyncNotice(reason);
  }

  /** The client is closing: stop timers and requests without telling the server. */
  dispose(): void {
    this.#releaseTimer.cancel();
    this.#active = false;
    this.#sync.dispose();
    this.#publish();
  }

  protected override onSubscribe(): void {
    this.#refsChanged();
  }

  protected override onUnsubscribe(): void {
    this.#refsChanged();
  }

  protected override onListenerError(error: unknown): void {
    this.#host.log({ kind: 'listener-error', room: this.room, message: toErrorMessage(error) });
  }

  #refsChanged(): void {
    if (this.refCount > 0) {
      // Re-acquired within the delay: keep the subscription we already have.
      this.#releaseTimer.cancel();
      if (this.#active) return;
      this.#active = true;
      this.#host.activate(this);
      this.#sync.open();
    } else if (this.#active && !this.#releaseTimer.pending) {
      this.#releaseTimer.start(this.#host.unsubscribeDelayMs, () => {
        this.#active = false;
        this.#sync.close();
        this.#host.deactivate(this);
      });
    }
  }

  /** Publishes a new snapshot only when something in it differs, then reports the state changes. */
  #publish(): void {
    const next = this.#sync.toSnapshot();
    const previous = this.#snapshot;
    const keys = Object.keys(next) as Array<keyof RoomSnapshot>;
    const same = keys.length === Object.keys(previous).length && keys.every((key) => previous[key] === next[key]);
    if (!same) {
      this.#snapshot = next;
      this.notify();
    }
    for (const transition of this.#sync.transitions.take()) this.#call(this.#stateListeners, transition);
  }

  #deliver(events: readonly StatusEvent[]): void {
    for (const event of events) this.#call(this.#eventListeners, event);
  }

  #call<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
