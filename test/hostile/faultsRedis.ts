/**
 * Faults of the storage and the workers: Redis restarted without and with persistence, the
 * events stream trimmed while the server was down, and a worker SIGKILLed mid-job.
 */
import { Redis } from 'ioredis';
import { freePort, startRedisServer } from '../../scripts/redisServer.js';
import { createEnqueuer } from '../../server/index.js';
import { openQueue, startStack, uniqueName, waitFor, type TestStack } from '../support/harness.js';
import { converge, truthOf } from './converge.js';
import { allReady, gatedWorker, observers, serverCursor, startChild, TOKEN } from './faultKit.js';
import { observe } from './observer.js';
import { startProxy } from './proxy.js';
import type { Observer } from './observer.js';
import type { ScenarioContext } from './report.js';

async function setup(ctx: ScenarioContext, redisUrl: string, room: string, label: string, extra: { port?: number; keyPrefix?: string } = {}) {
  const queueName = uniqueName(label);
  const stack = await startStack({ queues: [queueName], redisUrl, dataLossCheckMs: 500, ...extra });
  ctx.scope.defer(() => stack.close());
  const clients = observers(ctx, stack.url, room, 3, label);
  await allReady(clients);
  const queue = openQueue(queueName, redisUrl);
  queue.on('error', () => undefined);
  ctx.scope.defer(() => queue.close());
  return { queueName, stack, clients, queue };
}

const showsActive = (clients: Observer[], ids: string[]) => () => clients.every((observer) => ids.every((id) => observer.jobs()[id]?.progress === 10));
const showsDone = (clients: Observer[], ids: string[]) => () => clients.every((observer) => ids.every((id) => observer.jobs()[id]?.state === 'completed'));

export async function redisRestartScenario(ctx: ScenarioContext, appendonly: boolean): Promise<void> {
  const label = appendonly ? 'redis restart (appendonly)' : 'redis restart (no persistence)';
  const redis = await startRedisServer({ appendonly });
  ctx.scope.defer(() => redis.dispose());
  const room = 'document:r1';
  const { queueName, stack, clients, queue } = await setup(ctx, redis.url, room, appendonly ? 'aof' : 'volatile');
  const { release } = gatedWorker(ctx, queueName, redis.url);
  const before: string[] = [];
  for (let index = 0; index < 2; index++) before.push((await stack.server.enqueue(queueName, 'quick', {}, { rooms: [room] })).jobId);
  await waitFor(showsDone(clients, before), `${label}: quick jobs completed on screen`, 30_000);
  const gated: string[] = [];
  for (let index = 0; index < 3; index++) gated.push((await stack.server.enqueue(queueName, 'long', { gate: true }, { rooms: [room] })).jobId);
  await waitFor(showsActive(clients, gated), `${label}: gated jobs active on screen`, 30_000);
  const epochs = clients.map((observer) => observer.handle.getSnapshot().epoch);

  if (appendonly) await redis.stop();
  else await redis.kill();
  await redis.start();
  ctx.tally.faults[label] += 1;
  release();
  const since = Date.now();
  const after: string[] = [];
  for (let index = 0; index < 3; index++) {
    const job = await waitFor(() => stack.server.enqueue(queueName, 'after', {}, { rooms: [room] }).catch(() => undefined), `${label}: enqueue after the restart`, 30_000);
    after.push(job.jobId);
  }
  const jobIds = [...before, ...gated, ...after];
  await converge(ctx, { label, observers: clients, queue, jobIds, since, timeoutMs: 45_000, serverCursor: serverCursor(() => stack.url) });
  const snapshots = clients.map((observer) => observer.handle.getSnapshot());
  if (appendonly) {
    const missing = [];
    for (const id of jobIds) if ((await truthOf(queue, id)) !== 'completed') missing.push(id);
    ctx.check(`${label}: nothing lost in BullMQ`, missing.length === 0, `${missing.length} jobs not completed`);
    ctx.check(
      `${label}: same epoch, no resync needed`,
      snapshots.every((snapshot, index) => snapshot.epoch === epochs[index] && snapshot.gaps.resynced === 0),
      snapshots.map((snapshot) => `epoch ${snapshot.epoch === epochs[0] ? 'same' : 'changed'}, resynced ${snapshot.gaps.resynced}`).join('; '),
    );
  } else {
    ctx.check(
      `${label}: new epoch, resync counted, no job left running on screen`,
      snapshots.every((snapshot, index) => snapshot.epoch !== epochs[index] && snapshot.gaps.resynced >= 1),
      snapshots.map((snapshot) => `epoch ${snapshot.epoch === epochs[0] ? 'same' : 'changed'}, resynced ${snapshot.gaps.resynced}`).join('; '),
    );
  }
}

