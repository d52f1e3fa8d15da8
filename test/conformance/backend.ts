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
  /** Restarted after losing every key; `whileDown` runs once it is down, before it starts again. */
  wipeRestart(whileDown: () => void): Promise<void>;
  close(): Promise<void>;
}

export async function startBackend(cluster: boolean): Promise<RedisBackend> {
  return cluster ? ClusterBackend.start() : SingleBackend.start();
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
  async wipeRestart(whileDown: () => void): Promise<void> {
    await this.#redis.kill();
    rmSync(join(this.#redis.dir, 'appendonlydir'), { recursive: true, force: true });
    rmSync(join(this.#redis.dir, 'appendonly.aof'), { force: true });
    rmSync(join(this.#redis.dir, 'dump.rdb'), { force: true });
    whileDown();
    await this.#redis.start();
    await answering(this.admin);
  }

  async close(): Promise<void> {
    await this.admin.quit().catch(() => this.admin.disconnect());
    await this.#redis.dispose();
  }
}

/**
 * Three masters, no replicas, started by startRedisCluster without persistence. A restart
 * that keeps the data pauses writes on every master, has each SAVE a snapshot, kills them all
 * and starts them again (they load the snapshot): the same as one Redis's graceful restart,
 * where what a client sent and never heard back about is sent again after the reconnect. The
 * snapshot is deleted once loaded, so a later data loss does not bring it back.
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
    // Writes wait from the first pause to the kill, so nothing acknowledged misses the snapshot.
    await eachMaster(this.#cluster, (node) => node.call('CLIENT', 'PAUSE', '30000', 'WRITE'));
    await eachMaster(this.#cluster, (node) => node.save());
    await this.#restartAll(() => undefined);
    this.#removeSnapshots();
  }

  async wipeRestart(whileDown: () => void): Promise<void> {
    await this.#restartAll(() => {
      this.#removeSnapshots();
      whileDown();
    });
  }

  /** Kills every master at once (the cluster is down as a whole, like one Redis), then starts them on their folders. */
  async #restartAll(whileDown: () => void): Promise<void> {
    await Promise.all(this.#cluster.nodes.map((_, index) => this.#cluster.kill(index)));
    whileDown();
    await Promise.all(this.#cluster.nodes.map((_, index) => this.#cluster.restart(index)));
    await answering(this.admin);
  }

  #removeSnapshots(): void {
    for (const dir of this.#dirs) rmSync(join(dir, 'dump.rdb'), { force: true });
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.quit().catch(() => client.disconnect())));
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
