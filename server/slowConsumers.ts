import { ERROR_MESSAGES, EVENTS } from '../shared/index.js';
import type { JobcastIo } from './jobcastIo.js';
import type { Logger } from './options.js';

/**
 * Engine.IO queues without limit for a socket that does not read. Each sweep disconnects
 * sockets whose queue passed the bound: they reconnect, resubscribe with their cursor and
 * catch up by replay, while everyone else in their rooms is never held back.
 */
export function guardSlowConsumers(args: {
  io: JobcastIo;
  maxBufferedPackets: number;
  intervalMs: number;
  logger: Logger;
  onDisconnect?: (socketId: string, buffered: number) => void;
}): { close: () => void } {
  const sweep = () => {
    for (const socket of args.io.of('/').sockets.values()) {
      // engine.io keeps its send queue private and offers no public count of it.
      const buffered = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
      if (buffered <= args.maxBufferedPackets) continue;
      args.logger.warn({ socketId: socket.id, buffered }, 'slow consumer: disconnecting; it will resync on return');
      args.onDisconnect?.(socket.id, buffered);
      // Best effort: the notice queues behind the backlog, so a client may only see the disconnect.
      socket.emit(EVENTS.notice, { code: 'SLOW_CONSUMER', message: ERROR_MESSAGES.SLOW_CONSUMER });
      // Close without waiting for the backlog to drain: that backlog is what we are freeing.
      socket.disconnect(true);
      socket.conn.close(true);
    }
  };
  const timer = setInterval(sweep, args.intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
