import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './options.js';

/**
 * Opens a connection of jobcast's own from what the user gave: a URL, options, or a client
 * (duplicated, so closing ours never closes theirs). `blocking` connections wait forever
 * for Redis instead of failing commands, as XREAD BLOCK and BullMQ require.
 */
export function openRedis(source: string | RedisOptions | Redis, purpose: string, blocking = false, logger?: Logger): Redis {
  const overrides: RedisOptions = {
    connectionName: `jobcast:${purpose}`,
    ...(blocking ? { maxRetriesPerRequest: null } : {}),
  };
  const client =
    source instanceof Redis ? source.duplicate(overrides) : typeof source === 'string' ? new Redis(source, overrides) : new Redis({ ...source, ...overrides });
  // ioredis reconnects by itself; a connection error is worth a log line, never a crash.
  client.on('error', (error: Error) => logger?.warn({ err: error, connection: purpose }, 'Redis connection error'));
  return client;
}
