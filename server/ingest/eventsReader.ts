import type { Redis } from 'ioredis';
import type { Logger } from '../options.js';
import type { StreamEvent } from './buildStatus.js';

export interface EventsReaderOptions {
  queue: string;
  /** BullMQ's events stream key, e.g. `bull:summaries:events`. */
  streamKey: string;
  /** Key of the shared "last ingested" stream id: where a restarted reader resumes. */
  cursorKey: string;
  /** A connection of its own: XREAD BLOCK holds it. */
  blocking: Redis;
  /** The shared command connection, for cursor reads. */
  redis: Redis;
  batchSize: number;
  blockMs: number;
  onBatch: (events: StreamEvent[]) => Promise<void>;
  /** Called when the events this reader should resume from were trimmed away: jobs must be reconciled. */
  onGap: (reason: 'stream-trimmed' | 'redis-reconnected') => Promise<void>;
  logger: Logger;
}

export interface ReaderHealth {
  queue: string;
  running: boolean;
  lastEventId: string | undefined;
  lastReadAt: number | undefined;
  eventsRead: number;
  errors: number;
}

/**
 * Reads one queue's BullMQ events stream with XREAD, in order, a batch at a time: the next
 * read waits until the batch is ingested, so a burst cannot pile up in memory. It resumes
 * from the stored cursor, and notices when the stream was trimmed past it.
 */
export class EventsReader {
  readonly #options: EventsReaderOptions;
  #closed = false;
  #loop: Promise<void> | undefined;
  #health: ReaderHealth;

  constructor(options: EventsReaderOptions) {
    this.#options = options;
    this.#health = { queue: options.queue, running: false, lastEventId: undefined, lastReadAt: undefined, eventsRead: 0, errors: 0 };
  }

  get health(): ReaderHealth {
    return { ...this.#health };
  }

  /** Resolves once the reader knows where to start, so events after this point are never missed. */
  async start(): Promise<void> {
    const from = await this.#startPosition();
    this.#health.running = true;
    this.#loop = this.#run(from);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.blocking.disconnect();
    await this.#loop?.catch(() => undefined);
    this.#health.running = false;
  }

  async #startPosition(): Promise<string> {
    const { redis, streamKey, cursorKey } = this.#options;
    const stored = await redis.get(cursorKey);
    if (stored) {
      if (await this.#trimmedPast(stored)) await this.#options.onGap('stream-trimmed');
      return stored;
    }
    // No cursor yet: start at the newest entry that exists now (not '$', which would lose
    // whatever is written between this call and the first XREAD).
    const newest = await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
    const id = newest[0]?.[0] ?? '0-0';
    await redis.set(cursorKey, id, 'NX');
    return id;
  }

  /** True when entries after `cursor` may have been trimmed: the cursor entry is gone and the stream now starts later. */
  async #trimmedPast(cursor: string): Promise<boolean> {
    const { redis, streamKey } = this.#options;
    if (cursor === '0-0') return false;
    const [atCursor, oldest] = await Promise.all([
      redis.xrange(streamKey, cursor, cursor),
      redis.xrange(streamKey, '-', '+', 'COUNT', 1),
    ]);
    if (atCursor.length > 0) return false;
    const oldestId = oldest[0]?.[0];
    // An empty stream after we had read from it: trimmed to nothing, or lost.
    return oldestId === undefined || compareStreamIds(oldestId, cursor) > 0;
  }

  async #run(from: string): Promise<void> {
    const { blocking, streamKey, batchSize, blockMs, logger } = this.#options;
    let position = from;
    let failures = 0;
    while (!this.#closed) {
      try {
        const reply = (await blocking.xread('COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', streamKey, position)) as
          | Array<[string, Array<[string, string[]]>]>
          | null;
        if (failures > 0) {
          failures = 0;
          // We were cut off from Redis: whatever happened meanwhile may be trimmed or lost.
          if (await this.#trimmedPast(position)) await this.#options.onGap('stream-trimmed');
          else await this.#options.onGap('redis-reconnected');
        }
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        const events = entries.map(([id, flat]) => toStreamEvent(id, flat));
        await this.#options.onBatch(events);
        position = events[events.length - 1]!.id;
        this.#health.lastEventId = position;
        this.#health.lastReadAt = Date.now();
        this.#health.eventsRead += events.length;
      } catch (error) {
        if (this.#closed) break;
        failures++;
        this.#health.errors++;
        logger.warn({ queue: this.#options.queue, err: error, failures }, 'events stream read failed; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }
}

function toStreamEvent(id: string, flat: string[]): StreamEvent {
  const fields: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return { id, name: fields.event ?? '', fields };
}

/** Orders two stream ids ("ms-seq") numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref?.());
