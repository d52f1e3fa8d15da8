/**
 * How a child process of the demo stops: on SIGTERM from the supervisor, or when the
 * supervisor is gone (IPC disconnect). Ctrl-C reaches the whole process group, Redis too:
 * the children ignore SIGINT and let the supervisor stop them in order, and once Redis is
 * gone there is nothing left to finish gracefully, so they exit at once.
 */
import type { Redis } from 'ioredis';

export function exitOnShutdown(options: { close: () => Promise<void>; redis: Redis; capMs: number }): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const redisGone = new Promise<void>((resolve) => {
      if (options.redis.status !== 'ready') resolve();
      options.redis.once('close', () => resolve());
    });
    const cap = new Promise<void>((resolve) => setTimeout(resolve, options.capMs).unref());
    await Promise.race([options.close().catch((error: unknown) => console.error('error while closing:', error)), redisGone, cap]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => void stop());
}
