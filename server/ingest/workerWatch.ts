import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobStatus, JobWarning } from '../../shared/index.js';

/** What the server knows of a queue's workers at one moment. */
export interface WorkerView {
  /** Connections that are workers of this queue, by their Redis client name. */
  workers: string[];
  /** Active jobs whose lock is held, with the lock's remaining time (ms). */
  locks: Map<string, number>;
  /**
   * True when the connection names are the measure of who works: the connection list could be
   * read and this queue's workers were seen by name before. A killed worker's connection
   * vanishes at once, while the lock it held on its job lasts until it runs out (30 s by
   * default), so counting held locks as workers would hide a dead worker that long.
   */
  namesTrusted: boolean;
  /** The queue is paused (`queue.pause()`): no worker takes its jobs until `queue.resume()`. */
  paused: boolean;
  /**
   * Since when (ms) the queue's workers have been connected while none took jobs: none waited
   * for one (blocked on BullMQ's marker), none ran one, and no rate limit held them back. A
   * healthy idle worker always waits for jobs; one that does not is paused (`worker.pause()`),
   * was never run (`autorun: false`), or is stuck.
   */
  notTakingSince?: number | undefined;
  checkedAt: number;
}

/** How long a queue's workers must have taken no jobs before its waiting jobs are said to have none that will run them. */
export const NOT_TAKING_AFTER_MS = 10_000;

/** Active jobs whose locks are read per check. */
const ACTIVE_CHECKED = 500;

/**
 * Reads who works on one queue. A worker is a connection named like BullMQ names its workers'
 * connections: `<prefix>:<base64 queue name>` (unnamed) or `…:w:<worker name>`; ports of
 * BullMQ to other languages spell the queue name plainly, which is accepted too. Until a worker
 * of the queue has been seen by name (a worker that names no connection, or a Redis that does
 * not list connections), the locks held on active jobs stand for workers, so `NO_WORKER` is
 * never said of a queue whose jobs are being run.
 */
export class WorkerWatch {
  #namedSeen = false;
  #notTakingSince: number | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly prefix: string,
  ) {}

  async read(): Promise<WorkerView> {
    const { redis, queue } = this;
    const encoded = Buffer.from(queue.name).toString('base64');
    const names = [`${this.prefix}:${encoded}`, `${this.prefix}:${queue.name}`];
    const isWorker = (name: string) => names.some((base) => name === base || name.startsWith(`${base}:w:`));
    const [list, active, paused, limitMs] = await Promise.all([
      listConnections(redis).catch(() => undefined),
      redis.lrange(queue.keys.active!, 0, ACTIVE_CHECKED - 1),
      redis.hexists(queue.keys.meta!, 'paused'),
      redis.pttl(queue.keys.limiter!),
    ]);
    const connections = (list ?? '')
      .split(/\r?\n/)
      .map((line) => ({ name: / name=(\S*)/.exec(line)?.[1] ?? '', blocked: / flags=\S*b/.test(line) }))
      .filter(({ name }) => name !== '' && isWorker(name));
    const workers = connections.map(({ name }) => name);
    if (list === undefined) this.#namedSeen = false;
    else if (workers.length > 0) this.#namedSeen = true;
    // A worker waiting for jobs blocks on the queue's marker, on the connection BullMQ names.
    const notTaking = this.#namedSeen && workers.length > 0 && !connections.some(({ blocked }) => blocked) && active.length === 0 && limitMs <= 0 && paused === 0;
    this.#notTakingSince = notTaking ? (this.#notTakingSince ?? Date.now()) : undefined;
    const locks = new Map<string, number>();
    if (active.length > 0) {
      // The active list is read again with the locks, at the same instant: a job that finished
      // between the two reads has lost its lock but is not lock-less (its event tells the rest).
      // A job pushed past the second read by jobs that started meanwhile is left to the next check.
      const multi = redis.multi();
      for (const jobId of active) multi.pttl(`${queue.toKey(jobId)}:lock`);
      multi.lrange(queue.keys.active!, 0, 2 * ACTIVE_CHECKED - 1);
      const replies = (await multi.exec()) ?? [];
      const stillActive = new Set(replies[active.length]?.[1] as string[] | undefined);
      active.forEach((jobId, index) => {
        if (stillActive.has(jobId)) locks.set(jobId, Number(replies[index]?.[1] ?? -2));
      });
    }
    return { workers, locks, namesTrusted: this.#namedSeen, paused: paused === 1, notTakingSince: this.#notTakingSince, checkedAt: Date.now() };
  }
}

