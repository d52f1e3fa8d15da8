import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy whose traffic can be paused without closing anything: both ends keep
 * their sockets open and hear nothing, as with a network that stalls (a sleeping laptop, a
 * dead NAT entry, Wi-Fi out of range). Data sent meanwhile waits and flows, in order, on resume.
 */
export async function startPausableProxy(targetPort: number): Promise<{
  url: string;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}> {
  let paused = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      const write = () => void (to.writable && to.write(chunk));
      if (paused) held.push(write);
      else write();
    });
  const server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      for (const write of held.splice(0)) write();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
