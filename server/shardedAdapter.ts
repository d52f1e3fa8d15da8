import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';

/** socket.io-adapter's `MessageType.BROADCAST` (a dependency of the adapter, not of jobcast). */
const BROADCAST = 3;

/** Sharded pub/sub (SSUBSCRIBE, SPUBLISH) came with Redis 7.0. */
const SHARDED_PUBSUB_SINCE = 7;

/** How long a join waits for Redis to confirm the room's channel before it goes on regardless. */
const SUBSCRIBE_WAIT_MS = 2_000;

/** A refused room-channel subscription is sent again after this long, doubling up to RESUBSCRIBE_MAX_MS. */
const RESUBSCRIBE_FIRST_MS = 500;
const RESUBSCRIBE_MAX_MS = 10_000;

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
 */
export function createJobcastAdapter(
  pub: Redis,
  sub: Redis,
  channelPrefix: string,
  onSubscriptionFailed: (error: unknown, channels: number) => void = () => undefined,
) {
  /** Per namespace: does a room of this node still need this channel? */
  const needs: Array<(channel: string) => boolean> = [];
  catchSubscriptionReplies(sub, onSubscriptionFailed, (channel) => needs.some((needed) => needed(channel)));
  const create = createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode: 'dynamic' });
  // Socket.IO calls it with `new`: a function, not an arrow, and it returns the adapter.
  return function jobcastAdapter(nsp: Namespace) {
    const adapter = create(nsp) as ReturnType<typeof create> & ChannelChoice;
    // The adapter's own naming (`dynamicChannel`, private): `${prefix}#${namespace}#${room}#`.
    const head = `${channelPrefix}#${nsp.name}#`;
    const channelOf = (room: string) => `${head}${room}#`;
    needs.push((channel) => channel.startsWith(head) && channel.endsWith('#') && nsp.adapter.rooms.has(channel.slice(head.length, -1)));
    publishOnRoomChannels(adapter, channelOf);
    waitForSubscriptions(adapter, sub, channelOf);
    return adapter;
  };
}

/**
 * The adapter sends SSUBSCRIBE and SUNSUBSCRIBE without handling their replies: one refused
 * (ioredis gave up retrying during an outage, or the connection was closed under it) would be
 * an unhandled rejection, which ends a Node process. Each is handled here. A refused SSUBSCRIBE
 * while the connection is still in use is told to `onFailure` (once per burst, with how many
 * channels) and sent again, with a growing delay, for as long as a room of this node needs its
 * channel (`needed`): ioredis resubscribes after a reconnect only what Redis had confirmed, and
 * meanwhile the room misses other nodes' statuses (its subscribers' heartbeats find that gap).
 */
function catchSubscriptionReplies(sub: Redis, onFailure: (error: unknown, channels: number) => void, needed: (channel: string) => boolean): void {
  const ssubscribe = sub.ssubscribe.bind(sub) as (...channels: string[]) => Promise<unknown>;
  const sunsubscribe = sub.sunsubscribe.bind(sub) as (...channels: string[]) => Promise<unknown>;
  const report = burstReporter(onFailure);
  /** Channels waiting to be sent again: a channel refused twice before its retry is retried once. */
  const retrying = new Set<string>();
  const subscribe = (channels: string[], delayMs: number): Promise<unknown> => {
    const reply = ssubscribe(...channels);
    reply.catch((error: unknown) => {
      if (sub.status === 'end') return;
      report(error, channels);
      const again = channels.filter((channel) => !retrying.has(channel));
      for (const channel of again) retrying.add(channel);
      if (again.length === 0) return;
      setTimeout(() => {
        for (const channel of again) retrying.delete(channel);
        // One channel a command: on a cluster, channels of one SSUBSCRIBE must share a hash slot.
        if (sub.status !== 'end') for (const channel of again.filter(needed)) void subscribe([channel], Math.min(delayMs * 2, RESUBSCRIBE_MAX_MS));
      }, delayMs).unref();
    });
    return reply;
  };
  const methods = sub as unknown as Record<'ssubscribe' | 'sunsubscribe', (...channels: string[]) => Promise<unknown>>;
  methods.ssubscribe = (...channels) => subscribe(channels, RESUBSCRIBE_FIRST_MS);
  methods.sunsubscribe = (...channels) => {
    const reply = sunsubscribe(...channels);
    reply.catch((error: unknown) => {
      if (sub.status !== 'end') report(error, channels);
    });
    return reply;
  };
}

/** Calls `onFailure` once for the failures of one turn of the event loop (ioredis refuses what it holds all at once), with how many channels they were for. */
function burstReporter(onFailure: (error: unknown, channels: number) => void): (error: unknown, channels: string[]) => void {
  let burst: { error: unknown; channels: Set<string> } | undefined;
  return (error, channels) => {
    if (!burst) {
      const current = (burst = { error, channels: new Set<string>() });
      setImmediate(() => {
        burst = undefined;
        onFailure(current.error, current.channels.size);
      });
    }
    for (const channel of channels) burst.channels.add(channel);
  };
}

/** The adapter's private choice of channel for an outgoing message. */
interface ChannelChoice {
  computeChannel(message: { type: number; data?: { requestId?: string; opts?: { rooms?: string[] } } }): string;
}

/**
 * The adapter takes any 20-character room for a socket id and broadcasts to it on the channel
 * every node hears; `jobcast:` and a 12-character room (`document:123`) is such a name. A
 * socket id never holds a colon, so a room that does gets its own channel, as any other.
 */
function publishOnRoomChannels(adapter: ChannelChoice, channelOf: (room: string) => string): void {
  const computeChannel = adapter.computeChannel.bind(adapter);
  adapter.computeChannel = (message) => {
    const rooms = message.data?.opts?.rooms;
    const room = message.type === BROADCAST && message.data?.requestId === undefined && rooms?.length === 1 ? rooms[0] : undefined;
    return room?.length === 20 && room.includes(':') ? channelOf(room) : computeChannel(message);
  };
}

/**
 * The adapter subscribes to a room's channel when the room's first local member joins, and
 * does not wait for Redis to confirm. A subscribe joins the room, then reads the room's
 * snapshot: a status stored after that read but published before the subscription took hold
 * would reach nobody on this node. So a join that creates a room here resolves once Redis
 * has confirmed the room's channel (at most `SUBSCRIBE_WAIT_MS`).
 */
function waitForSubscriptions(adapter: Namespace['adapter'], sub: Redis, channelOf: (room: string) => string): void {
  const addAll = adapter.addAll.bind(adapter);
  let created: string[] | undefined;
  adapter.on('create-room', (room: string) => created?.push(room));
  adapter.addAll = (id, rooms) => {
    // A join made while another is in progress (a room that follows another's members) is waited for by the outer one.
    if (created) return addAll(id, rooms);
    created = [];
    let channels: string[];
    try {
      void addAll(id, rooms);
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
