import type { ErrorCode } from '../shared/index.js';
import { JobcastError } from './errors.js';

/** A token bucket: `ratePerSecond` sustained, `burst` at once. */
export class TokenBucket {
  #tokens: number;
  #updatedAt = Date.now();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  /** Takes one token; false when the bucket is empty. */
  take(now = Date.now()): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** How long until a token is back (0 when one is there now). */
  waitMs(now = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1_000);
  }

  #refill(now: number) {
    this.#tokens = Math.min(this.burst, this.#tokens + ((Math.max(now, this.#updatedAt) - this.#updatedAt) / 1_000) * this.ratePerSecond);
    this.#updatedAt = Math.max(now, this.#updatedAt);
  }
}

export interface SocketLimits {
  /** Rooms one connection may be subscribed to at once. @default 100 */
  maxSubscriptions: number;
  /** Subscribe requests per second per connection (sustained / burst). @default 10 / 30 */
  subscribeRate: number;
  subscribeBurst: number;
  /** Messages of any kind per second per connection (sustained / burst). @default 50 / 100 */
  messageRate: number;
  messageBurst: number;
  /** Largest payload of one message, as JSON. @default 4_096 */
  maxMessageBytes: number;
  /** Refused messages in a row after which the connection is closed. @default 200 */
  maxConsecutiveBreaches: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  maxSubscriptions: 100,
  subscribeRate: 10,
  subscribeBurst: 30,
  messageRate: 50,
  messageBurst: 100,
  maxMessageBytes: 4_096,
  maxConsecutiveBreaches: 200,
};

/** Limits of the HTTP routes that read Redis (`GET /rooms/:room`, the debug views). */
export interface HttpLimits {
  /** Requests per second per bearer token (sustained / burst). @default 5 / 20 */
  snapshotRate: number;
  snapshotBurst: number;
  /** Requests per second per client address, whatever the token (sustained / burst). @default 50 / 100 */
  snapshotAddressRate: number;
  snapshotAddressBurst: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  snapshotRate: 5,
  snapshotBurst: 20,
  snapshotAddressRate: 50,
  snapshotAddressBurst: 100,
};

/**
 * One connection's limits. Each breach is a JobcastError with its own code, which the
 * handler acks to the client, logs and counts; a client that keeps breaching is closed.
 */
export class SocketGuard {
  readonly #limits: SocketLimits;
  readonly #messages: TokenBucket;
  readonly #subscribes: TokenBucket;
  #breachesInARow = 0;

  constructor(limits: SocketLimits) {
    this.#limits = limits;
    this.#messages = new TokenBucket(limits.messageRate, limits.messageBurst);
    this.#subscribes = new TokenBucket(limits.subscribeRate, limits.subscribeBurst);
  }

  /** Checks any incoming message: rate, then size. */
  checkMessage(payload: unknown): void {
    if (!this.#messages.take()) throw this.#breach('RATE_LIMITED', 'Too many messages on this connection; slow down.');
    const size = approximateSize(payload, this.#limits.maxMessageBytes);
    if (size > this.#limits.maxMessageBytes) {
      throw this.#breach('PAYLOAD_TOO_LARGE', `Messages may carry at most ${this.#limits.maxMessageBytes} bytes of JSON.`);
    }
  }

  /** Checks a subscribe on top of `checkMessage`: rate, and how many rooms are held. */
  checkSubscribe(roomsHeld: number, alreadyHeld: boolean): void {
    if (!this.#subscribes.take()) throw this.#breach('RATE_LIMITED', 'Too many subscribe requests; slow down.');
    if (!alreadyHeld && roomsHeld >= this.#limits.maxSubscriptions) {
      throw this.#breach('TOO_MANY_SUBSCRIPTIONS', `A connection may hold at most ${this.#limits.maxSubscriptions} subscriptions.`);
    }
  }

  /** Refused messages in a row after which the connection is closed. */
  get maxConsecutiveBreaches(): number {
    return this.#limits.maxConsecutiveBreaches;
  }

  /** A message went through: the run of breaches is over. */
  passed(): void {
    this.#breachesInARow = 0;
  }

  /** True once the client has breached so often in a row that it should be disconnected. */
  get exhausted(): boolean {
    return this.#breachesInARow >= this.#limits.maxConsecutiveBreaches;
  }

  #breach(code: ErrorCode, message: string): JobcastError {
    this.#breachesInARow += 1;
    return new JobcastError(code, message);
  }
}

/** JSON size of a payload (already bounded by Socket.IO's maxHttpBufferSize). */
function approximateSize(payload: unknown, limit: number): number {
  if (typeof payload === 'string') return payload.length;
  try {
    return JSON.stringify(payload)?.length ?? 0;
  } catch {
    return limit + 1; // cyclic or otherwise unserializable: not a protocol message
  }
}
