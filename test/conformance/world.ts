/**
 * One run's world: its own Redis (one redis-server, or a Redis Cluster: backend.ts), jobcast
 * server nodes as child processes, the BullMQ queues, workers and flow producer of the
 * workload, the enqueuer, the clients, and the registry of every job incarnation the workload
 * created.
 */
import { FlowProducer, Queue, type JobsOptions, type Worker } from 'bullmq';
import { freePort } from '../../scripts/redisServer.js';
import { createEnqueuer } from '../../server/index.js';
import { uniqueName, waitFor } from '../support/harness.js';
import { startBackend, type RedisBackend } from './backend.js';
import { ClientRecorder } from './clients.js';
import type { AddVia, FinishFact, JobRecord, Plan, RemovedBy } from './model.js';
import { startServerNode, type Child, type ServerNodeEnv } from './processes.js';
import { startWorkloadWorker } from './processor.js';
import type { Rng } from './rng.js';
import { ROOMS, type ClientName } from './rooms.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The queues of a run, each with a role. */
export interface QueueNames {
  /** Most features; two workers (concurrency 4 and 2). */
  main: string;
  /** The second queue of "same id in two queues" and some plain work; one worker. */
  side: string;
  /** Workers with a `limiter`; also where jobs call `worker.rateLimit()`. */
  limited: string;
  /** First served by a worker process that is SIGKILLed mid-job. */
  stall: string;
  /** Drained and obliterated: nothing else runs there. */
  wipe: string;
}

/** `routeJob(queue, jobId, { rooms })`: records the rooms of the next job added with that id. */
export type RouteJob = (queue: string, jobId: string, route: { rooms: string[]; correlationId?: string; maxAttempts?: number }) => Promise<unknown>;

/** `routeScheduler(queue, schedulerId, { rooms })`: routes every job a job scheduler adds. */
export type RouteScheduler = (queue: string, schedulerId: string, route: { rooms: string[] }) => Promise<unknown>;

type Enqueuer = ReturnType<typeof createEnqueuer>;

export interface WorldOptions {
  seed: number;
  nodes: 1 | 2;
  /** JOBCAST_CANARY for the server nodes (e.g. 'stale-route'). */
  canary?: string | undefined;
  /** Run on a 3-master Redis Cluster instead of one Redis. */
  cluster?: boolean | undefined;
  log: (line: string) => void;
}

export class World {
  readonly options: WorldOptions;
  readonly records = new Map<string, JobRecord>();
  readonly queues: QueueNames;
  readonly keyPrefix: string;
  backend!: RedisBackend;
  enqueuer!: Enqueuer;
  routeJob: RouteJob | undefined;
  routeScheduler: RouteScheduler | undefined;
  flow!: FlowProducer;
  readonly #queues = new Map<string, Queue>();
  readonly workers: Worker[] = [];
  readonly nodes: Array<{ env: ServerNodeEnv; child: Child | undefined }> = [];
  readonly clients = new Map<ClientName, ClientRecorder>();
  /** Things the run did (faults, skipped features), for the report. */
  readonly journal: string[] = [];
  /** Finish facts of tags the registry did not know yet (a worker can finish a job before its add returns). */
  readonly #earlyFacts = new Map<string, FinishFact>();
  #order = 0;
  #tags = 0;
  readonly #locks = new Map<string, Promise<void>>();
  /** When Redis last lost its data (0: never). */
  lastWipeAt = 0;

  constructor(options: WorldOptions) {
    this.options = options;
    const id = uniqueName('c').slice(2);
    this.queues = { main: `cf-main-${id}`, side: `cf-side-${id}`, limited: `cf-limited-${id}`, stall: `cf-stall-${id}`, wipe: `cf-wipe-${id}` };
    this.keyPrefix = `jc-${id}`;
  }

  get admin(): RedisBackend['admin'] {
    return this.backend.admin;
  }

