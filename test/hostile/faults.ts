/**
 * Faults without Redis involvement: clients dropping (network cuts and disconnects) while
 * jobs run, a server node killed under its clients, and a slow consumer.
 */
import { createEnqueuer } from '../../server/index.js';
import { openQueue, stalledPollingClient, startStack, uniqueName, waitFor } from '../support/harness.js';
import { startServerProcess } from '../support/processes.js';
import { startBalancer } from '../support/tcpBalancer.js';
import { converge } from './converge.js';
import { allReady, gatedWorker, observers, serverCursor, TOKEN } from './faultKit.js';
import { observe } from './observer.js';
import { startProxy } from './proxy.js';
import { sleep, type ScenarioContext } from './report.js';

export async function clientDropsScenario(ctx: ScenarioContext): Promise<void> {
  const rng = ctx.rng.fork('client-drops');
  const queueName = uniqueName('drops');
  // A short history, so long drops end in a resync and short ones in a replay: both paths run.
  const stack = await startStack({ queues: [queueName], redisUrl: ctx.redisUrl, historySize: 40 });
  ctx.scope.defer(() => stack.close());
  const proxy = await startProxy(Number(new URL(stack.url).port));
  ctx.scope.defer(() => proxy.close());
  const direct = [...observers(ctx, stack.url, 'document:d1', 2, 'direct'), ...observers(ctx, stack.url, 'document:d2', 1, 'direct-d2')];
  const cut = [...observers(ctx, proxy.url, 'document:d1', 2, 'proxied'), ...observers(ctx, proxy.url, 'document:d2', 1, 'proxied-d2')];
  const everyone = [...direct, ...cut];
  await allReady(everyone);
  gatedWorker(ctx, queueName);
  const queue = openQueue(queueName, ctx.redisUrl);
  queue.on('error', () => undefined);
  ctx.scope.defer(() => queue.close());

  const jobIds: Record<'document:d1' | 'document:d2', string[]> = { 'document:d1': [], 'document:d2': [] };
  let drops = 0;
  const enqueueing = (async () => {
    for (let index = 0; index < 40; index++) {
      const rooms = rng.chance(0.5) ? (['document:d1', 'document:d2'] as const) : (['document:d1'] as const);
      const { jobId } = await stack.server.enqueue(queueName, 'drop', { index }, { rooms: [...rooms] });
      for (const room of rooms) jobIds[room].push(jobId);
      await sleep(rng.int(60, 200));
    }
  })();
  const dropping = (async () => {
    const until = Date.now() + 6_000;
    while (Date.now() < until) {
      if (rng.chance(0.4)) {
        drops += proxy.cut() > 0 ? 1 : 0;
      } else {
        const victim = rng.pick(direct);
        victim.client.disconnect();
        drops++;
        const away = rng.int(50, 1_500);
        setTimeout(() => victim.client.connect(), away);
      }
      await sleep(rng.int(200, 700));
    }
  })();
  await Promise.all([enqueueing, dropping]);
  await sleep(1_600);
  for (const observer of direct) if (observer.client.connection.getSnapshot().state === 'disconnected') observer.client.connect();
  ctx.tally.faults['client drops'] += drops;
  const since = Date.now();
  for (const room of ['document:d1', 'document:d2'] as const) {
    const inRoom = everyone.filter((observer) => observer.room === room);
    await converge(ctx, { label: `client drops (${room})`, observers: inRoom, queue, jobIds: jobIds[room], since, serverCursor: serverCursor(() => stack.url) });
  }
  const gaps = everyone.map((observer) => observer.handle.getSnapshot().gaps);
  const replayed = gaps.reduce((sum, entry) => sum + entry.replayed, 0);
  const resynced = gaps.reduce((sum, entry) => sum + entry.resynced, 0);
  ctx.log(`client drops: ${drops} drops; gaps replayed ${replayed}, resynced ${resynced}`);
  ctx.check('client drops: the drops made clients recover (control)', replayed + resynced > 0, `${drops} drops, nothing to recover`);
}

