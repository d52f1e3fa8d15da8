import { createServer } from 'node:http';
import { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { Redis as ForeignRedis } from 'ioredis-6';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createEnqueuer, createJobcastServer } from '../../server/index.js';
import { assertRedisSource, isRedisClient, openRedis } from '../../server/redisConnection.js';
import { createJobcastWorker, step } from '../../server/worker/index.js';
import { startRedisServer } from '../../scripts/redisServer.js';
import { uniqueName, waitFor } from '../support/harness.js';

// `ioredis-6` is a second, newer copy of ioredis (an npm alias): what an app that ran
// `npm install ioredis` today hands to jobcast, whose own dependency is ioredis 5.
const redisUrl = () => inject('redisUrl');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function foreignClient(): ForeignRedis {
  const client = new ForeignRedis(redisUrl(), { maxRetriesPerRequest: null });
  cleanups.push(() => client.quit().catch(() => client.disconnect()));
  return client;
}

function plainQueue(name: string): Queue {
  const queue = new Queue(name, { connection: { url: redisUrl() } });
  cleanups.push(() => queue.close());
  return queue;
}

/** `promise`'s value, or a string saying what did not happen within 10 s. */
const within = <T,>(promise: Promise<T>, what: string): Promise<T | string> =>
  Promise.race([promise, new Promise<string>((resolve) => setTimeout(() => resolve(`no answer in 10 s: ${what}`), 10_000).unref())]);

