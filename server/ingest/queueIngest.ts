import type { Redis } from 'ioredis';
import type { Logger } from '../options.js';
import { LeaseLostError, type ReadAhead } from './batchOutcome.js';
import type { Ingestor } from './ingestor.js';
import type { QueueLease } from './queueLease.js';
import type { Reconciler } from './reconciler.js';
import { compareStreamIds, toStreamEvent } from './streamEvent.js';

export interface QueueIngestOptions {
  queue: string;
  nodeId: string;
  /** BullMQ's events stream key, e.g. `bull:summaries:events`. */
  streamKey: string;
  /** Key of the stored "last ingested" stream id: where the next lease holder resumes. */
  cursorKey: string;
  /** A connection of its own: XREAD BLOCK holds it. */
  blocking: Redis;
  /** The shared command connection. */
  redis: Redis;
  lease: QueueLease;
  leaseTtlMs: number;
  ingestor: Ingestor;
  reconciler: Reconciler;
  batchSize: number;
  blockMs: number;
  logger: Logger;
}

/** `standby`: another node ingests this queue (or none yet); `ingesting`: this node holds the lease. */
export type IngestRole = 'standby' | 'ingesting' | 'closed';

export interface ReaderHealth {
  queue: string;
  role: IngestRole;
  /** False only once closed: a standby node is healthy, it takes over when the ingesting node dies. */
  running: boolean;
  lastEventId: string | undefined;
  lastReadAt: number | undefined;
  eventsRead: number;
  errors: number;
}

/**
 * One queue's events, read by one node of the deployment at a time. Every node runs one per
 * queue: it tries to take the queue's lease; the holder reads the stream in order from the
 * stored position, a batch at a time (the next read waits until the batch is ingested, so a
 * burst cannot pile up in memory), and renews the lease; the others retry every third of the
 * lease's TTL, so a dead holder is replaced within about one TTL and resumes where it stopped.
 */
export class QueueIngest {
  readonly #options: QueueIngestOptions;
  #role: IngestRole = 'standby';
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** A tick still running when the next is due (a slow Redis): the next one is skipped, never run beside it. */
  #ticking = false;
  #health: Omit<ReaderHealth, 'role' | 'running'> = { queue: '', lastEventId: undefined, lastReadAt: undefined, eventsRead: 0, errors: 0 };

  constructor(options: QueueIngestOptions) {
    this.#options = options;
    this.#health.queue = options.queue;
  }

