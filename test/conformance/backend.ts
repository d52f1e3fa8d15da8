/**
 * Where a run's Redis lives: one redis-server (append-only, so a fault can restart it with or
 * without its data), or a throwaway 3-master Redis Cluster. Every connection of the suite
 * comes from here, so the world, the features and the faults are the same on both.
 *
 * On a cluster every BullMQ key carries the `{bull}` hash tag: BullMQ's scripts touch several
 * keys of a queue at once (and a flow several queues), which a cluster only allows in one slot.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, type RedisClusterHandle } from '../../scripts/redisCluster.js';
import { startRedisServer, type RedisServerHandle } from '../../scripts/redisServer.js';
import { waitFor } from '../support/harness.js';

/** BullMQ's `connection` and `prefix` for a Queue, Worker or FlowProducer. */
export interface BullConnection {
  connection: ConnectionOptions;
  prefix?: string;
}

export interface RedisBackend {
  readonly kind: 'redis' | 'cluster';
  /** The prefix of BullMQ's keys: `bull`, or `{bull}` on a cluster. */
  readonly bullPrefix: string;
  /** For reading BullMQ's streams and trimming them; answers while Redis restarts (no retry limit). */
  readonly admin: Redis | Cluster;
  /** A BullMQ connection (`blocking`: a Worker's, which must never give up on a command). */
  bull(blocking?: boolean): BullConnection;
  /** What `createEnqueuer` gets besides its keyPrefix. */
  enqueuer(): { redis: string | Cluster; bullPrefix?: string };
  /** Environment that points a child process (server node, crash worker) at this Redis. */
  childEnv(): Record<string, string>;
  /** Restarted with its data: every acknowledged write survives. */
  restart(): Promise<void>;
  /** Restarted after losing every key (on a cluster: FLUSHALL on every master); `onLoss` runs when the keys go. */
  wipeRestart(onLoss: () => void): Promise<void>;
  close(): Promise<void>;
}

export async function startBackend(cluster: boolean): Promise<RedisBackend> {
  return cluster ? ClusterBackend.start() : SingleBackend.start();
}

/** QUIT, or a hard disconnect when Redis does not answer soon: the server processes must be stopped after it whatever happens. */
async function closeClient(client: Redis | Cluster): Promise<void> {
  await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  client.disconnect();
}

/** Waits until `admin` answers again after a restart. */
const answering = (admin: Redis | Cluster) => waitFor(() => admin.ping().then((pong) => pong === 'PONG', () => false), 'redis to answer', 60_000);

class SingleBackend implements RedisBackend {
  readonly kind = 'redis';
  readonly bullPrefix = 'bull';
  readonly admin: Redis;
  readonly #redis: RedisServerHandle;

  private constructor(redis: RedisServerHandle) {
    this.#redis = redis;
    this.admin = new Redis(redis.url, { maxRetriesPerRequest: null });
    this.admin.on('error', () => undefined);
  }

  static async start(): Promise<SingleBackend> {
    return new SingleBackend(await startRedisServer({ appendonly: true }));
  }