/** A port nothing listens on. */
async function freePortForTest(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('redisConnection', () => {
  it("lets the adapter's subscriber connection subscribe while it is still coming up, and keeps it up", async () => {
    // What the Socket.IO adapter does when a socket joins a room at start-up or during a reconnect.
    const sub = openRedis(redisUrl(), 'adapter-sub', false, undefined, { shardedSubscribers: true });
    cleanups.push(() => sub.disconnect());
    const errors: string[] = [];
    sub.on('error', (error: Error) => errors.push(error.message));
    const channel = uniqueName('{room}:channel');
    const subscribed = new Promise<string>((resolve) => sub.once('connect', () => sub.ssubscribe(channel).then(() => resolve('subscribed'), (error: Error) => resolve(`refused: ${error.message}`))));
    expect(await within(subscribed, 'the SSUBSCRIBE answered')).toBe('subscribed');
    await waitFor(() => sub.status === 'ready', 'the subscriber connection ready', 10_000);
    const heard = new Promise<string>((resolve) => sub.once('smessage', (_channel: string, message: string) => resolve(message)));
    const pub = new Redis(redisUrl());
    cleanups.push(() => pub.quit());
    await pub.spublish(channel, 'hello');
    expect(await within(heard, 'the message published to the channel')).toBe('hello');
    expect(errors).toEqual([]);
  });

  it('recognises clients of either ioredis copy by their methods, and options as options', () => {
    const foreign = new ForeignRedis({ lazyConnect: true });
    const own = new Redis({ lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(foreign instanceof Redis).toBe(false); // why `instanceof` cannot be used
    expect([isRedisClient(foreign), isRedisClient(own), isRedisClient(cluster)]).toEqual([true, true, true]);
    expect([isRedisClient({ host: 'redis', port: 6379 }), isRedisClient(redisUrl()), isRedisClient(null)]).toEqual([false, false, false]);
    foreign.disconnect();
    own.disconnect();
    cluster.disconnect();
  });

  it('duplicates a foreign client onto its address, leaving the original open', async () => {
    const foreign = foreignClient();
    const ours = openRedis(foreign, 'test');
    const port = Number(new URL(redisUrl()).port);
    expect((ours.options as { port?: number }).port).toBe(port);
    const key = uniqueName('jc-dup');
    await ours.set(key, 'via jobcast');
    expect(await foreign.get(key)).toBe('via jobcast');
    await ours.quit();
    expect(await foreign.ping()).toBe('PONG');
    await foreign.del(key);
  });

  it('refuses what is neither a URL, addressed options nor a client, instead of defaulting to 127.0.0.1:6379', () => {
    class NotAClient {
      duplicate() {
        return this;
      }
    }
    expect(() => assertRedisSource({})).toThrow(/no address.*127\.0\.0\.1:6379/);
    expect(() => assertRedisSource({ password: 'secret', db: 2 })).toThrow(/no address/);
    expect(() => assertRedisSource(new NotAClient())).toThrow(/NotAClient that is not an ioredis client/);
    expect(() => assertRedisSource('localhost:6379')).toThrow(/redis:\/\/ or rediss:\/\/ URL/);
    expect(() => assertRedisSource(undefined)).toThrow(/got undefined/);
    expect(() => openRedis({} as never, 'test')).toThrow(/jobcast/);
    expect(() => assertRedisSource({ host: 'redis' })).not.toThrow();
    expect(() => assertRedisSource(redisUrl())).not.toThrow();
  });

  it('fails start-up within seconds when Redis is unreachable, naming jobcast and the address, and leaves the HTTP server alone', async () => {
    const port = await freePortForTest();
    const httpServer = createServer();
    const starting = createJobcastServer({
      httpServer,
      redis: `redis://:secret@127.0.0.1:${port}`,
      queues: [uniqueName('down')],
      authenticate: () => ({ id: 'x' }),
      channels: {},
    });
    await expect(starting).rejects.toThrow(`jobcast: cannot reach Redis at redis://127.0.0.1:${port}`);
    await expect(starting).rejects.not.toThrow('secret');
    // Nothing was attached to the app's HTTP server.
    expect(httpServer.listenerCount('request')).toBe(0);
  });

  it('on Redis Cluster, refuses the URL of one node and BullMQ keys with no hash tag, saying what to use', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: await freePortForTest() }], { lazyConnect: true });
    cleanups.push(() => cluster.disconnect());
    const httpServer = createServer();
    const base = { httpServer, queues: [uniqueName('cluster')], authenticate: () => ({ id: 'x' }), channels: {} };
    await expect(createJobcastServer({ ...base, redis: cluster })).rejects.toThrow("BullMQ's keys need a hash tag: set bullPrefix to a tagged prefix such as '{bull}'");

    const node = await startRedisServer({ clusterEnabled: true });
    cleanups.push(() => node.stop());
    await expect(createJobcastServer({ ...base, redis: node.url })).rejects.toThrow('was given the address of one Redis Cluster node; pass an ioredis Cluster instead');
    expect(httpServer.listenerCount('request')).toBe(0);
  });

  it('runs the server and createEnqueuer on a client from another ioredis copy', async () => {
    const queueName = uniqueName('foreign');
    const httpServer = createServer();
    const server = await createJobcastServer({
      httpServer,
      redis: foreignClient(),
      queues: [queueName],
      keyPrefix: uniqueName('jc'),
      authenticate: () => ({ id: 'alice' }),
      channels: { 'document:{id}': () => true },
    });
    cleanups.push(() => server.close());
    const health = await server.health();
    expect(health.redis).toBe('up');

    const queue = plainQueue(queueName);
    const viaServer = await server.enqueue(queueName, 'summarize', { documentId: '1' }, { rooms: ['document:1'] });
    expect((await queue.getJob(viaServer.jobId))?.name).toBe('summarize');

    const enqueuer = createEnqueuer({ redis: foreignClient() as never });
    cleanups.push(() => enqueuer.close());
    const viaEnqueuer = await enqueuer.enqueue(queueName, 'export', { documentId: '2' }, { rooms: ['document:2'] });
    expect((await queue.getJob(viaEnqueuer.jobId))?.name).toBe('export');
  });

  it('runs a jobcast worker with checkpointing on a client from another ioredis copy', async () => {
    const queueName = uniqueName('foreign-worker');
    let fetches = 0;
    let attempts = 0;
    const worker = createJobcastWorker(
      queueName,
      async () => {
        attempts++;
        const text = await step('fetch', async () => {
          fetches++;
          return 'text';
        });
        // The first attempt fails after `fetch`: the retry must find it in the checkpoint.
        if (attempts === 1) throw new Error('transient');
        return { text };
      },
      { connection: foreignClient() as never, checkpoint: true },
    );
    cleanups.push(() => worker.close());
    const queue = plainQueue(queueName);
    const job = await queue.add('checkpointed', {}, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    const done = await waitFor(async () => ((await job.isCompleted()) ? job.id : undefined), 'the job to complete', 60_000);
    expect(done).toBe(job.id);
    expect({ attempts, fetches }).toEqual({ attempts: 2, fetches: 1 });
  });
});
