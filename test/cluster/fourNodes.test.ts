import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/harness.js';
import { clusterEnqueuer, clusterQueue, clusterWorker, observe, serverCursor, sleep, startClusterNode } from './clusterKit.js';
import { byNode, deliveryProblems, waitForFinalStates } from './deliveryChecks.js';

describe('four jobcast nodes with clients spread over them, on a Redis Cluster', () => {
  it('every client sees every job of its room finish, and every node and client ends at the same room cursor', async () => {
    const queue = uniqueName('four');
    const keyPrefix = uniqueName('jc');
    // Rooms whose keys hash to different slots, so the rooms' writes go to different masters.
    const rooms = ['document:f1', 'document:f2', 'document:f3'];
    const servers = await Promise.all([1, 2, 3, 4].map((number) => startClusterNode({ queues: [queue], keyPrefix, nodeId: `four-${number}` })));
    // Each node gets a client of every room.
    const observers = servers.flatMap((server) => rooms.map((room) => observe(server.url, room, `${server.nodeId}-${room}`)));
    await Promise.all(observers.map((observer) => observer.ready(30_000)));
    expect(byNode(observers).size, 'nodes with clients (control)').toBe(4);
    clusterWorker(queue);
    const bullQueue = clusterQueue(queue);
    const enqueuer = clusterEnqueuer(keyPrefix);

    const jobIds = new Map<string, string[]>(rooms.map((room) => [room, []]));
    for (let index = 0; index < 90; index++) {
      const jobRooms = index % 4 === 0 ? [rooms[index % 3]!, rooms[(index + 1) % 3]!] : [rooms[index % 3]!];
      const { jobId } = await enqueuer.enqueue(queue, 'spread', { fail: index % 7 === 0, holdMs: (index * 13) % 60 }, { rooms: jobRooms, attempts: 1 });
      for (const room of jobRooms) jobIds.get(room)!.push(jobId);
      await sleep(15);
    }

    for (const room of rooms) {
      await waitForFinalStates(
        observers.filter((observer) => observer.room === room),
        bullQueue,
        jobIds.get(room)!,
      );
    }
    // Every node reads the same cursor for a room, and every client of the room stands on it.
    const cursors = new Map<string, { epoch: string; seq: number }>();
    for (const room of rooms) {
      const seen = await Promise.all(servers.map((server) => serverCursor(server.url, room)));
      expect(new Set(seen.map((cursor) => `${cursor.epoch}:${cursor.seq}`)).size, `${room}: one cursor on every node`).toBe(1);
      cursors.set(room, seen[0]!);
      const clients = observers.filter((observer) => observer.room === room).map((observer) => observer.handle.getSnapshot());
      expect(clients.map((snapshot) => `${snapshot.epoch}:${snapshot.seq}`)).toEqual(clients.map(() => `${seen[0]!.epoch}:${seen[0]!.seq}`));
    }
    expect(deliveryProblems(observers, cursors)).toEqual([]);
  });
});