export async function streamTrimmedScenario(ctx: ScenarioContext): Promise<void> {
  const port = await freePort();
  const room = 'document:t1';
  const first = await setup(ctx, ctx.redisUrl, room, 'trim', { port });
  const { queueName, clients, queue } = first;
  let stack: TestStack = first.stack;
  ctx.scope.defer(() => stack.close());
  const { release } = gatedWorker(ctx, queueName);
  const jobIds: string[] = [];
  for (let index = 0; index < 3; index++) jobIds.push((await stack.server.enqueue(queueName, 'long', { gate: true }, { rooms: [room] })).jobId);
  await waitFor(showsActive(clients, jobIds), 'trim: jobs active on screen', 30_000);
  await stack.close();
  // While no node reads: the jobs finish, more are enqueued and finish, and the stream is emptied.
  release();
  const enqueuer = createEnqueuer({ redis: ctx.redisUrl, keyPrefix: first.stack.keyPrefix });
  ctx.scope.defer(() => enqueuer.close());
  for (let index = 0; index < 2; index++) jobIds.push((await enqueuer.enqueue(queueName, 'while-down', {}, { rooms: [room] })).jobId);
  await waitFor(async () => (await Promise.all(jobIds.map((id) => truthOf(queue, id)))).every((truth) => truth === 'completed'), 'trim: jobs finished while the server was down', 30_000);
  const redis = new Redis(ctx.redisUrl);
  ctx.scope.defer(() => redis.quit());
  await redis.xtrim(`bull:${queueName}:events`, 'MAXLEN', 0);
  ctx.tally.faults['stream trimmed'] += 1;
  stack = await startStack({ queues: [queueName], redisUrl: ctx.redisUrl, port, keyPrefix: first.stack.keyPrefix, dataLossCheckMs: 500 });
  await converge(ctx, { label: 'stream trimmed', observers: clients, queue, jobIds, since: Date.now(), timeoutMs: 40_000, serverCursor: serverCursor(() => stack.url) });
}

export async function workerCrashScenario(ctx: ScenarioContext): Promise<void> {
  const room = 'document:w1';
  const { queueName, stack, clients, queue } = await setup(ctx, ctx.redisUrl, room, 'crash');
  const doomed = await startChild(ctx, './crashWorker.ts', { REDIS_URL: ctx.redisUrl, QUEUE: queueName, HANG: '1' });
  const jobIds: string[] = [];
  for (let index = 0; index < 2; index++) jobIds.push((await stack.server.enqueue(queueName, 'crash', {}, { rooms: [room] })).jobId);
  await waitFor(() => jobIds.every((id) => doomed.lines.includes(`active ${id}`)), 'the doomed worker to start both jobs', 30_000);
  await waitFor(showsActive(clients, jobIds), 'crash: jobs active on screen', 30_000);
  await doomed.kill();
  ctx.tally.faults['worker crashed'] += 1;
  await startChild(ctx, './crashWorker.ts', { REDIS_URL: ctx.redisUrl, QUEUE: queueName, HANG: '0' });
  const since = Date.now();
  await converge(ctx, { label: 'worker crashed', observers: clients, queue, jobIds, since, timeoutMs: 45_000, serverCursor: serverCursor(() => stack.url) });
  const attempts = clients[0]!.jobs()[jobIds[0]!]?.attempt;
  ctx.log(`worker crashed: job ended after ${attempts} attempt(s)`);
}

/**
 * Redis behind a slow link (20 ms each way) for the server only: a subscriber arrives while a
 * backlog of jobs waits, so its snapshot makes the server reconcile those jobs from BullMQ
 * while a worker (on a fast link) runs them and the stream's own events are still on their way.
 */
export async function slowRedisLinkScenario(ctx: ScenarioContext): Promise<void> {
  const redis = await startRedisServer();
  ctx.scope.defer(() => redis.dispose());
  const link = await startProxy(redis.port, { delayMs: 20 });
  ctx.scope.defer(() => link.close());
  const queueName = uniqueName('latency');
  const room = 'document:l1';
  const stack = await startStack({ queues: [queueName], redisUrl: link.url.replace('http:', 'redis:') });
  ctx.scope.defer(() => stack.close());
  const early = observers(ctx, stack.url, room, 2, 'early');
  await allReady(early);
  const jobIds: string[] = [];
  for (let index = 0; index < 40; index++) jobIds.push((await stack.server.enqueue(queueName, 'backlog', {}, { rooms: [room] })).jobId);
  await waitFor(() => early.every((observer) => jobIds.every((id) => observer.jobs()[id]?.state === 'waiting')), 'the backlog on screen', 30_000);
  ctx.tally.faults['slow redis link'] += 1;
  const late = observe(ctx.scope, { url: stack.url, room, getToken: () => TOKEN, label: 'late' });
  await late.ready();
  const queue = openQueue(queueName, redis.url);
  queue.on('error', () => undefined);
  ctx.scope.defer(() => queue.close());
  gatedWorker(ctx, queueName, redis.url);
  await converge(ctx, { label: 'slow redis link', observers: [...early, late], queue, jobIds, since: Date.now(), timeoutMs: 40_000, serverCursor: serverCursor(() => stack.url) });
}