  bull(blocking = false): BullConnection {
    return { connection: blocking ? { url: this.#redis.url, maxRetriesPerRequest: null } : { url: this.#redis.url } };
  }

  enqueuer() {
    return { redis: this.#redis.url };
  }

  childEnv(): Record<string, string> {
    // Empty, not absent: a REDIS_CLUSTER_NODES inherited from the caller must not turn a child into a cluster client.
    return { REDIS_URL: this.#redis.url, REDIS_CLUSTER_NODES: '' };
  }

  async restart(): Promise<void> {
    await this.#redis.stop();
    await this.#redis.start();
    await answering(this.admin);
  }

  /** The append-only files are deleted before it starts again. */
  async wipeRestart(onLoss: () => void): Promise<void> {
    await this.#redis.kill();
    rmSync(join(this.#redis.dir, 'appendonlydir'), { recursive: true, force: true });
    rmSync(join(this.#redis.dir, 'appendonly.aof'), { force: true });
    rmSync(join(this.#redis.dir, 'dump.rdb'), { force: true });
    onLoss();
    await this.#redis.start();
    await answering(this.admin);
  }

  async close(): Promise<void> {
    await closeClient(this.admin);
    await this.#redis.dispose();
  }
}

/**
 * Three masters, no replicas, started by startRedisCluster without persistence.
 *
 * A restart that keeps the data goes master by master: writes paused, a snapshot saved,
 * SIGKILL, started again from the snapshot (deleted once loaded, so a later data loss does
 * not bring it back). That is one Redis's graceful restart for each slot range: what a client
 * sent during the pause never ran, and it gets an error or sends it again.
 *
 * Not every master at once: BullMQ 6.7's blocking connection on an ioredis Cluster whose
 * every node went away at the same time now and then stopped fetching jobs for good (its
 * reset after an overdue BZPOPMIN waits for an `end` the client never emits), which would
 * test BullMQ rather than jobcast. For the same reason losing the data is a FLUSHALL on every
 * master at once, without a restart: every key is gone, the connections stay.
 */
class ClusterBackend implements RedisBackend {
  readonly kind = 'cluster';
  readonly bullPrefix = '{bull}';
  readonly admin: Cluster;
  readonly #cluster: RedisClusterHandle;
  /** Each master's folder (CONFIG GET dir), where its snapshot goes. */
  readonly #dirs: string[];
  /** Every Cluster client handed out: BullMQ never closes a connection it was given. */
  readonly #clients: Cluster[] = [];

  private constructor(cluster: RedisClusterHandle, dirs: string[]) {
    this.#cluster = cluster;
    this.#dirs = dirs;
    this.admin = this.#client();
  }

  static async start(): Promise<ClusterBackend> {
    const cluster = await startRedisCluster({ masters: 3 });
    try {
      const dirs = await eachMaster(cluster, async (node) => ((await node.config('GET', 'dir')) as string[])[1]!);
      return new ClusterBackend(cluster, dirs);
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  #client(): Cluster {
    // No retry limit, like the single Redis's connections: a command waits out a restart.
    const client = this.#cluster.newClient({ redisOptions: { maxRetriesPerRequest: null } });
    client.on('error', () => undefined);
    this.#clients.push(client);
    return client;
  }

  bull(): BullConnection {
    return { connection: this.#client(), prefix: this.bullPrefix };
  }

  enqueuer() {
    return { redis: this.#client(), bullPrefix: this.bullPrefix };
  }

  childEnv(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.#cluster.nodes.map((node) => `${node.host}:${node.port}`).join(','), BULL_PREFIX: this.bullPrefix };
  }

  async restart(): Promise<void> {
    for (const [index, address] of this.#cluster.nodes.entries()) {
      const node = new Redis({ ...address, maxRetriesPerRequest: 1 });
      node.on('error', () => undefined);
      try {
        // Writes wait from the pause to the kill, so nothing acknowledged misses the snapshot.
        await node.call('CLIENT', 'PAUSE', '30000', 'WRITE');
        await node.save();
      } finally {
        node.disconnect();
      }
      await this.#cluster.restart(index);
      rmSync(join(this.#dirs[index]!, 'dump.rdb'), { force: true });
    }
    await answering(this.admin);
  }

  async wipeRestart(onLoss: () => void): Promise<void> {
    onLoss();
    await eachMaster(this.#cluster, (node) => node.flushall());
    await answering(this.admin);
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map(closeClient));
    await this.#cluster.dispose();
  }
}

/** Runs `work` on a plain connection to each master (a Cluster client cannot address one node by itself). */
async function eachMaster<T>(cluster: RedisClusterHandle, work: (node: Redis) => Promise<T>): Promise<T[]> {
  const nodes = cluster.nodes.map((node) => new Redis({ ...node, maxRetriesPerRequest: 1 }));
  for (const node of nodes) node.on('error', () => undefined);
  try {
    return await Promise.all(nodes.map(work));
  } finally {
    for (const node of nodes) node.disconnect();
  }
}
