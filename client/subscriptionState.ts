import type { SeqRange } from './roomState.js';
import type { Cursor, ErrorCode, StatusEvent } from '../shared/index.js';
import type { OneShotTimer } from './timer.js';
import type { RoomStatus } from './types.js';

/**
 * Where one room's subscription is in its life. One explicit state instead of a set of flags
 * (as centrifuge-js does): every change goes through one transition that is recorded and
 * reported as a `state` event.
 *
 * - `idle`: created, not held yet.
 * - `waiting`: held, but there is no connection; it subscribes when one comes.
 * - `subscribing`: a subscribe is on its way; live events that beat its answer are held.
 * - `retrying`: the server refused with a retryable code (or did not answer); waiting out a backoff.
 * - `subscribed`: receiving live events (a gap may be waiting out its grace period).
 * - `replaying`: subscribed, and a replay of missing events is on its way.
 * - `rejected`: refused for good (FORBIDDEN, INVALID_ROOM, REVOKED…), with the error; tried again on reconnect.
 * - `closed`: released by its last holder.
 */
export type SubscriptionStateName =
  | 'idle'
  | 'waiting'
  | 'subscribing'
  | 'retrying'
  | 'subscribed'
  | 'replaying'
  | 'rejected'
  | 'closed';

/** The coarse status apps branch on, derived from the subscription state. */
export const ROOM_STATUS_OF: Readonly<Record<SubscriptionStateName, RoomStatus>> = {
  idle: 'pending',
  waiting: 'pending',
  subscribing: 'pending',
  retrying: 'pending',
  subscribed: 'active',
  replaying: 'active',
  rejected: 'rejected',
  closed: 'closed',
};

/** Every transition a subscription may take; tests hold the implementation to it. */
export const SUBSCRIPTION_TRANSITIONS: Readonly<Record<SubscriptionStateName, readonly SubscriptionStateName[]>> = {
  idle: ['waiting', 'subscribing', 'rejected'],
  waiting: ['subscribing', 'closed'],
  subscribing: ['subscribing', 'subscribed', 'retrying', 'rejected', 'waiting', 'closed'],
  retrying: ['subscribing', 'waiting', 'rejected', 'closed'],
  subscribed: ['subscribing', 'replaying', 'waiting', 'rejected', 'closed'],
  replaying: ['subscribing', 'subscribed', 'waiting', 'rejected', 'closed'],
  rejected: ['subscribing', 'rejected', 'closed'],
  closed: ['waiting', 'subscribing', 'rejected'],
};

/** One change of a subscription's state, as the `state` event and the room's timeline report it. */
export interface SubscriptionTransition {
  readonly at: number;
  readonly from: SubscriptionStateName;
  readonly to: SubscriptionStateName;
  /** What caused it, in a few words ("connected", "epoch-changed", "heartbeat: server at 12"…). */
  readonly reason: string;
  /** The error code, on a move to `rejected` or `retrying`. */
  readonly code?: ErrorCode;
}

/** How many transitions a room keeps for the debug panel. */
export const SUBSCRIPTION_TIMELINE_SIZE = 30;

/**
 * The state with what only that state owns: its request, its held events, its timers. Leaving
 * a state cancels its timers, and an answer to a request is used only while the state that sent
 * it is still the current one (compared by identity), so nothing of an old state leaks into a new one.
 */
export type SubscriptionState =
  | { readonly name: 'idle' | 'waiting' | 'rejected' | 'closed' }
  | {
      readonly name: 'subscribing';
      /** Sent with the request: the server replays after it, or answers with a snapshot. */
      readonly since: Cursor | undefined;
      /** The highest seq seen when the request left, to count what the answer recovered. */
      readonly highestBefore: number;
      /** Live events that arrived before the answer, applied after it. */
      readonly early: StatusEvent[];
      /** True when the server already had this socket in the room (a resubscribe on the same connection). */
      readonly joined: boolean;
    }
  | { readonly name: 'retrying'; readonly timer: OneShotTimer; readonly joined: boolean }
  | {
      readonly name: 'subscribed';
      /** Runs while a gap waits out its grace period before a replay is asked for. */
      readonly grace: OneShotTimer;
      /** Whether the waiting gap was seen in live events (as opposed to a heartbeat's cursor). */
      graceFromLive: boolean;
    }
  /** `suspected`: only a heartbeat said the server is ahead (no event arrived past a hole yet): counted as a gap only if the replay brings events. */
  | { readonly name: 'replaying'; readonly to: number; readonly suspected?: SeqRange };

/** The state while a subscribe is on its way. */
export type SubscribingState = Extract<SubscriptionState, { name: 'subscribing' }>;

/** True when, as far as the client knows, the server has this socket in the room. */
export function isJoined(state: SubscriptionState): boolean {
  if (state.name === 'subscribed' || state.name === 'replaying') return true;
  return (state.name === 'subscribing' || state.name === 'retrying') && state.joined;
}

/** Cancels what a state owns; called once when the state is left. */
export function exitState(state: SubscriptionState): void {
  if (state.name === 'retrying') state.timer.cancel();
  if (state.name === 'subscribed') state.grace.cancel();
}

/** The transitions of one subscription: a bounded timeline for the panel, and those not yet reported as `state` events. */
export class TransitionLog {
  #timeline: readonly SubscriptionTransition[] = [];
  #unreported: SubscriptionTransition[] = [];

  record(from: SubscriptionStateName, to: SubscriptionStateName, reason: string, code: ErrorCode | undefined): void {
    const transition = { at: Date.now(), from, to, reason, ...(code ? { code } : {}) };
    this.#timeline = [...this.#timeline, transition].slice(-SUBSCRIPTION_TIMELINE_SIZE);
    this.#unreported.push(transition);
  }

  /** The last transitions, oldest first (a new array after each one). */
  get timeline(): readonly SubscriptionTransition[] {
    return this.#timeline;
  }

  /** Hands over the transitions not yet reported, once. */
  take(): SubscriptionTransition[] {
    return this.#unreported.splice(0);
  }
}
