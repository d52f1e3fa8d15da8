import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ReconcileReason } from '../../shared/index.js';
import type { Logger } from '../options.js';
import type { Keys } from '../store/keys.js';
import type { Ingestor } from './ingestor.js';
import type { JobRead, ReconcileRead, Sighting } from './reconciledStatus.js';
import { readJobFacts, toJobFacts } from './jobFacts.js';
import { compareStreamIds, streamIdTime, toStreamEvent } from './streamEvent.js';
import { parseRoute, schedulerIdOf, type Route } from './routing.js';
import type { WorkerView } from './workerWatch.js';

/** Jobs checked per round trip. */
const CHUNK = 200;

/** Stream entries not yet ingested that a reconciliation reads beside the jobs; more, and it waits for the reader. */
const UNREAD_LIMIT = 1_000;

/**
 * How often a busy read loop takes the checks subscribers asked for: each take is a round trip,
 * and a loop that reads a batch every few milliseconds would otherwise add it to every batch.
 * (An idle loop gets here once per blocking read, every second.)
 */
const CHECKS_EVERY_MS = 200;

/**
 * The periodic passes, each due every `sweepIntervalMs`, in this order: the workers' read (and
 * the warnings it changes), the sweep of unfinished jobs (do they still exist?), and the routes
 * no `added` event has taken yet.
 */
const PASSES = ['workers', 'sweep', 'pending'] as const;
type Pass = (typeof PASSES)[number];

/** Finished jobs (per set) looked at for job schedulers' jobs finished in a gap. */
const FINISHED_CHECKED = 5_000;

/** BullMQ's sorted sets that place a job, checked in this order; then the active list. */
const SETS = ['completed', 'failed', 'delayed', 'prioritized', 'waiting-children'] as const;


/**
 * Brings rooms back to BullMQ's truth where events cannot: after the stream was trimmed past
 * what was read or Redis was unreachable (every unfinished job's state is read again), for
 * jobs that vanished without any event (`drain`, `obliterate`, `clean`: unfinished jobs are
 * checked for existence every `sweepIntervalMs`), and for jobs a subscriber saw unfinished.
 * On the same beat it reads the queue's workers, so unfinished jobs carry worker warnings
 * (nobody will run it, its worker died) within seconds, whatever happens on the stream.
 * It runs in the ingesting node's read loop, when that loop has read the stream to its end,
 * and reads the entries written since in the same MULTI as the jobs: a job with one of those
 * unread events is left to it, so what it pushes is never older than an event to come.
 */
export class Reconciler {
  readonly #queue: Queue;
  readonly #redis: Redis;
  readonly #keys: Keys;
  readonly #ingestor: Ingestor;
  readonly #sweepIntervalMs: number;
  readonly #readWorkers: () => Promise<WorkerView>;
  readonly #logger: Logger;
  #lastChecksAt = 0;
  readonly #lastPassAt: Record<Pass, number> = { workers: 0, sweep: 0, pending: 0 };
  #gap: ReconcileReason | undefined;
  /** Where the stream was read up to when the gap began: jobs finished after it may be unknown. */
  #gapSince: string | undefined;
  #sweepCursor = '0';

  constructor(args: { queue: Queue; redis: Redis; keys: Keys; ingestor: Ingestor; sweepIntervalMs: number; readWorkers: () => Promise<WorkerView>; logger: Logger }) {
    this.#queue = args.queue;
    this.#redis = args.redis;
    this.#keys = args.keys;
    this.#ingestor = args.ingestor;
    this.#sweepIntervalMs = args.sweepIntervalMs;
    this.#readWorkers = args.readWorkers;
    this.#logger = args.logger;
  }

