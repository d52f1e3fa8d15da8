import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A minimal TCP load balancer, as in front of a real deployment: each new connection goes
 * to the next backend, skipping ones that refuse. Lets a test kill a node and watch its
 * clients reconnect, through the same URL, to another.
 */
export async function startBalancer(backends: number[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const connectTo = (client: Socket, tried: number) => {
    if (tried >= backends.length) return client.destroy();
    const port = backends[next++ % backends.length]!;
    const upstream = createConnection({ port, host: '127.0.0.1' });
    sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      sockets.delete(upstream);
      if (!connected) connectTo(client, tried + 1); // refused: a dead backend, try the next
    });
    upstream.once('close', () => {
      if (connected) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    connectTo(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
