import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isTerminalStatus, type JobStatus, type StatusEvent } from '../../shared/index.js';
import type { Logger } from '../options.js';
import type { RoomStore } from '../store/roomStore.js';
import { JOB_EVENTS, buildStatus, type StreamEvent } from './buildStatus.js';
import { readJobSnapshot } from './jobSnapshot.js';
import type { Projection } from './projection.js';
import type { Route, RouteTable } from './routing.js';
import type { Keys } from '../store/keys.js';

/** Delivers an ingested event to this node's own sockets in its room. */
export type LocalEmit = (event: StatusEvent) => void;

export interface IngestorOptions {
  queue: Queue;
  redis: Redis;
  store: RoomStore;
  routes: RouteTable;
  projection: Projection | undefined;
  emit: LocalEmit;
  logger: Logger;
  keys: Keys;
  /** The worker version this server expects (flags STALE_WORKER). */
  expectedWorkerVersion?: string | undefined;
  /** Told about each event this node ingested first (not one another node had), with its lag from BullMQ. */
  onIngested?: (queue: string, lifecycle: StatusEvent['event'], status: JobStatus, lagMs: number | undefined) => void;
  /** Told about each event that no room listens to, for the debug views. */
  onUnrouted?: (queue: string, jobId: string, event: string) => void;
}

