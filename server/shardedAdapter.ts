import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';

/** Sharded pub/sub (SSUBSCRIBE, SPUBLISH) came with Redis 7.0. */
const SHARDED_PUBSUB_SINCE = 7;

/** How long a join waits for Redis to confirm the room's channel before it goes on regardless. */
const SUBSCRIBE_WAIT_MS = 2_000;

/**
 * Why the adapter jobcast attaches cannot run on a Redis of this version (`redis_version`
 * from INFO), with what to do instead; undefined when it can. It needs sharded pub/sub:
 * on an older Redis every broadcast to another node would fail unseen.
 */
export function shardedPubSubProblem(version: string): string | undefined {
  const major = Number.parseInt(version, 10);
  if (!Number.isFinite(major) || major >= SHARDED_PUBSUB_SINCE) return undefined;
  return (
    `jobcast: this Redis is version ${version}; the Socket.IO Redis adapter jobcast attaches (redisAdapter: true, the default) uses sharded pub/sub, which needs Redis 7.0 or newer. ` +
    'Upgrade Redis to 7 or later; or, for a single server node, set redisAdapter: false; ' +
    'or pass your own `io` with an adapter of your choice (the classic createAdapter of @socket.io/redis-adapter works on Redis 6).'
  );
}

/** Rejects with {@link shardedPubSubProblem}'s message when the Redis behind `client` is older than 7.0. */
export async function assertShardedPubSub(client: Redis): Promise<void> {
  const version = /^redis_version:(\S+)/m.exec(await client.info('server'))?.[1];
  const problem = version === undefined ? undefined : shardedPubSubProblem(version);
  if (problem) throw new Error(problem);
}

/**
 * The Socket.IO adapter of jobcast's own `io`: Redis 7 sharded pub/sub, one channel per room
 * ("dynamic" mode), so a node subscribes only to the rooms it has members in and a broadcast
 * to one room reaches only those nodes. `sub` must be an ioredis `Cluster` created with
 * `shardedSubscribers: true` when Redis is a cluster.
 *
 * The adapter subscribes to a room's channel when the room's first local member joins, and
 * does not wait for Redis to confirm. A subscribe joins the room, then reads the room's
 * snapshot: a status stored after that read but published before the subscription took hold
 * would reach nobody on this node. So a join that creates a room here resolves once Redis
 * has confirmed the room's channel (at most `SUBSCRIBE_WAIT_MS`).
 */
export function createJobcastAdapter(pub: Redis, sub: Redis, channelPrefix: string) {
  const create = createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode: 'dynamic' });
  // Socket.IO calls it with `new`: a function, not an arrow, and it returns the adapter.
  return function jobcastAdapter(nsp: Namespace) {
    const adapter = create(nsp);
    // The adapter's own naming (`dynamicChannel`, private): `${prefix}#${namespace}#${room}#`.
    const channelOf = (room: string) => `${channelPrefix}#${nsp.name}#${room}#`;
    const addAll = adapter.addAll.bind(adapter);
    let created: string[] | undefined;
    const onCreate = (room: string) => created?.push(room);
    adapter.on('create-room', onCreate);
    adapter.addAll = (id, rooms) => {
      // A join made while another is in progress (a room that follows another's members) is waited for by the outer one.
      if (created) return addAll(id, rooms);
      created = [];
      let channels: string[];
      try {
        addAll(id, rooms);
      } finally {
        // Socket-id rooms have no channel of their own in this mode.
        channels = created.filter((room) => !adapter.sids.has(room)).map(channelOf);
        created = undefined;
      }
      if (channels.length === 0) return;
      // SSUBSCRIBE again: Redis answers on the connection (and, on a cluster, the shard
      // subscriber) that carries the adapter's own SSUBSCRIBE, after it.
      return confirmed(Promise.all(channels.map((channel) => sub.ssubscribe(channel))));
    };
    return adapter;
  };
}

/** Resolves when `subscribed` settles or after `SUBSCRIBE_WAIT_MS`, whichever is first; never rejects. */
function confirmed(subscribed: Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    subscribed.then(done, done);
  });
}
