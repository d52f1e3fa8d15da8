import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobStatus, JobWarning } from '../../shared/index.js';

/** What the server knows of a queue's workers at one moment. */
export interface WorkerView {
  /** Connections that are workers of this queue, by their Redis client name. */
  workers: string[];
  /** Active jobs whose lock is held by a live worker, with the lock's remaining time (ms). */
  locks: Map<string, number>;
  checkedAt: number;
}

/** Active jobs whose locks are read per check. */
const ACTIVE_CHECKED = 500;

/**
 * Reads who works on a queue. A worker is a connection named like BullMQ names its workers'
 * connections: `<prefix>:<base64 queue name>` (unnamed) or `…:w:<worker name>`; ports of
 * BullMQ to other languages spell the queue name plainly, which is accepted too. A worker
 * that names no connection at all still shows through the locks it holds on active jobs, so
 * `NO_WORKER` is only said when neither a connection nor a held lock is seen.
 */
export async function readWorkerView(redis: Redis, queue: Queue, prefix: string): Promise<WorkerView> {
  const encoded = Buffer.from(queue.name).toString('base64');
  const names = [`${prefix}:${encoded}`, `${prefix}:${queue.name}`];
  const isWorker = (name: string) => names.some((base) => name === base || name.startsWith(`${base}:w:`));
  const [list, active] = await Promise.all([
    (redis.client('LIST') as Promise<string>).catch(() => ''),
    redis.lrange(queue.keys.active!, 0, ACTIVE_CHECKED - 1),
  ]);
  const workers = list
    .split(/\r?\n/)
    .map((line) => / name=(\S*)/.exec(line)?.[1] ?? '')
    .filter((name) => name !== '' && isWorker(name));
  const locks = new Map<string, number>();
  if (active.length > 0) {
    const multi = redis.multi();
    for (const jobId of active) multi.pttl(`${queue.toKey(jobId)}:lock`);
    const replies = (await multi.exec()) ?? [];
    active.forEach((jobId, index) => locks.set(jobId, Number(replies[index]?.[1] ?? -2)));
  }
  return { workers, locks, checkedAt: Date.now() };
}

/** True when some worker is seen: a named connection, or a lock held on an active job. */
export const hasWorker = (view: WorkerView): boolean => view.workers.length > 0 || [...view.locks.values()].some((ttl) => ttl > 0);

/**
 * The worker warnings a job deserves now. A waiting job with no worker at all will not move
 * (`NO_WORKER`). An active job whose worker's connection is gone (the worker helpers name it
 * `jobcast:<version>:<host>:<pid>`), or whose lock is gone or no longer renewed, is on a dead
 * worker (`WORKER_LOST`), said before BullMQ's stalled check does.
 */
export function workerWarnings(status: JobStatus, view: WorkerView): JobWarning[] {
  if ((status.state === 'waiting' || status.state === 'delayed') && !hasWorker(view)) {
    const when = status.state === 'delayed' ? 'when its delay ends it will wait' : 'it waits';
    return [{ code: 'NO_WORKER', message: `No worker listens on queue "${status.queue}": ${when} until one starts.` }];
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