const ADVANCE_CURSOR = `
local current = redis.call('GET', KEYS[1])
local function parts(id) local m, s = string.match(id, '^(%d+)-(%d+)$'); return tonumber(m), tonumber(s) end
if current then
  local cm, cs = parts(current)
  local nm, ns = parts(ARGV[1])
  if cm and nm and (nm < cm or (nm == cm and ns <= cs)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

interface Prepared {
  event: StreamEvent;
  jobId: string;
  route: Route;
  job: Job | undefined;
  /** The room's last status of the job, read when neither the job nor a recent status is at hand. */
  stored: JobStatus | undefined;
  workersListening: number | undefined;
}

/** Jobs whose last status each ingestor keeps in memory. */
const RECENT_JOBS = 20_000;

/** How long a count of the workers listening on a queue is trusted (it costs a CLIENT LIST). */
const WORKER_COUNT_TTL_MS = 2_000;

/**
 * One queue's ingestion: stream event → routed rooms → public status → room store → this
 * node's sockets. Every node runs one per queue; the store makes the cursor exactly-once,
 * and each node emits only to its own sockets, so a client gets each event once.
 */
export class Ingestor {
  readonly #options: IngestorOptions;
  readonly #keys: Keys;
  readonly #recent = new Map<string, JobStatus>();
  readonly #redis: Redis & { jobcastAdvanceCursor(key: string, id: string): Promise<number> };

  constructor(options: IngestorOptions) {
    this.#options = options;
    this.#keys = options.keys;
    options.redis.defineCommand('jobcastAdvanceCursor', { lua: ADVANCE_CURSOR, numberOfKeys: 1 });
    this.#redis = options.redis as IngestorOptions['redis'] & { jobcastAdvanceCursor(key: string, id: string): Promise<number> };
  }

  /**
   * Ingests a batch: job reads run in parallel; each job's statuses are built and appended in
   * stream order (its previous status is the one built just before), while jobs do not wait
   * for one another. A job's hash is not read again for a progress event, or for the
   * completion of a job this node saw start: the event and the previous status hold all the
   * status needs (a Redis round trip saved on the most frequent events).
   */
  async ingestBatch(events: StreamEvent[]): Promise<void> {
    const running = new Map<string, boolean>();
    const plans = coalesceProgress(events).map((event) => {
      const jobId = subjectOf(event);
      if (!JOB_EVENTS.has(event.name) || !jobId) return undefined;
      const wasRunning = running.get(jobId) ?? this.#recent.get(jobId)?.state === 'active';
      const known = running.has(jobId) || this.#recent.has(jobId);
      const readJob = event.name !== 'deduplicated' && !(known && (event.name === 'progress' || (event.name === 'completed' && wasRunning)));
      running.set(jobId, event.name === 'active' || event.name === 'progress');
      return { event, jobId, readJob };
    });
    // One route lookup per job and batch: an event that does not read its job (a completion
    // right after its start, in the same batch) must not race the read that finds its rooms.
    const routes = new Map<string, Promise<Route | undefined>>();
    // Each job's events are built and appended in stream order, one after the other; different
    // jobs do not wait for each other, so a completion never waits on another job's read.
    const chains = new Map<string, Promise<void>>();
    for (const plan of plans) {
      if (!plan) continue;
      const preparing = this.#prepare(plan, routes);
      const previousStep = chains.get(plan.jobId) ?? Promise.resolve();
      chains.set(
        plan.jobId,
        previousStep.then(async () => {
          const item = await preparing;
          if (!item) return;
          const { status, lifecycle } = buildStatus({
            queue: this.#options.queue.name,
            jobId: item.jobId,
            event: item.event,
            job: item.job,
            previous: this.#recent.get(item.jobId) ?? item.stored,
            route: item.route,
            projection: this.#options.projection,
            now: Date.now(),
            logger: this.#options.logger,
            expectedWorkerVersion: this.#options.expectedWorkerVersion,
            workersListening: item.workersListening,
          });
          this.#remember(item.jobId, status);
          await this.#appendStatus(item.jobId, item.route, lifecycle, status, item.event.id);
        }),
      );
    }
    await Promise.all(chains.values());
    // The stored position moves once the whole batch is in: a node that dies mid-batch reads it
    // again on restart, and the per-job check in the store skips what was already ingested.
    const lastId = events[events.length - 1]?.id;
    if (lastId) await this.#redis.jobcastAdvanceCursor(this.#keys.queueCursor(this.#options.queue.name), lastId);
  }

  /**
   * Pushes a job's real state, read from BullMQ, when it differs from what its rooms last saw
   * (after a trimmed stream, a Redis reconnect, or a subscribe that found a stale state).
   * A job that is gone without a terminal event becomes `unknown`, never "active" forever.
   */
  async reconcile(jobId: string): Promise<void> {
    const { queue, logger, store } = this.#options;
    // The job, its state and the stream position in one instant: events up to that position
    // are reflected in the state, so the store drops any of them still on their way.
    const { job, state, streamPosition: asOf } = await readJobSnapshot(this.#redis, queue, jobId);
    const route = await this.#options.routes.get(queue.name, jobId, job?.data);
    if (!route) return;
    const previous = await store.lastEventOf(route.rooms[0]!, queue.name, jobId);
    let status: JobStatus | undefined;
    if (!job) {
      // Gone between the two reads: its own events will say what happened.
      if (state !== 'missing') return;
      if (previous && !isTerminalStatus(previous.status)) status = { ...previous.status, state: 'unknown', updatedAt: Date.now() };
    } else {
      const synthetic = syntheticEvent(state, job);
      if (synthetic) {
        const input = { queue: queue.name, jobId, event: synthetic, job, previous: previous?.status, route };
        const expectedWorkerVersion = this.#options.expectedWorkerVersion;
        status = buildStatus({ ...input, projection: this.#options.projection, now: Date.now(), logger, expectedWorkerVersion }).status;
      }
    }
    if (!status || (previous && previous.status.state === status.state && previous.status.attempt === status.attempt)) return;
    // Several nodes may reconcile the same job at once: the first to mark it appends the correction.
    const mark = this.#keys.reconcileMark(queue.name, jobId, `${status.state}:${status.attempt}:${previous?.seq ?? 0}`);
    if ((await this.#redis.set(mark, '1', 'PX', 60_000, 'NX')) !== 'OK') return;
    logger.info({ queue: queue.name, jobId, from: previous?.status.state, to: status.state }, 'reconciled job state from BullMQ');
    this.#remember(jobId, status);
    await this.#appendStatus(jobId, route, 'reconciled', status, undefined, asOf);
  }

  #workers: { count: Promise<number | undefined>; at: number } | undefined;

  /** Workers listening on the queue, cached briefly; undefined when Redis will not say. */
  #workerCount(): Promise<number | undefined> {
    const now = Date.now();
    if (!this.#workers || now - this.#workers.at > WORKER_COUNT_TTL_MS) {
      this.#workers = { count: this.#options.queue.getWorkersCount().catch(() => undefined), at: now };
    }
    return this.#workers.count;
  }

  async #prepare(
    plan: { event: StreamEvent; jobId: string; readJob: boolean },
    batchRoutes: Map<string, Promise<Route | undefined>>,
  ): Promise<Prepared | undefined> {
    const { event, jobId } = plan;
    const { queue, routes } = this.#options;
    // The job hash may be gone already (removeOnComplete/removeOnFail delete it before the event is written).
    const reading = plan.readJob ? Job.fromId(queue, jobId) : Promise.resolve(undefined);
    let routing = batchRoutes.get(jobId);
    if (!routing) {
      routing = reading.then((read) => routes.get(queue.name, jobId, read?.data));
      batchRoutes.set(jobId, routing);
    }
    const [job, route] = await Promise.all([reading, routing]);
    if (!route) {
      this.#options.onUnrouted?.(queue.name, jobId, event.name);
      return undefined;
    }
    // Without the job and without a status built here, what the room last showed stands in.
    const stored = job || this.#recent.has(jobId) ? undefined : (await this.#options.store.lastEventOf(route.rooms[0]!, queue.name, jobId))?.status;
    const workersListening = event.name === 'waiting' || event.name === 'added' ? await this.#workerCount() : undefined;
    return { event, jobId, route, job, stored, workersListening };
  }

  /** The last status built for each job, most recent last; bounded. */
  #remember(jobId: string, status: JobStatus) {
    this.#recent.delete(jobId);
    this.#recent.set(jobId, status);
    if (this.#recent.size > RECENT_JOBS) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  async #appendStatus(
    jobId: string,
    route: Route,
    lifecycle: StatusEvent['event'],
    status: JobStatus,
    eventId: string | undefined,
    watermark?: string,
  ) {
    const result = await this.#options.store.ingest({
      queue: this.#options.queue.name,
      jobId,
      rooms: route.rooms,
      body: { event: lifecycle, status, at: Date.now() },
      terminal: isTerminalStatus(status),
      eventId,
      ...(watermark ? { watermark } : {}),
    });
    // What was published (possibly another node's, or with a raised attempt) is the job's previous status from now on.
    if (this.#recent.get(jobId) === status) {
      if (result.stale) this.#recent.delete(jobId);
      else if (result.body) this.#remember(jobId, result.body.status);
    }
    if (result.fresh) this.#options.onIngested?.(this.#options.queue.name, lifecycle, status, eventId ? Date.now() - Number(eventId.split('-')[0]) : undefined);
    if (!result.body) return; // ingested so long ago by another node that its result is forgotten: clients see a gap and replay
    for (const cursor of result.cursors) this.#options.emit({ ...result.body, ...cursor });
  }
}

/** A stand-in stream event for a job's real BullMQ state, so reconciliation reuses the normal status builder. */
function syntheticEvent(bullState: string, job: Job): StreamEvent | undefined {
  const fields: Record<string, string> = { jobId: String(job.id) };
  switch (bullState) {
    case 'completed':
      return { id: 'reconcile', name: 'completed', fields: { ...fields, returnvalue: JSON.stringify(job.returnvalue ?? null) } };
    case 'failed':
      return { id: 'reconcile', name: 'failed', fields };
    case 'delayed':
      return { id: 'reconcile', name: 'delayed', fields: { ...fields, delay: String((job.timestamp ?? 0) + (job.delay ?? 0)) } };
    case 'active':
    case 'waiting-children':
      return { id: 'reconcile', name: bullState, fields };
    case 'waiting':
    case 'prioritized':
      return { id: 'reconcile', name: 'waiting', fields };
    default:
      return undefined;
  }
}

/**
 * Progress storms: a progress event followed in the same batch by another progress event of
 * the same job (with nothing else of that job between) is dropped; the latest wins. Every
 * other event, terminal ones above all, is kept. Under load batches grow, so coalescing
 * grows with the load and costs nothing when it is light.
 */
export function coalesceProgress(events: StreamEvent[]): StreamEvent[] {
  const nextOfJob = new Map<string, StreamEvent>();
  const kept: StreamEvent[] = [];
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    const jobId = subjectOf(event);
    const next = jobId === undefined ? undefined : nextOfJob.get(jobId);
    if (jobId !== undefined) nextOfJob.set(jobId, event);
    if (event.name === 'progress' && next?.name === 'progress') continue;
    kept.push(event);
  }
  return kept.reverse();
}

/**
 * The job an event is about. For `deduplicated`, BullMQ writes the existing job as `jobId`
 * and the dropped one as `deduplicatedJobId`; the dropped one is what its caller watches.
 */
function subjectOf(event: StreamEvent): string | undefined {
  return event.name === 'deduplicated' ? (event.fields.deduplicatedJobId ?? event.fields.jobId) : event.fields.jobId;
}
