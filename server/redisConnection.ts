import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './options.js';
import { hashTagOf } from './store/keys.js';

/**
 * An ioredis client (`Redis` or `Cluster`) from any copy of ioredis: the app's own (often
 * another major version) fails `instanceof` against jobcast's, so it is recognised by what it
 * can do instead.
 */
export interface RedisClientLike {
  duplicate(...args: never[]): unknown;
  options: object;
  status: string;
  defineCommand(...args: never[]): unknown;
}

/** Where jobcast may get Redis from: a URL, ioredis options, or a client of any ioredis copy. */
export type RedisSource = string | RedisOptions | RedisClientLike;

const CLIENT_METHODS = ['duplicate', 'defineCommand', 'connect', 'disconnect', 'quit'] as const;

/** True when `value` looks like an ioredis `Redis` or `Cluster`, whichever copy of ioredis made it. */
export function isRedisClient(value: unknown): value is RedisClientLike {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return (
    CLIENT_METHODS.every((method) => typeof candidate[method] === 'function') &&
    typeof candidate.status === 'string' &&
    typeof candidate.options === 'object' &&
    candidate.options !== null
  );
}

/** Keys that say where Redis is; options without any of them would silently mean 127.0.0.1:6379. */
const ADDRESS_KEYS = ['host', 'port', 'path', 'sentinels'] as const;

/** A short, password-free description of where a source points, for error messages and logs. */
export function describeRedisSource(source: unknown): string {
  if (typeof source === 'string') {
    try {
      const url = new URL(source);
      return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    } catch {
      return 'an unparsable URL';
    }
  }
  if (isRedisClient(source)) {
    const options = source.options as { host?: unknown; port?: unknown; path?: unknown };
    return `an ioredis client (${typeof options.path === 'string' ? options.path : `${String(options.host ?? '?')}:${String(options.port ?? '?')}`})`;
  }
  return 'ioredis options';
}

/**
 * Checks what the user gave for Redis without connecting: a URL, ioredis options that name an
 * address, or an ioredis client. Anything else throws a TypeError that says what was expected,
 * instead of ioredis quietly connecting to 127.0.0.1:6379.
 */
