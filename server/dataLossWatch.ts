import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from './options.js';

/**
 * Notices when Redis lost its data (restarted without persistence, flushed): a marker key
 * written at start-up is gone. Checked when the connection becomes ready again and on a
 * timer (a FLUSHALL does not drop the connection). On loss it writes a new marker and calls
 * `onLost`, which tells subscribers to resynchronise: their cursors belong to the old data.
 */
export function watchDataLoss(args: { redis: Redis; key: string; intervalMs: number; logger: Logger; onLost: () => void }): {
  close: () => void;
} {
  const { redis, key, logger } = args;
  let marker: string | undefined;
  let checking = false;

  const check = async () => {
    if (checking || redis.status !== 'ready') return;
    checking = true;
    try {
      // Keep an existing marker (other nodes share it); learn it on the first check.
      await redis.set(key, randomUUID(), 'NX');
      const current = await redis.get(key);
      if (current === null) return;
      if (marker !== undefined && current !== marker) {
        logger.warn({ key }, 'Redis lost its data: cursors start a new epoch; telling subscribers to resync');
        marker = current;
        args.onLost();
      }
      marker = current;
    } catch (error) {
      logger.debug({ err: error }, 'data-loss check failed; will retry');
    } finally {
      checking = false;
    }
  };

  const onReady = () => void check();
  redis.on('ready', onReady);
  const timer = setInterval(() => void check(), args.intervalMs);
  timer.unref();
  void check();
  return {
    close: () => {
      clearInterval(timer);
      redis.off('ready', onReady);
    },
  };
}
