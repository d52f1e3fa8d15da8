import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isClusterNode } from '../redisConnection.js';

/** Why the command line stops at a Redis Cluster node. */
export const CLUSTER_NODE = 'this Redis is a node of a Redis Cluster: the command line reads one Redis and does not read a cluster yet';

/** One line of the doctor's report. */
export interface Finding {
  level: 'ok' | 'warn' | 'fail';
  subject: string;
  message: string;
}

export interface DoctorOptions {
  redis: Redis;
  /** Queues to check; by default every queue that has BullMQ keys under `bullPrefix`. */
  queues?: string[];
  bullPrefix?: string;
  /** The version workers should run; workers that report another one are flagged. */
  expectedVersion?: string;
}

/**
 * Checks what most often explains a page that never updates: Redis unreachable, an events
 * stream too short to survive an outage, no worker on a queue, stalled or failed jobs, and
 * workers running different code versions. Workers started with jobcast's worker helpers
 * name themselves `jobcast:<version>:<host>:<pid>`, which is how versions are seen.
 */
export async function runDoctor(options: DoctorOptions): Promise<Finding[]> {
  const { redis } = options;
  const prefix = options.bullPrefix ?? 'bull';
  const findings: Finding[] = [];
  try {
    await redis.ping();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    findings.push({ level: 'ok', subject: 'redis', message: `reachable, version ${version}` });
    if (await isClusterNode(redis)) {
      findings.push({ level: 'fail', subject: 'redis', message: `${CLUSTER_NODE} (the server, enqueue and worker helpers do)` });
      return findings;
    }
  } catch (error) {
    findings.push({ level: 'fail', subject: 'redis', message: `unreachable: ${(error as Error).message}` });
    return findings;
  }
  const queues = options.queues ?? (await discoverQueues(redis, prefix));
  if (queues.length === 0) findings.push({ level: 'warn', subject: 'queues', message: `no BullMQ queues found under prefix "${prefix}"` });
  const versions = new Map<string, string[]>();
  for (const name of queues) {
    // skipMetasUpdate: a Queue would otherwise rewrite the events stream's max length.
    const queue = new Queue(name, { connection: redis, prefix, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    try {
      await checkQueue(queue, redis, prefix, findings, versions);
    } finally {
      await queue.close();
    }
  }
  const seen = [...versions.keys()];
  if (seen.length > 1) {
    const detail = seen.map((version) => `${version} (${versions.get(version)!.join(', ')})`).join('; ');
    findings.push({ level: 'warn', subject: 'workers', message: `version skew: workers run different versions: ${detail}` });
  }
  if (options.expectedVersion) {
    for (const [version, where] of versions) {
      if (version !== options.expectedVersion) {
        findings.push({ level: 'warn', subject: 'workers', message: `stale workers on ${version}, expected ${options.expectedVersion}: ${where.join(', ')}` });
      }
    }
  }
  return findings;
}

async function checkQueue(queue: Queue, redis: Redis, prefix: string, findings: Finding[], versions: Map<string, string[]>) {
  const subject = `queue ${queue.name}`;
  const [maxLen, streamLength, workers, counts, paused, limitMs] = await Promise.all([
    redis.hget(`${prefix}:${queue.name}:meta`, 'opts.maxLenEvents'),
    redis.xlen(`${prefix}:${queue.name}:events`),
    queue.getWorkers(),
    queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
    queue.isPaused(),
    redis.pttl(`${prefix}:${queue.name}:limiter`),
  ]);
  const waiting = counts.waiting ?? 0;
  const limit = maxLen === null ? 10_000 : Number(maxLen);
  findings.push({
    level: limit < 1_000 ? 'warn' : 'ok',
    subject,
    message: `events stream ${streamLength}/${limit} entries${limit < 1_000 ? ' (short: a reader away for a while misses events; raise streams.events.maxLen)' : ''}`,
  });
  if (workers.length === 0) {
    findings.push({ level: waiting > 0 ? 'fail' : 'warn', subject, message: `no worker listens on this queue (${waiting} waiting)` });
  } else {
    findings.push({ level: 'ok', subject, message: `${workers.length} worker(s) listening` });
  }
  if (paused) findings.push({ level: waiting > 0 ? 'fail' : 'warn', subject, message: `paused: no worker takes its jobs until queue.resume() (${waiting} waiting)` });
  else if (waiting > 0 && workers.length > 0 && (counts.active ?? 0) === 0 && limitMs <= 0 && workers.every(takesNoJobs)) {
    findings.push({ level: 'fail', subject, message: `${workers.length} worker(s) connected, but none has waited for a job or run one for ${NOT_TAKING_S} s (paused with worker.pause(), never run, or stuck): ${waiting} waiting` });
  }
  for (const worker of workers) {
    // BullMQ names a worker's connection `<queue client>:w:<worker name>`.
    const match = /:w:jobcast:([^:]+):(.+)$/.exec(String((worker as { rawname?: string }).rawname ?? ''));
    if (match) versions.set(match[1]!, [...(versions.get(match[1]!) ?? []), `${queue.name} ${match[2]}`]);
  }
  const stalled = await countStalled(queue, redis, prefix);
  if (stalled > 0) findings.push({ level: 'warn', subject, message: `${stalled} active job(s) whose worker lock expired (stalled)` });
  const failed = counts.failed ?? 0;
  findings.push({ level: failed > 0 ? 'warn' : 'ok', subject, message: `${failed} failed, ${counts.active ?? 0} active, ${counts.waiting ?? 0} waiting, ${counts.delayed ?? 0} delayed` });
}

/** How long a worker's connection must have sent nothing, while not waiting for a job, to count as taking none. */
const NOT_TAKING_S = 10;

/**
 * A worker waiting for jobs blocks on its queue's marker (flag `b` in CLIENT LIST), and a
 * running one sends a command at least every 10 s (BullMQ's longest wait); a connection that
 * does neither belongs to a worker that takes no jobs.
 */
const takesNoJobs = (worker: Record<string, string>) => !String(worker.flags ?? '').includes('b') && Number(worker.idle ?? 0) >= NOT_TAKING_S;

/** Active jobs with no lock: their worker died or froze, and BullMQ will call them stalled. */
async function countStalled(queue: Queue, redis: Redis, prefix: string): Promise<number> {
  const active = await queue.getActive(0, 200);
  const locks = await Promise.all(active.map((job) => redis.exists(`${prefix}:${queue.name}:${job.id}:lock`)));
  return locks.filter((exists) => exists === 0).length;
}

async function discoverQueues(redis: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:meta`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) names.add(key.slice(prefix.length + 1, -':meta'.length));
  } while (cursor !== '0');
  return [...names].sort();
}

/** Prints findings one per line, worst first. */
export function formatFindings(findings: Finding[]): string {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  return findings.map((finding) => `${mark[finding.level]}  ${finding.subject}: ${finding.message}`).join('\n');
}