  /** Where BullMQ's keys of `queue` start: `bull:<queue>`, or `{bull}:<queue>` on a cluster. */
  bullKey(queue: string, suffix: string): string {
    return `${this.backend.bullPrefix}:${queue}:${suffix}`;
  }

  /** Starts Redis (a restart can keep or lose the data as a fault chooses), nodes, queues and workers. */
  async start(): Promise<void> {
    this.backend = await startBackend(this.options.cluster === true);
    for (let index = 0; index < this.options.nodes; index++) {
      const env: ServerNodeEnv = {
        ...this.backend.childEnv(),
        QUEUES: Object.values(this.queues).join(','),
        KEY_PREFIX: this.keyPrefix,
        NODE_ID: `node-${index + 1}`,
        PORT: String(await freePort()),
      };
      this.nodes.push({ env, child: undefined });
    }
    await Promise.all(this.nodes.map((_, index) => this.startNode(index)));
    this.enqueuer = createEnqueuer({ ...this.backend.enqueuer(), keyPrefix: this.keyPrefix });
    const candidate = (this.enqueuer as unknown as { routeJob?: RouteJob }).routeJob;
    this.routeJob = typeof candidate === 'function' ? candidate.bind(this.enqueuer) : undefined;
    if (!this.routeJob) this.journal.push('routeJob is not available from createEnqueuer: features that need it were skipped');
    const scheduler = (this.enqueuer as unknown as { routeScheduler?: RouteScheduler }).routeScheduler;
    this.routeScheduler = typeof scheduler === 'function' ? scheduler.bind(this.enqueuer) : undefined;
    this.flow = new FlowProducer(this.backend.bull());
    this.flow.on('error', () => undefined);
    const facts = { finished: (tag: string, fact: FinishFact, jobId?: string) => this.#finished(tag, fact, jobId) };
    const { main, side, limited, wipe } = this.queues;
    this.workers.push(
      startWorkloadWorker(main, this.backend.bull(true), facts, { concurrency: 4 }),
      startWorkloadWorker(main, this.backend.bull(true), facts, { concurrency: 2 }),
      startWorkloadWorker(side, this.backend.bull(true), facts, { concurrency: 3 }),
      startWorkloadWorker(limited, this.backend.bull(true), facts, { concurrency: 2, limiter: { max: 40, duration: 1_000 } }),
      startWorkloadWorker(limited, this.backend.bull(true), facts, { concurrency: 2, limiter: { max: 40, duration: 1_000 } }),
      startWorkloadWorker(wipe, this.backend.bull(true), facts, { concurrency: 2 }),
    );
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  /** Starts (or restarts) server node `index` on its fixed port. */
  async startNode(index: number): Promise<void> {
    const node = this.nodes[index]!;
    const extra: Record<string, string> = this.options.canary ? { JOBCAST_CANARY: this.options.canary } : {};
    node.child = await startServerNode(node.env, extra);
  }

  async killNode(index: number): Promise<void> {
    await this.nodes[index]?.child?.kill();
  }

  nodeUrl(index: number): string {
    const node = this.nodes[index % this.nodes.length]!;
    return `http://127.0.0.1:${node.env.PORT}`;
  }

  /** A stall-queue worker in this process, started once the hanging one is dead. */
  startStallWorker(): void {
    const facts = { finished: (tag: string, fact: FinishFact, jobId?: string) => this.#finished(tag, fact, jobId) };
    this.workers.push(startWorkloadWorker(this.queues.stall, this.backend.bull(true), facts, { concurrency: 3 }));
  }

  queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      // Every Queue rewrites the events stream's max length: the server's default, always.
      queue = new Queue(name, { ...this.backend.bull(), streams: { events: { maxLen: 10_000 } } });
      queue.on('error', () => undefined);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  client(name: ClientName): ClientRecorder {
    let client = this.clients.get(name);
    if (!client) {
      // steady and late on the first node, flaky on the second when there are two.
      client = new ClientRecorder(name, this.nodeUrl(name === 'flaky' ? 1 : 0));
      this.clients.set(name, client);
    }
    return client;
  }

  // ── the registry ──────────────────────────────────────────────────────────

  nextTag(feature: string): string {
    this.#tags += 1;
    return `${feature.replace(/[^a-z0-9]/gi, '')}${this.#tags}`;
  }

  register(record: Omit<JobRecord, 'order' | 'createdAt' | 'addedFrom'> & { addedFrom?: number }): JobRecord {
    this.#order += 1;
    const createdAt = Date.now();
    const full: JobRecord = { ...record, order: this.#order, createdAt, addedFrom: record.addedFrom ?? createdAt };
    this.records.set(full.tag, full);
    const early = this.#earlyFacts.get(full.tag);
    if (early) {
      full.finish = early;
      this.#earlyFacts.delete(full.tag);
    }
    return full;
  }

  #finished(tag: string, fact: FinishFact, jobId?: string): void {
    const template = this.records.get(tag);
    if (template?.via === 'scheduler' && jobId !== undefined) {
      // Each job a scheduler adds is an incarnation of its own, routed like the scheduler.
      const iteration = this.register({ tag: `${tag}@${jobId}`, feature: template.feature, queue: template.queue, jobId, rooms: template.rooms, via: 'scheduler-job' });
      iteration.finish = fact;
      return;
    }
    const record = template;
    if (!record) {
      this.#earlyFacts.set(tag, fact);
      return;
    }
    // Once Redis has lost its data, a worker still holding the job cannot finish it in BullMQ;
    // while the loss is under way (masters flushed one by one), it still can.
    if (record.wipedAt !== undefined && fact.at >= (record.wipeSettledAt ?? Number.POSITIVE_INFINITY)) return;
    record.finish = fact;
  }

  markRemoved(record: JobRecord, by: RemovedBy): void {
    if (!record.finish && !record.removed) record.removed = { by, at: Date.now() };
  }

  /** Events of every record added so far may have been trimmed unread. */
  markEventsTrimmed(at: number): void {
    for (const record of this.records.values()) if (record.eventsTrimmedAt === undefined && !(record.finish && record.finish.at < at - 60_000)) record.eventsTrimmedAt = at;
  }

  /** Every record of `queue` created before `at` was destroyed with the queue. */
  markObliterated(queue: string, at: number): void {
    for (const record of this.records.values()) if (record.queue === queue && record.createdAt <= at && record.obliteratedAt === undefined) record.obliteratedAt = at;
  }

  randomRooms(rng: Rng): string[] {
    const first = rng.pick(ROOMS);
    if (!rng.chance(0.3)) return [first];
    const second = rng.pick(ROOMS);
    return second === first ? [first] : [first, second];
  }

  /** Adds a job with jobcast's `enqueue` and records it. */
  async enqueue(feature: string, queue: string, args: { rooms: string[]; plan?: Plan; opts?: JobsOptions; name?: string; tag?: string }): Promise<JobRecord | undefined> {
    const tag = args.tag ?? this.nextTag(feature);
    const jobId = args.opts?.jobId;
    const attempts = args.opts?.attempts ?? 1;
    const addedFrom = Date.now();
    try {
      // No jitter: the suite compares attempts, not timings, and BullMQ's jitter only shortens delays.
      const result = await this.enqueuer.enqueue(queue, args.name ?? feature, { tag, plan: args.plan ?? {} }, {
        rooms: args.rooms,
        attempts,
        backoff: { type: 'fixed', delay: 100 },
        removeOnComplete: false,
        removeOnFail: false,
        ...args.opts,
      });
      const record = this.register({ tag, feature, queue, jobId: result.jobId, rooms: args.rooms, via: 'enqueue', addedFrom });
      if (result.deduplicatedBy) record.deduplicatedBy = result.deduplicatedBy;
      return record;
    } catch (error) {
      this.journal.push(`${feature}: enqueue failed: ${String(error).slice(0, 160)}`);
      if (jobId) this.register({ tag, feature, queue, jobId, rooms: args.rooms, via: 'enqueue', uncertain: true, addedFrom });
      return undefined;
    }
  }

  /** `routeJob` then a plain `queue.add` with the same id. */
  async routeAndAdd(feature: string, queue: string, args: { jobId: string; rooms: string[]; plan?: Plan; opts?: JobsOptions }): Promise<JobRecord | undefined> {
    if (!this.routeJob) return undefined;
    const tag = this.nextTag(feature);
    const addedFrom = Date.now();
    try {
      await this.routeJob(queue, args.jobId, { rooms: args.rooms });
      await this.queue(queue).add(feature, { tag, plan: args.plan ?? {} }, { ...args.opts, jobId: args.jobId });
      return this.register({ tag, feature, queue, jobId: args.jobId, rooms: args.rooms, via: 'routeJob', addedFrom });
    } catch (error) {
      this.journal.push(`${feature}: routeJob + add failed: ${String(error).slice(0, 160)}`);
      this.register({ tag, feature, queue, jobId: args.jobId, rooms: args.rooms, via: 'routeJob', uncertain: true, addedFrom });
      return undefined;
    }
  }

  /** A plain `queue.add` naming rooms in its data, without routeJob: routed nowhere by design. */
  async plainAdd(feature: string, queue: string, args: { plan?: Plan; opts?: JobsOptions; rooms: string[] }): Promise<JobRecord | undefined> {
    const tag = this.nextTag(feature);
    const addedFrom = Date.now();
    try {
      const job = await this.queue(queue).add(feature, { tag, rooms: args.rooms, plan: args.plan ?? {} }, args.opts);
      return this.register({ tag, feature, queue, jobId: job.id!, rooms: [], via: 'plain', addedFrom });
    } catch (error) {
      this.journal.push(`${feature}: add failed: ${String(error).slice(0, 160)}`);
      return undefined;
    }
  }

  /** Waits until every record in `records` has a finish fact (or `timeoutMs` passes); true when they all did. */
  async finished(records: Array<JobRecord | undefined>, timeoutMs = 60_000): Promise<boolean> {
    const list = records.filter((record): record is JobRecord => record !== undefined);
    try {
      await waitFor(() => list.every((record) => record.finish !== undefined), 'jobs to finish', timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `fn` alone among the callers of the same `key` (drain and obliterate share a queue). */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#locks.set(key, previous.then(() => mine));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Redis restarted with its data (on a cluster: one master after another). */
  async restartRedis(): Promise<void> {
    await this.backend.restart();
  }

  /** Redis restarted after losing its data (on a cluster: every master flushed). */
  async wipeRestart(at: number): Promise<void> {
    await this.backend.wipeRestart(() => {
      this.lastWipeAt = at;
      for (const record of this.records.values()) if (record.wipedAt === undefined) record.wipedAt = at;
    });
    const settledAt = Date.now();
    for (const record of this.records.values()) if (record.wipedAt === at) record.wipeSettledAt = settledAt;
  }

  async close(): Promise<void> {
    const quietly = async (what: () => unknown) => {
      try {
        await Promise.race([Promise.resolve().then(what), sleep(15_000)]);
      } catch {
        // closing: nothing to report
      }
    };
    for (const client of this.clients.values()) client.close();
    await Promise.all(this.workers.map((worker) => quietly(() => worker.close(true))));
    await Promise.all([...this.#queues.values()].map((queue) => quietly(() => queue.close())));
    await quietly(() => this.flow?.close());
    await quietly(() => this.enqueuer?.close());
    await Promise.all(this.nodes.map((node) => quietly(() => node.child?.stop(5_000))));
    await quietly(() => this.backend?.close());
  }
}