/**
 * Every connection's line of `CLIENT LIST`. On a cluster a worker's connections go to the nodes
 * that own its queue's keys, so every master is asked.
 */
async function listConnections(redis: Redis): Promise<string> {
  const cluster = redis as unknown as { isCluster?: boolean; nodes?: (role: 'master') => Redis[] };
  if (cluster.isCluster !== true || !cluster.nodes) return (await redis.client('LIST')) as string;
  const lists = await Promise.all(cluster.nodes('master').map((node) => node.client('LIST') as Promise<string>));
  return lists.join('\n');
}

/** True when some worker is seen: a named connection, or (names not trusted yet) a lock held on an active job. */
export const hasWorker = (view: WorkerView): boolean =>
  view.workers.length > 0 || (!view.namesTrusted && [...view.locks.values()].some((ttl) => ttl > 0));

/**
 * The worker warnings a job deserves now. A waiting job that no worker will take does not move
 * (`NO_WORKER`): no worker at all, a paused queue, or workers that have taken no jobs for
 * {@link NOT_TAKING_AFTER_MS} (each case says which in its message). An active job whose
 * worker's connection is gone (the worker helpers name it `jobcast:<version>:<host>:<pid>`), or
 * whose lock is gone or no longer renewed, is on a dead worker (`WORKER_LOST`), said before
 * BullMQ's stalled check does.
 */
export function workerWarnings(status: JobStatus, view: WorkerView): JobWarning[] {
  if (status.state === 'waiting' || status.state === 'delayed') {
    const when = status.state === 'delayed' ? 'when its delay ends it will wait' : 'it waits';
    if (!hasWorker(view)) return [{ code: 'NO_WORKER', message: `No worker listens on queue "${status.queue}": ${when} until one starts.` }];
    if (view.paused) return [{ code: 'NO_WORKER', message: `Queue "${status.queue}" is paused: ${when} until it is resumed (queue.resume()).` }];
    if (view.notTakingSince !== undefined && view.checkedAt - view.notTakingSince >= NOT_TAKING_AFTER_MS) {
      const message = `The workers connected to queue "${status.queue}" take no jobs (paused with worker.pause(), never run, or stuck): ${when} until one takes jobs again.`;
      return [{ code: 'NO_WORKER', message }];
    }
    return [];
  }
  if (status.state !== 'active') return [];
  const ttl = view.locks.get(status.jobId);
  const { worker } = status;
  // Its connection can be looked for when the worker helpers named it, or when no worker is left at all.
  const findable = view.workers.length === 0 || view.workers.some((name) => name.includes(':w:jobcast:'));
  const named = worker && findable ? view.workers.some((name) => name.endsWith(`:${worker.host}:${worker.pid}`)) : undefined;
  if (named === false || ttl === -2) {
    const where = worker ? `${worker.host} pid ${worker.pid}` : 'its worker';
    const until = ttl !== undefined && ttl > 0 ? view.checkedAt + ttl : undefined;
    const message =
      named === false
        ? `The worker running this job (${where}) is gone: BullMQ's stalled check will retry or fail it once its lock runs out.`
        : `This job's lock is gone: ${where} stopped; BullMQ's stalled check will retry or fail it.`;
    return [until === undefined ? { code: 'WORKER_LOST', message } : { code: 'WORKER_LOST', message, until }];
  }
  return [];
}

/** A status's warnings with the worker ones replaced by `current`. */
export function withWorkerWarnings(status: JobStatus, current: JobWarning[]): JobWarning[] {
  const kept = (status.warnings ?? []).filter((warning) => warning.code === 'STALE_WORKER');
  return [...kept, ...current];
}
