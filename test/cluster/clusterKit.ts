/**
 * What the multi-node tests share: jobcast server nodes on the run's Redis Cluster as child
 * processes, BullMQ workers and queues on the cluster (prefix '{bull}'), an enqueuer, and
 * observers (real jobcast clients that record every event they apply). Everything a test
 * opens is closed after it; when a test fails, the tail of each node's log is printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterEach, inject } from 'vitest';
import { createEnqueuer } from '../../server/index.js';
import { Observer } from '../hostile/observer.js';
import { formatClusterNodes } from './clusterNodes.js';
import { readyPort } from '../support/processes.js';

const TSX = createRequire(import.meta.url).resolve('tsx');
const NODE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'clusterNode.ts');
/** BullMQ's key prefix on a cluster: the hash tag keeps each queue's keys in one slot. */
export const BULL_PREFIX = '{bull}';
export const TOKEN = 'user:alice';

const cleanups: Array<() => unknown> = [];
const nodes = new Set<ClusterServerNode>();
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    for (const node of nodes) console.log(`── log of ${node.nodeId} (last lines) ──\n${node.logTail() || '(empty)'}`);
  }
  nodes.clear();
  // Last opened, first closed: clients before the nodes they talk to, workers before their connections.
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

/** An ioredis Cluster client on the run's cluster, closed after the test (maxRetriesPerRequest null, as BullMQ workers need). */
export function clusterClient(): Cluster {
  const client = new Cluster(inject('clusterNodes'), { redisOptions: { maxRetriesPerRequest: null } });
  client.on('error', () => undefined);
  cleanups.push(() => client.quit().catch(() => client.disconnect()));
  return client;
}

export interface ClusterServerNode {
  nodeId: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL: the node dies mid-flight without closing anything. */
  kill(): Promise<void>;
  /** The last lines the node logged (warnings and errors), for a failure report. */
  logTail(): string;
}

/** Starts test/cluster/clusterNode.ts in a process of its own and resolves once it listens. */
export async function startClusterNode(options: { queues: string[]; keyPrefix: string; nodeId: string; leaseTtlMs?: number }): Promise<ClusterServerNode> {
  const child = spawn(process.execPath, ['--import', TSX, NODE_SCRIPT], {
    env: {
      ...process.env,
      REDIS_CLUSTER_NODES: formatClusterNodes(inject('clusterNodes')),
      QUEUES: options.queues.join(','),
      KEY_PREFIX: options.keyPrefix,
      NODE_ID: options.nodeId,
      PORT: '0',
      ...(options.leaseTtlMs ? { LEASE_TTL_MS: String(options.leaseTtlMs) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-6_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  cleanups.push(kill);
  const port = await readyPort(child, options.nodeId, () => log);
  const node: ClusterServerNode = { nodeId: options.nodeId, port, url: `http://127.0.0.1:${port}`, child, kill, logTail: () => log.split('\n').slice(-15).join('\n') };
  nodes.add(node);
  return node;
}

/** Which node ingests `queue` now, from each node's GET /jobcast/health (undefined while none does). */
export async function ingestingNode(candidates: ClusterServerNode[], queue: string): Promise<ClusterServerNode | undefined> {
  for (const node of candidates) {
    if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
    const health = (await (await fetch(`${node.url}/jobcast/health`)).json().catch(() => undefined)) as
      | { queues?: Array<{ queue: string; role: string }> }
      | undefined;
    if (health?.queues?.some((entry) => entry.queue === queue && entry.role === 'ingesting')) return node;
  }
  return undefined;
}

/**
 * A BullMQ worker on the cluster: each job reports progress once, waits `data.holdMs` (if
 * any), and fails when `data.fail` is set, so rooms see both terminal states.
 */
export function clusterWorker(queue: string, concurrency = 8): Worker {
  const worker = new Worker(
    queue,
    async (job: Job<{ fail?: boolean; holdMs?: number }>) => {
      await job.updateProgress(50);
      if (job.data.holdMs) await new Promise((resolve) => setTimeout(resolve, job.data.holdMs));
      if (job.data.fail) throw new Error(`job ${job.id} fails on purpose`);
      return 'done';
    },
    { connection: clusterClient(), prefix: BULL_PREFIX, concurrency },
  );
  worker.on('error', () => undefined);
  cleanups.push(() => worker.close(true));
  return worker;
}

/** A BullMQ queue on the cluster, to read what BullMQ says of each job. */
export function clusterQueue(name: string): Queue {
  const queue = new Queue(name, { connection: clusterClient(), prefix: BULL_PREFIX });
  queue.on('error', () => undefined);
  cleanups.push(() => queue.close());
  return queue;
}

/** jobcast's enqueue helpers on the cluster, for a deployment's `keyPrefix`. */
export function clusterEnqueuer(keyPrefix: string) {
  const enqueuer = createEnqueuer({ redis: clusterClient(), keyPrefix, bullPrefix: BULL_PREFIX });
  cleanups.push(() => enqueuer.close());
  return enqueuer;
}

/** A jobcast client subscribed to `room` through `url`, recording every event it applies. */
export function observe(url: string, room: string, label: string): Observer {
  const observer = new Observer({ url, room, getToken: () => TOKEN, label });
  cleanups.push(() => observer.close());
  return observer;
}

/** The room's cursor as a node has it (GET /jobcast/rooms/:room). */
export async function serverCursor(url: string, room: string): Promise<{ epoch: string; seq: number }> {
  const response = await fetch(`${url}/jobcast/rooms/${room}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (response.status !== 200) throw new Error(`GET /jobcast/rooms/${room} on ${url} answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { epoch: string; seq: number };
  return { epoch: body.epoch, seq: body.seq };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