  /** Events may have been missed (after `since`, when known): read every unfinished job's state at the next chance. */
  markGap(reason: ReconcileReason, since?: string): void {
    this.#gap ??= reason;
    if (since !== undefined && (this.#gapSince === undefined || compareStreamIds(since, this.#gapSince) < 0)) this.#gapSince = since;
  }

  /**
   * Called by the read loop whenever it has read up to the stream's end (`position`); `busy`
   * when it has just ingested events. Each pass holds the loop for a few round trips, so a busy
   * loop runs at most one due pass per call and ingests between them (all three at once held
   * it for up to 110 ms under load); an idle loop, called once per blocking read, runs them all.
   */
  async whenCaughtUp(position: string | undefined, { busy }: { busy: boolean } = { busy: false }): Promise<void> {
    const openKey = this.#keys.queueOpenJobs(this.#queue.name);
    if (this.#gap) {
      // Unfinished jobs, and routed jobs whose `added` event was never read (trimmed away).
      const [open, pending] = await Promise.all([this.#redis.smembers(openKey), this.#redis.smembers(this.#keys.queuePendingRoutes(this.#queue.name))]);
      // And jobs of routed job schedulers that finished in the gap: nothing else names them.
      const scheduled = this.#gapSince === undefined ? new Map<string, Route>() : await this.#schedulerJobsFinishedSince(streamIdTime(this.#gapSince));
      const jobIds = [...new Set([...open, ...pending, ...scheduled.keys()])];
      this.#logger.info({ queue: this.#queue.name, reason: this.#gap, jobs: jobIds.length }, 'reconciling unfinished jobs from BullMQ');
      if (!(await this.#run(jobIds, this.#gap, position, true, new Set(pending), scheduled))) return;
      this.#gap = undefined;
      this.#gapSince = undefined;
    }
    if (Date.now() - this.#lastChecksAt >= CHECKS_EVERY_MS) {
      this.#lastChecksAt = Date.now();
      const asked = (await this.#redis.spop(this.#keys.queueChecks(this.#queue.name), CHUNK)) ?? [];
      // Routes too: a job asked about may never have had an event (deduplicated without one).
      if (asked.length > 0 && !(await this.#run(asked, 'checked', position, true, new Set(asked)))) {
        await this.#redis.sadd(this.#keys.queueChecks(this.#queue.name), ...asked); // try again next time
        this.#lastChecksAt = 0;
        return;
      }
    }
    for (const pass of PASSES) {
      if (Date.now() - this.#lastPassAt[pass] < this.#sweepIntervalMs) continue;
      this.#lastPassAt[pass] = Date.now();
      if (!(await this.#runPass(pass, openKey, position)) || busy) return;
    }
  }

  /** One periodic pass; false when the reader is too far behind for it (it runs again in `sweepIntervalMs`). */
  async #runPass(pass: Pass, openKey: string, position: string | undefined): Promise<boolean> {
    if (pass === 'workers') {
      const view = await this.#readWorkers();
      await this.#ingestor.applyWorkerView(view, await this.#redis.smembers(openKey));
      return true;
    }
    if (pass === 'sweep') {
      const [next, jobIds] = await this.#redis.sscan(openKey, this.#sweepCursor, 'COUNT', CHUNK);
      if (jobIds.length > 0 && !(await this.#run(jobIds, 'vanished', position, false))) return false;
      this.#sweepCursor = next;
      return true;
    }
    // Routes no `added` event has taken yet: normally adds in flight (left alone), else jobs whose
    // start was trimmed away unread, adopted once their record proves them or they are long gone.
    const pending = await this.#redis.srandmember(this.#keys.queuePendingRoutes(this.#queue.name), CHUNK);
    return pending.length === 0 || this.#run(pending, 'checked', position, true, new Set(pending));
  }

  /** Jobs added by a job scheduler with a recorded route (`routeScheduler`), finished (completed or failed) since `sinceMs`. */
  async #schedulerJobsFinishedSince(sinceMs: number): Promise<Map<string, Route>> {
    const queue = this.#queue;
    const finished = await Promise.all(
      (['completed', 'failed'] as const).map((set) => this.#redis.zrangebyscore(queue.keys[set]!, sinceMs, '+inf', 'LIMIT', 0, FINISHED_CHECKED)),
    );
    const scheduled = finished.flat().flatMap((jobId) => {
      const schedulerId = schedulerIdOf(jobId);
      return schedulerId === undefined ? [] : [{ jobId, schedulerId }];
    });
    if (scheduled.length === 0) return new Map();
    const schedulers = [...new Set(scheduled.map(({ schedulerId }) => schedulerId))];
    const texts = await this.#redis.mget(schedulers.map((id) => this.#keys.schedulerRoute(queue.name, id)));
    const routes = new Map(schedulers.map((id, index) => [id, parseRoute(texts[index])] as const));
    const jobs = new Map<string, Route>();
    for (const { jobId, schedulerId } of scheduled) {
      const route = routes.get(schedulerId);
      if (route) jobs.set(jobId, route);
    }
    return jobs;
  }

  async #run(
    jobIds: string[],
    reason: ReconcileReason,
    position: string | undefined,
    withState: boolean,
    pending = new Set<string>(),
    scheduled = new Map<string, Route>(),
  ): Promise<boolean> {
    for (let start = 0; start < jobIds.length; start += CHUNK) {
      const chunk = jobIds.slice(start, start + CHUNK);
      const done = await this.#ingestor.reconcile({ jobIds: chunk, reason, position, read: (ids) => this.#read(ids, withState, pending, position, scheduled) });
      if (!done) return false;
    }
    return true;
  }

  /** Each job's record (and BullMQ state) and the stream's newest id, at one instant. */
  async #read(
    jobIds: string[],
    withState: boolean,
    pending: ReadonlySet<string>,
    position: string | undefined,
    scheduled: ReadonlyMap<string, Route>,
  ): Promise<ReconcileRead> {
    const queue = this.#queue;
    const multi = this.#redis.multi();
    for (const jobId of jobIds) {
      if (pending.has(jobId)) multi.hgetall(this.#keys.routeVersions(queue.name, jobId)).hgetall(this.#keys.queueSightings(queue.name, jobId));
      readJobFacts(multi, queue.toKey(jobId), false);
      if (!withState) continue;
      for (const set of SETS) multi.zscore(queue.keys[set]!, jobId);
      multi.lpos(queue.keys.active!, jobId);
    }
    multi.xrange(queue.keys.events!, position ? `(${position}` : '-', '+', 'COUNT', UNREAD_LIMIT);
    const replies = ((await multi.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const perJob = withState ? SETS.length + 2 : 1;
    const jobs = new Map<string, JobRead>();
    let base = 0;
    jobIds.forEach((jobId) => {
      const versions = pending.has(jobId) ? (replies[base++] as Record<string, string>) : undefined;
      const sightings = pending.has(jobId) ? parseSightings(replies[base++] as Record<string, string>) : [];
      const facts = toJobFacts(replies[base]);
      let state: string | undefined;
      if (withState && facts) {
        const placed = SETS.findIndex((_, offset) => replies[base + 1 + offset] !== null);
        const set = placed >= 0 ? SETS[placed]! : undefined;
        state = set === 'prioritized' ? 'waiting' : (set ?? (replies[base + 1 + SETS.length] !== null ? 'active' : 'waiting'));
      }
      const read: JobRead = versions ? { facts, state, versions } : { facts, state };
      const schedulerRoute = scheduled.get(jobId);
      if (schedulerRoute) read.schedulerRoute = schedulerRoute;
      if (sightings.length > 0) read.sightings = sightings;
      jobs.set(jobId, read);
      base += perJob;
    });
    const entries = replies[replies.length - 1] as Array<[string, string[]]>;
    const unread = entries.length >= UNREAD_LIMIT ? undefined : entries.map(([id, flat]) => toStreamEvent(id, flat));
    return { unread, jobs };
  }
}

/** The rooms that showed subscribers the job unfinished, and which incarnation (`queueSightings`). */
const parseSightings = (hash: Record<string, string>): Sighting[] => Object.entries(hash).map(([room, incarnation]) => ({ room, incarnation }));