  get health(): ReaderHealth {
    return { ...this.#health, role: this.#role, running: this.#role !== 'closed' };
  }

  /** Resolves once this node either ingests the queue from its stored position, or stands by. */
  async start(): Promise<void> {
    await this.#tick();
    this.#timer = setInterval(() => void this.#tick(), Math.max(100, Math.floor(this.#options.leaseTtlMs / 3)));
    this.#timer.unref();
  }

  /**
   * Stops reading, lets a batch being written finish, and gives the lease up. Each wait is bounded
   * (CLOSE_WAIT_MS): with Redis unreachable, a command waits out ioredis's retries (about half a
   * minute), and a server must still close. A batch cut short is read again by the next holder.
   */
  async close(): Promise<void> {
    if (this.#role === 'closed') return;
    this.#role = 'closed';
    clearInterval(this.#timer);
    this.#options.blocking.disconnect();
    await Promise.race([this.#loop?.catch(() => undefined), sleep(CLOSE_WAIT_MS)]);
    await Promise.race([this.#options.lease.release(), sleep(CLOSE_WAIT_MS)]);
  }

  /** Renews the lease while ingesting; tries to take it while standing by. */
  async #tick(): Promise<void> {
    const { lease, logger, queue, nodeId } = this.#options;
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      if (this.#role === 'ingesting') {
        if (!(await lease.renew())) logger.warn({ queue, nodeId }, 'lost the ingest lease; another node ingests now');
        return;
      }
      if (this.#role !== 'standby' || this.#loop) return;
      const token = await lease.tryAcquire(nodeId);
      if (!token) return;
      let from: string;
      try {
        from = await this.#startPosition();
      } catch (error) {
        await lease.release(); // let any node (this one, next time) start cleanly
        throw error;
      }
      if (this.health.role === 'closed') { // closed while the lease was being taken
        await lease.release();
        return;
      }
      this.#role = 'ingesting';
      logger.info({ queue, nodeId, from }, 'ingesting queue events');
      this.#options.ingestor.begin(token);
      this.#loop = this.#read(token, from).finally(() => {
        this.#loop = undefined;
        if (this.#role === 'ingesting') this.#role = 'standby';
      });
    } catch (error) {
      this.#health.errors++;
      logger.warn({ queue, err: error }, 'ingest lease check failed; retrying');
    } finally {
      this.#ticking = false;
    }
  }

  async #startPosition(): Promise<string> {
    const stored = await this.#options.redis.get(this.#options.cursorKey);
    // Nothing ingested yet (or Redis lost it): read what the stream still holds.
    if (!stored) return '0-0';
    if (await this.#trimmedPast(stored)) this.#markTrimmed(stored);
    return stored;
  }

  /** Events after `position` were trimmed away unread: reconcile, and distrust records from before. */
  #markTrimmed(position: string): void {
    const { logger, queue } = this.#options;
    logger.warn(
      { queue, after: position },
      'the events stream no longer holds what followed this queue\'s last ingested event: trimmed while the ingest was down or behind by more than the stream keeps (raise eventsMaxLen), or the queue was obliterated. ' +
        'Unfinished jobs are read again from BullMQ; a job removed since without its final event read shows unknown',
    );
    this.#options.reconciler.markGap('stream-trimmed', position);
    this.#options.ingestor.markHole(position);
  }

  /** True when entries after `position` may have been trimmed: the stream now starts later. */
  async #trimmedPast(position: string): Promise<boolean> {
    if (position === '0-0') return false;
    const oldest = await this.#options.redis.xrange(this.#options.streamKey, '-', '+', 'COUNT', 1);
    const oldestId = oldest[0]?.[0];
    // An empty stream after we had read from it: trimmed to nothing, or obliterated.
    return oldestId === undefined || compareStreamIds(oldestId, position) > 0;
  }

  async #read(token: string, from: string): Promise<void> {
    const { blocking, streamKey, batchSize, blockMs, logger, queue, lease, ingestor, reconciler } = this.#options;
    let position = from;
    let failures = 0;
    let lagging = false;
    /** The entries after `position`, read with the last batch's records: the next batch, with no XREAD. */
    let ahead: ReadAhead = { events: [], trimmedBefore: false };
    while (this.#role === 'ingesting' && lease.token === token) {
      try {
        let events = ahead.events;
        ahead = { events: [], trimmedBefore: false };
        if (events.length === 0) {
          // Behind by a full batch: the stream may have been trimmed past us meanwhile.
          if (lagging && (await this.#trimmedPast(position))) this.#markTrimmed(position);
          const reply = (await blocking.xread('COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', streamKey, position)) as
            | Array<[string, Array<[string, string[]]>]>
            | null;
          if (failures > 0) {
            failures = 0;
            // We were cut off from Redis: whatever happened meanwhile may be trimmed or lost.
            if (await this.#trimmedPast(position)) this.#markTrimmed(position);
            else reconciler.markGap('redis-reconnected');
          }
          events = (reply?.[0]?.[1] ?? []).map(([id, flat]) => toStreamEvent(id, flat));
        }
        lagging = events.length >= batchSize;
        if (events.length > 0) {
          // After a full batch, the next one is what this batch's read found after it. After a
          // shorter one the reconciler runs, and a reconciled state must never overtake an event:
          // only what is read after it is ingested after it, so the next batch is read again.
          const found = await ingestor.ingestBatch(events, { readNext: lagging });
          position = events[events.length - 1]!.id;
          this.#health.lastEventId = position;
          this.#health.lastReadAt = Date.now();
          this.#health.eventsRead += events.length;
          if (lagging) ahead = found;
          // Behind by a full batch: the stream may have been trimmed past us meanwhile.
          if (ahead.events.length > 0 && ahead.trimmedBefore) this.#markTrimmed(position);
        }
        if (!lagging) await reconciler.whenCaughtUp(position, { busy: events.length > 0 });
      } catch (error) {
        ahead = { events: [], trimmedBefore: false }; // read again from `position`
        if (error instanceof LeaseLostError) {
          logger.warn({ queue }, 'another node took over ingesting this queue');
          break;
        }
        if (this.#role !== 'ingesting') break;
        failures++;
        this.#health.errors++;
        logger.warn({ queue, err: error, failures }, 'ingesting the events stream failed; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

/** How long closing waits for the batch being written, then for the lease's release. */
const CLOSE_WAIT_MS = 2_000;
