import { HEARTBEAT_MAX_ROOMS } from '../shared/protocol.js';
import type { HeartbeatRequest, HeartbeatRoom, HeartbeatRoomState } from '../shared/index.js';
import { toErrorMessage } from './errors.js';
import type { LogInput } from './eventLog.js';
import { OneShotTimer } from './timer.js';
import { HeartbeatAckSchema } from './wireSchemas.js';

/** JSON budget of one heartbeat, under the server's 4 KiB per message; more rooms go in several heartbeats. */
const HEARTBEAT_MAX_BYTES = 3_500;
/** A timer this late means the process (or the laptop) slept: probe again before calling the connection dead. */
const LATE_TIMER_MS = 1_000;

/** One room's part in a heartbeat, and where its answer goes. */
export interface HeartbeatEntry {
  readonly entry: HeartbeatRoom;
  deliver(answer: HeartbeatRoomState): void;
}

/** What a {@link Heartbeat} needs from the client. */
export interface HeartbeatDeps {
  /** Time between an answer and the next heartbeat; 0 turns heartbeats off. */
  readonly intervalMs: number;
  /** How long an answer may take before the connection counts as dead. */
  readonly timeoutMs: number;
  /** The subscribed rooms with their cursors, read at each heartbeat. */
  entries(): HeartbeatEntry[];
  /** Sends one heartbeat; resolves with the raw ack (the server always answers, even without cursors). */
  send(request: HeartbeatRequest): Promise<unknown>;
  /** No answer and nothing else heard within the timeout: the connection is dead or asleep. */
  dead(detail: string): void;
  log(entry: LogInput): void;
}

/**
 * The application-level heartbeat of one client. While connected it sends the subscribed rooms'
 * cursors every `intervalMs`; an answer proves the connection alive and hands each room the
 * server's cursor (a room behind it replays what it missed). Anything heard from the server
 * counts as alive too, so a busy connection is never killed for a slow answer.
 */
export class Heartbeat {
  readonly #deps: HeartbeatDeps;
  readonly #next = new OneShotTimer();
  readonly #deadline = new OneShotTimer();
  /** Bumped by start and stop, so answers on an old connection are ignored. */
  #round = 0;
  #running = false;
  #lastHeardAt = 0;

  constructor(deps: HeartbeatDeps) {
    this.#deps = deps;
  }

  /** The connection is up: start beating. */
  start(): void {
    if (this.#deps.intervalMs <= 0) return;
    this.stop();
    this.#running = true;
    this.#lastHeardAt = Date.now();
    this.#schedule(this.#deps.intervalMs);
  }

  /** The connection is gone: stop, and forget answers still on their way. */
  stop(): void {
    this.#running = false;
    this.#round += 1;
    this.#next.cancel();
    this.#deadline.cancel();
  }

  /** Something arrived from the server: the connection is alive right now. */
  heard(): void {
    this.#lastHeardAt = Date.now();
  }

  /** Checks the connection at once (the page became visible, the network came back). */
  beatNow(): void {
    if (this.#running && !this.#deadline.pending) this.#beat();
  }

  #schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    this.#next.start(delayMs, () => this.#beat(Date.now() - due > LATE_TIMER_MS));
  }

  #beat(afterSleep = false): void {
    this.#next.cancel();
    const round = this.#round;
    const sentAt = Date.now();
    const entries = this.#deps.entries();
    for (const chunk of chunked(entries)) {
      const byRoom = new Map(chunk.map((item) => [item.entry.room, item]));
      this.#deps.send({ rooms: chunk.map((item) => item.entry) }).then(
        (raw) => round === this.#round && this.#answered(raw, byRoom),
        (error: unknown) => round === this.#round && this.#deps.log({ kind: 'heartbeat', message: toErrorMessage(error), detail: 'send failed' }),
      );
    }
    const due = sentAt + this.#deps.timeoutMs;
    this.#deadline.start(this.#deps.timeoutMs, () => this.#expired(sentAt, due, afterSleep));
  }

  #answered(raw: unknown, byRoom: ReadonlyMap<string, HeartbeatEntry>): void {
    this.heard();
    if (this.#deadline.pending) {
      this.#deadline.cancel();
      this.#schedule(this.#deps.intervalMs);
    }
    const parsed = HeartbeatAckSchema.safeParse(raw);
    if (!parsed.success) {
      this.#deps.log({ kind: 'invalid-message', detail: `heartbeat ack: ${parsed.error.message.slice(0, 500)}` });
      return;
    }
    if (!parsed.data.ok) {
      this.#deps.log({ kind: 'heartbeat', code: parsed.data.error.code, message: parsed.data.error.message, detail: 'refused' });
      return;
    }
    for (const answer of parsed.data.rooms) byRoom.get(answer.room)?.deliver(answer);
  }

  #expired(sentAt: number, due: number, afterSleep: boolean): void {
    if (this.#lastHeardAt > sentAt) {
      // The server is talking, just not answering yet: alive. Check again soon.
      this.#deps.log({ kind: 'heartbeat', detail: `no answer in ${this.#deps.timeoutMs} ms, but other traffic arrived` });
      return this.#schedule(this.#deps.intervalMs);
    }
    if (Date.now() - due > LATE_TIMER_MS && !afterSleep) {
      // Our own timer ran late: this process was stalled or asleep, so the answer may be waiting unread. Probe once more.
      return this.#beat(true);
    }
    this.#running = false;
    this.#deps.dead(`no answer to the heartbeat within ${this.#deps.timeoutMs} ms`);
  }
}

/** Splits the entries into heartbeats that each stay under the size and room limits (at least one, even when empty). */
function chunked(entries: HeartbeatEntry[]): HeartbeatEntry[][] {
  const chunks: HeartbeatEntry[][] = [[]];
  let bytes = 0;
  for (const item of entries) {
    const size = JSON.stringify(item.entry).length + 1;
    const current = chunks[chunks.length - 1]!;
    if (current.length > 0 && (bytes + size > HEARTBEAT_MAX_BYTES || current.length >= HEARTBEAT_MAX_ROOMS)) {
      chunks.push([item]);
      bytes = size;
    } else {
      current.push(item);
      bytes += size;
    }
  }
  return chunks;
}
