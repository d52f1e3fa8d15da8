import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterHandle } from '../../scripts/redisCluster.js';

/** Does anything accept a TCP connection on `port`? */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Keys each node holds, read over a plain connection to that node alone. */
async function keysOn(port: number, pattern: string): Promise<string[]> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    return await node.keys(pattern);
  } finally {
    node.disconnect();
  }
}

describe('startRedisCluster', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(() => cluster?.dispose());

  it('splits the slots over its masters, so keys of different slots land on different nodes', async () => {
    const client = cluster.newClient();
    try {
      // The hash tag picks the slot: thirty tags spread over all three masters.
      const keys = Array.from({ length: 30 }, (_, index) => `probe:{${index}}`);
      for (const key of keys) await client.set(key, key);
      for (const key of keys) expect(await client.get(key)).toBe(key);
      const perNode = await Promise.all(cluster.nodes.map((node) => keysOn(node.port, 'probe:*')));
      expect(perNode.every((held) => held.length > 0)).toBe(true);
      expect(perNode.flat().sort()).toEqual([...keys].sort());
      // Each key sits on the node that owns its slot, as the cluster's own map says.
      const slots = await client.cluster('SLOTS');
      for (const [index, held] of perNode.entries()) {
        for (const key of held) {
          const slot = (await client.cluster('KEYSLOT', key)) as number;
          const owner = slots.find(([first, last]) => slot >= first && slot <= last)!;
          expect(owner[2]![1]).toBe(cluster.nodes[index]!.port);
        }
      }
    } finally {
      await client.quit();
    }
  });

  it('restarts a killed master, which takes its slots back', async () => {
    await cluster.restart(1);
    const client = cluster.newClient();
    try {
      const key = `after-restart:{${cluster.nodes[1]!.port}}`;
      await client.set(key, 'ok');
      expect(await client.get(key)).toBe('ok');
    } finally {
      await client.quit();
    }
  });

  it('stops every process on dispose, and a second dispose is harmless', async () => {
    const extra = await startRedisCluster({ masters: 2 });
    expect(await Promise.all(extra.nodes.map((node) => listening(node.port)))).toEqual([true, true]);
    await extra.dispose();
    await extra.dispose();
    expect(await Promise.all(extra.nodes.map((node) => listening(node.port)))).toEqual([false, false]);
  });
});
