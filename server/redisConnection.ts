import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens a connection of jobcast's own from what the user gave: a URL, options, or a client
 * (duplicated, so closing ours never closes theirs). `blocking` connections wait forever
 * for Redis instead of failing commands, as XREAD BLOCK and BullMQ require.
 */
export function openRedis(source: string | RedisOptions | Redis, purpose: string, blocking = false): Redis {
  const overrides: RedisOptions = {
    connectionName: `jobcast:${purpose}`,
    ...(blocking ? { maxRetriesPerRequest: null } : {}),
  };
  if (source instanceof Redis) return source.duplicate(overrides);
  if (typeof source === 'string') return new Redis(source, overrides);
  return new Redis({ ...source, ...overrides });
}