export function assertRedisSource(source: unknown, where = '`redis`'): asserts source is RedisSource {
  if (typeof source === 'string') {
    if (!/^rediss?:\/\//i.test(source)) throw new TypeError(`jobcast: ${where} must be a redis:// or rediss:// URL, got ${JSON.stringify(source.slice(0, 40))}`);
    return;
  }
  if (isRedisClient(source)) return;
  if (source === null || typeof source !== 'object') {
    throw new TypeError(`jobcast: ${where} must be a Redis URL, ioredis options or an ioredis client, got ${source === null ? 'null' : typeof source}`);
  }
  const prototype = Object.getPrototypeOf(source) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (source as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
    throw new TypeError(
      `jobcast: ${where} is a ${name} that is not an ioredis client (it needs duplicate(), defineCommand(), connect(), quit(), status and options); pass a Redis URL, ioredis options or an ioredis Redis/Cluster`,
    );
  }
  if (!ADDRESS_KEYS.some((key) => (source as Record<string, unknown>)[key] !== undefined)) {
    throw new TypeError(`jobcast: ${where} options name no address (host, port, path or sentinels); jobcast does not default to 127.0.0.1:6379`);
  }
}

/** How the Socket.IO adapter's subscriber connection differs from the others (passed to an ioredis `Cluster` as its options). */
export interface ClusterOverrides {
  /**
   * The adapter's subscriber: on a cluster, one subscriber connection per master for SSUBSCRIBE,
   * as sharded pub/sub needs. On any Redis, no ready check: the adapter may subscribe while the
   * connection is still coming up (ioredis sends subscribe commands then), and the ready check's
   * INFO is refused in subscriber mode, which failed the connection and rejected the adapter's
   * SSUBSCRIBE with nobody to catch it.
   */
  shardedSubscribers?: boolean;
}

/**
 * Opens a connection of jobcast's own from what the user gave: a URL, options, or a client
 * (duplicated, so closing ours never closes theirs). `blocking` connections wait forever
 * for Redis instead of failing commands, as XREAD BLOCK and BullMQ require.
 *
 * A client from another copy of ioredis is duplicated by its own copy, so the connection is
 * that copy's class: jobcast only uses the command API, which every ioredis 5 and 6 shares.
 */
export function openRedis(source: RedisSource | Redis, purpose: string, blocking = false, logger?: Logger, cluster: ClusterOverrides = {}): Redis {
  assertRedisSource(source);
  const overrides: RedisOptions = {
    connectionName: `jobcast:${purpose}`,
    ...(blocking ? { maxRetriesPerRequest: null } : {}),
    ...(cluster.shardedSubscribers ? { enableReadyCheck: false } : {}),
  };
  const client = isRedisClient(source)
    ? duplicateClient(source, overrides, cluster)
    : typeof source === 'string'
      ? new Redis(source, overrides)
      : new Redis({ ...source, ...overrides });
  // ioredis reconnects by itself; a connection error is worth a log line, never a crash.
  client.on('error', (error: Error) => logger?.warn({ err: error, connection: purpose }, 'Redis connection error'));
  return client;
}

/** `Redis#duplicate(options)` and `Cluster#duplicate(nodes, options)` take their overrides in different places. */
function duplicateClient(source: RedisClientLike, overrides: RedisOptions, cluster: ClusterOverrides): Redis {
  const duplicate = source.duplicate as (...args: unknown[]) => Redis;
  if ((source as { isCluster?: unknown }).isCluster === true) {
    const redisOptions = (source.options as { redisOptions?: RedisOptions }).redisOptions ?? {};
    return duplicate.call(source, undefined, { ...cluster, redisOptions: { ...redisOptions, ...overrides } });
  }
  return duplicate.call(source, overrides);
}

/** How long start-up waits for Redis before it gives up with an error naming the address. */
export const REDIS_STARTUP_TIMEOUT_MS = 5_000;

/**
 * Resolves once `client` answers a PING; otherwise disconnects it and rejects, within
 * `timeoutMs`, with an error that names jobcast and where Redis was looked for (never the
 * password), instead of ioredis retrying silently and failing later with no address.
 */
export async function reachRedis(client: Redis, source: RedisSource | Redis, timeoutMs = REDIS_STARTUP_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.ping(), timeout]);
  } catch (error) {
    client.disconnect();
    const where = describeRedisSource(source);
    throw new Error(`jobcast: cannot reach Redis at ${where} (${error instanceof Error ? error.message : String(error)}); nothing was started`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** True for an ioredis `Cluster` (of any ioredis copy). */
export const isClusterClient = (client: unknown): boolean => isRedisClient(client) && (client as { isCluster?: unknown }).isCluster === true;

/** True when the Redis `client` talks to runs in cluster mode (`cluster_enabled:1`); false when it cannot tell. */
export async function isClusterNode(client: Pick<Redis, 'info'>): Promise<boolean> {
  return /^cluster_enabled:1\s*$/m.test(await client.info('cluster').catch(() => ''));
}

/**
 * Rejects when `client` is a plain connection to a Redis Cluster node (`cluster_enabled:1`): a
 * URL or options that name one node would fail on every key another node owns. An ioredis
 * `Cluster` is what reaches a cluster.
 */
export async function refuseSingleNodeOfCluster(client: Redis, who: string): Promise<void> {
  if (isClusterClient(client)) return;
  if (await isClusterNode(client)) {
    throw new Error(
      `jobcast: ${who} was given the address of one Redis Cluster node; pass an ioredis Cluster instead (redis: new Cluster([{ host, port }, …])), with a hash-tagged BullMQ prefix such as bullPrefix: '{bull}'`,
    );
  }
}

/**
 * Throws unless every queue's BullMQ keys carry a hash tag on a cluster (`{bull}:summaries:…`):
 * BullMQ's scripts need it there, and jobcast keeps each queue's keys in that slot.
 */
export function assertClusterPrefix(client: unknown, bullPrefix: string, queues: readonly string[], who: string): void {
  if (!isClusterClient(client)) return;
  const untagged = queues.filter((queue) => hashTagOf(`${bullPrefix}:${queue}`) === undefined);
  if (untagged.length > 0) {
    throw new TypeError(
      `jobcast: ${who} runs on a Redis Cluster, where BullMQ's keys need a hash tag: set bullPrefix to a tagged prefix such as '{bull}' (the same prefix your Queue and Worker use), or tag the queue names; untagged: ${untagged.join(', ')}`,
    );
  }
}
