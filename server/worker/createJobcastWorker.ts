import { Worker, type ConnectionOptions, type Processor, type WorkerOptions } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { isRedisClient } from '../redisConnection.js';
import { resolveWorkerIdentity } from './identity.js';
import { withJobcast, type JobcastProcessor, type WithJobcastOptions } from './withJobcast.js';

/** Options of `createJobcastWorker`: jobcast's, plus any BullMQ WorkerOptions. */
export interface JobcastWorkerOptions extends Omit<WorkerOptions, 'connection'>, Omit<WithJobcastOptions, 'connection' | 'bullPrefix'> {
  /** Redis for the worker and the helpers: a URL, ioredis options, or an ioredis client (duplicated by BullMQ and jobcast). */
  connection: string | RedisOptions | Redis;
}

/** A BullMQ Worker whose `close()` also releases the connections of the jobcast helpers. */
class JobcastWorker<Data, Result> extends Worker<Data, Result> {
  readonly #processor: JobcastProcessor<Data, Result>;

  constructor(queueName: string, processor: JobcastProcessor<Data, Result>, options: WorkerOptions) {
    super(queueName, processor, options);
    this.#processor = processor;
  }

  override async close(force?: boolean): Promise<void> {
    await super.close(force);
    await this.#processor.close();
  }
}

/**
 * A BullMQ Worker running `processor` wrapped by `withJobcast`: the job's correlation id and
 * trace context are bound, and `step()`, `logger()`, `enqueue()`, `reportProgress()` work in it.
 * Child jobs go to queues with the worker's `prefix`.
 * @example
 * const worker = createJobcastWorker('summaries', async (job) => {
 *   const text = await step('fetch', () => fetchDocument(job.data.documentId));
 *   return step('summarize', () => summarize(text));
 * }, { connection: process.env.REDIS_URL!, checkpoint: { ttlMs: 3_600_000 } });
 */
export function createJobcastWorker<Data = any, Result = any>(
  queueName: string,
  processor: Processor<Data, Result>,
  options: JobcastWorkerOptions,
): Worker<Data, Result> {
  const { connection, keyPrefix, version, checkpoint, logger, jobs, routeTtlMs, eventsMaxLen, ...workerOptions } = options;
  const wrapped = withJobcast(processor, {
    connection,
    bullPrefix: workerOptions.prefix ?? 'bull',
    ...(keyPrefix !== undefined ? { keyPrefix } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(jobs !== undefined ? { jobs } : {}),
    ...(routeTtlMs !== undefined ? { routeTtlMs } : {}),
    ...(eventsMaxLen !== undefined ? { eventsMaxLen } : {}),
  });
  // The connection name carries the code version, so `jobcast doctor` can see version skew across workers.
  const identity = resolveWorkerIdentity(version);
  const name = workerOptions.name ?? `jobcast:${identity.version ?? 'unknown'}:${identity.host}:${identity.pid}`;
  return new JobcastWorker<Data, Result>(queueName, wrapped, { ...workerOptions, name, connection: toBullConnection(connection) });
}

/** BullMQ takes a client or options; a URL goes in as `{ url }`, which BullMQ hands to ioredis. */
function toBullConnection(connection: string | RedisOptions | Redis): ConnectionOptions {
  // By its methods, not `instanceof`: the app's client may come from another copy of ioredis.
  if (isRedisClient(connection)) return connection as ConnectionOptions;
  // Workers block on Redis: BullMQ requires commands that wait instead of failing.
  if (typeof connection === 'string') return { url: connection, maxRetriesPerRequest: null };
  // ioredis' options type and BullMQ's own description of it differ only in detail.
  return { maxRetriesPerRequest: null, ...connection } as ConnectionOptions;
}
