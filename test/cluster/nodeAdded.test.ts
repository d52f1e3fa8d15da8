import { describe, expect, it } from 'vitest';
import { isTerminalStatus } from '../../shared/index.js';
import { uniqueName } from '../support/harness.js';
import type { Observer } from '../hostile/observer.js';
import { clusterEnqueuer, clusterQueue, clusterWorker, observe, serverCursor, sleep, startClusterNode } from './clusterKit.js';
import { deliveryProblems, waitForFinalStates } from './deliveryChecks.js';

describe('a jobcast node added while events flow, on a Redis Cluster', () => {
  it("gives its clients every event of their room after they subscribe, the same as the other nodes' clients", async () => {
    const queue = uniqueName('added');
    const keyPrefix = uniqueName('jc');
    const rooms = ['document:a1', 'document:a2'];
    const first = await Promise.all(['added-a', 'added-b'].map((nodeId) => startClusterNode({ queues: [queue], keyPrefix, nodeId })));
    const early = first.flatMap((server, index) => rooms.map((room) => observe(server.url, room, `early-${index + 1}-${room}`)));
    await Promise.all(early.map((observer) => observer.ready(30_000)));
    clusterWorker(queue);
    const bullQueue = clusterQueue(queue);
    const enqueuer = clusterEnqueuer(keyPrefix);

    const jobIds = new Map<string, string[]>(rooms.map((room) => [room, []]));
    /** Jobs added once the late clients had subscribed: they must see each one's whole life. */
    const afterSubscribe: Array<{ jobId: string; rooms: string[] }> = [];
    let late: Observer[] | undefined;
    let index = 0;
    const flowing = (async () => {
      // Jobs flow until the new node's clients are in, then 30 more, faster. At most 120 before
      // (a slow start-up pauses the flow there) and 150 in all: every job stays in the rooms' snapshots.
      while (late === undefined || afterSubscribe.length < 30) {
        const subscribed = late !== undefined;
        if (!subscribed && index >= 120) {
          await sleep(50);
          continue;
        }
        const jobRooms = index % 4 === 0 ? rooms : [rooms[index % 2]!];
        const { jobId } = await enqueuer.enqueue(queue, 'flow', { fail: index % 6 === 0, holdMs: (index * 29) % 80 }, { rooms: jobRooms, attempts: 1 });
        for (const room of jobRooms) jobIds.get(room)!.push(jobId);
        if (subscribed) afterSubscribe.push({ jobId, rooms: jobRooms });
        index++;
        await sleep(subscribed ? 40 : 100);
      }
    })();

    await sleep(500);
    const added = await startClusterNode({ queues: [queue], keyPrefix, nodeId: 'added-c' });
    const newcomers = rooms.flatMap((room) => [1, 2].map((copy) => observe(added.url, room, `late-${copy}-${room}`)));
    await Promise.all(newcomers.map((observer) => observer.ready(30_000)));
    late = newcomers;
    await flowing;

    const everyone = [...early, ...newcomers];
    for (const room of rooms) {
      await waitForFinalStates(
        everyone.filter((observer) => observer.room === room),
        bullQueue,
        jobIds.get(room)!,
      );
    }
    const cursors = new Map(await Promise.all(rooms.map(async (room) => [room, await serverCursor(added.url, room)] as const)));
    expect(deliveryProblems(everyone, cursors)).toEqual([]);
    // Each late client applied, live, the final event of every job added after it subscribed.
    const missed: string[] = [];
    for (const observer of newcomers) {
      const ended = new Set(observer.delivered.filter((event) => isTerminalStatus(event.status)).map((event) => event.status.jobId));
      for (const job of afterSubscribe) if (job.rooms.includes(observer.room) && !ended.has(job.jobId)) missed.push(`${observer.label}: no final event for job ${job.jobId}`);
    }
    expect(missed).toEqual([]);
  });
});