export async function nodeKilledScenario(ctx: ScenarioContext): Promise<void> {
  const queueName = uniqueName('kill');
  const keyPrefix = uniqueName('jc');
  const nodes = await Promise.all(
    ['node-a', 'node-b'].map((NODE_ID) => startServerProcess({ REDIS_URL: ctx.redisUrl, QUEUES: queueName, KEY_PREFIX: keyPrefix, NODE_ID })),
  );
  ctx.scope.defer(() => Promise.all(nodes.map((node) => node.kill())));
  const balancer = await startBalancer(nodes.map((node) => node.port));
  ctx.scope.defer(() => balancer.close());
  const clients = observers(ctx, balancer.url, 'document:k1', 8, 'balanced');
  await allReady(clients);
  await waitFor(() => clients.every((observer) => observer.client.connection.getSnapshot().nodeId), 'every client to know its node');
  const enqueuer = createEnqueuer({ redis: ctx.redisUrl, keyPrefix });
  ctx.scope.defer(() => enqueuer.close());
  const { release } = gatedWorker(ctx, queueName);
  const queue = openQueue(queueName, ctx.redisUrl);
  queue.on('error', () => undefined);
  ctx.scope.defer(() => queue.close());
  const jobIds: string[] = [];
  for (let index = 0; index < 5; index++) jobIds.push((await enqueuer.enqueue(queueName, 'long', { gate: index < 4 }, { rooms: ['document:k1'] })).jobId);
  await waitFor(() => clients.every((observer) => jobIds.slice(0, 4).every((id) => observer.jobs()[id]?.progress === 10)), 'jobs active on every client', 30_000);
  const victimNode = clients[0]!.client.connection.getSnapshot().nodeId!;
  // Jobs keep flowing while the node dies: some events go out while its clients are between nodes.
  const flowing = (async () => {
    for (let index = 0; index < 40; index++) {
      jobIds.push((await enqueuer.enqueue(queueName, 'flow', {}, { rooms: ['document:k1'] })).jobId);
      await sleep(40);
    }
  })();
  await sleep(500);
  await nodes.find((node) => node.nodeId === victimNode)!.kill();
  ctx.tally.faults['node killed'] += 1;
  release();
  await flowing;
  const since = Date.now();
  await converge(ctx, { label: 'node killed', observers: clients, queue, jobIds, since, timeoutMs: 45_000, serverCursor: serverCursor(() => balancer.url) });
  const moved = clients[0]!.client.connection.getSnapshot().nodeId;
  ctx.check('node killed: the client on the dead node moved to the other', moved !== undefined && moved !== victimNode, `was on ${victimNode}, now on ${moved}`);
}

export async function slowConsumerScenario(ctx: ScenarioContext): Promise<void> {
  const queueName = uniqueName('slow');
  const stack = await startStack({ queues: [queueName], redisUrl: ctx.redisUrl, maxBufferedPackets: 20 });
  ctx.scope.defer(() => stack.close());
  const fast = [...observers(ctx, stack.url, 'document:s1', 2, 'fast'), ...observers(ctx, stack.url, 'document:s1', 1, 'fast-polling', { transports: ['polling'] })];
  await allReady(fast);
  const slow = await stalledPollingClient(stack.url, TOKEN, 'document:s1');
  ctx.check('slow consumer: the stalled client subscribed (control)', slow.subscribed);
  gatedWorker(ctx, queueName);
  const queue = openQueue(queueName, ctx.redisUrl);
  queue.on('error', () => undefined);
  ctx.scope.defer(() => queue.close());
  const jobIds: string[] = [];
  for (let index = 0; index < 40; index++) jobIds.push((await stack.server.enqueue(queueName, 'burst', {}, { rooms: ['document:s1'] })).jobId);
  ctx.tally.faults['slow consumer'] += 1;
  const dropped = await waitFor(() => !stack.server.io.of('/').sockets.has(slow.socketId), 'the slow consumer to be disconnected', 30_000).then(
    () => true,
    () => false,
  );
  ctx.check('slow consumer: disconnected once past maxBufferedPackets', dropped);
  // A late client joins mid-burst and must converge too.
  const late = observe(ctx.scope, { url: stack.url, room: 'document:s1', getToken: () => TOKEN, label: 'late' });
  await late.ready();
  await converge(ctx, { label: 'slow consumer', observers: [...fast, late], queue, jobIds, since: Date.now(), serverCursor: serverCursor(() => stack.url) });
  const behind = fast.filter((observer) => observer.handle.getSnapshot().gaps.detected > 0).map((observer) => observer.label);
  ctx.check('slow consumer: the others never had to recover (no gap, no resync)', behind.length === 0, `gaps on ${behind.join(', ')}`);
}
