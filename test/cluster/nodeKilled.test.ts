import { describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../support/harness.js';
import { startBalancer } from '../support/tcpBalancer.js';
import { clusterEnqueuer, clusterQueue, clusterWorker, ingestingNode, observe, serverCursor, sleep, startClusterNode } from './clusterKit.js';
import { byNode, deliveryProblems, waitForFinalStates } from './deliveryChecks.js';

describe('a jobcast node killed with SIGKILL mid-burst, on a Redis Cluster', () => {
  it('every client still gets every final state, through another node, each status once and in seq order', async () => {
    const queue = uniqueName('killed');
    const keyPrefix = uniqueName('jc');
    const rooms = ['document:k1', 'document:k2'];
    // A short lease, so the takeover after the kill comes within a couple of seconds.
    const servers = await Promise.all(['killed-a', 'killed-b', 'killed-c'].map((nodeId) => startClusterNode({ queues: [queue], keyPrefix, nodeId, leaseTtlMs: 2_000 })));
    // One URL for the clients, as behind a real balancer: a client whose node dies reconnects through it to another.
    const balancer = await startBalancer(servers.map((server) => server.port));
    try {
      const observers = Array.from({ length: 9 }, (_, index) => observe(balancer.url, rooms[index % 2]!, `client-${index + 1}`));
      await Promise.all(observers.map((observer) => observer.ready(30_000)));
      await waitFor(() => observers.every((observer) => observer.client.connection.getSnapshot().nodeId), 'every client to know its node');
      clusterWorker(queue);
      const bullQueue = clusterQueue(queue);
      const enqueuer = clusterEnqueuer(keyPrefix);

      // The victim is the node ingesting the queue: its death must hand the ingest to another node, too.
      const victim = await waitFor(() => ingestingNode(servers, queue), 'a node to take the queue', 30_000);
      const onVictim = byNode(observers).get(victim.nodeId) ?? [];
      expect(onVictim.length, 'clients connected to the node that gets killed (control)').toBeGreaterThan(0);

      const jobIds = new Map<string, string[]>(rooms.map((room) => [room, []]));
      const burst = async (from: number, to: number) => {
        for (let index = from; index < to; index++) {
          // Jobs in one room or both; every fifth fails; some hold their worker slot a little.
          const jobRooms = index % 3 === 0 ? rooms : [rooms[index % 2]!];
          const { jobId } = await enqueuer.enqueue(queue, 'burst', { fail: index % 5 === 0, holdMs: (index * 37) % 120 }, { rooms: jobRooms, attempts: 1 });
          for (const room of jobRooms) jobIds.get(room)!.push(jobId);
          await sleep(20);
        }
      };
      await burst(0, 25);
      // Killed while jobs run and more are added: events are in flight, and its clients are between nodes for a moment.
      const sending = burst(25, 70);
      await victim.kill();
      await sending;

      const survivors = servers.filter((server) => server !== victim);
      for (const room of rooms) {
        await waitForFinalStates(
          observers.filter((observer) => observer.room === room),
          bullQueue,
          jobIds.get(room)!,
        );
      }
      for (const observer of onVictim) {
        expect(observer.client.connection.getSnapshot().nodeId, `${observer.label} moved off the killed node`).not.toBe(victim.nodeId);
      }
      const cursors = new Map(await Promise.all(rooms.map(async (room) => [room, await serverCursor(survivors[0]!.url, room)] as const)));
      expect(deliveryProblems(observers, cursors)).toEqual([]);
      // Another node took the ingest over (it did, or the last jobs would not have reached anyone).
      expect((await ingestingNode(survivors, queue))?.nodeId).toBeDefined();
    } finally {
      await balancer.close();
    }
  });
});
