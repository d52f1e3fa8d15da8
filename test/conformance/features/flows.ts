/** FlowProducer flows, each job routed with routeJob: children that succeed, fail the parent, or are ignored when they fail. */
import type { FlowJob } from 'bullmq';
import type { Rng } from '../rng.js';
import type { World } from '../world.js';
import { numbers, times, type Feature } from './feature.js';

let flows = 0;

async function runFlow(world: World, rng: Rng, feature: string, childFailure: 'none' | 'failParentOnFailure' | 'ignoreDependencyOnFailure'): Promise<void> {
  const flowId = `flow-${++flows}-${rng.int(1, 1_000_000)}`;
  const childCount = rng.int(1, 3);
  const failing = childFailure === 'none' ? -1 : rng.int(0, childCount - 1);
  const planned: Array<{ queue: string; jobId: string; rooms: string[]; tag: string; job: FlowJob }> = [];
  const children: FlowJob[] = [];
  for (let index = 0; index < childCount; index++) {
    const queue = rng.chance(0.5) ? world.queues.main : world.queues.side;
    const jobId = `${flowId}-c${index + 1}`;
    const tag = world.nextTag(feature);
    const fails = index === failing;
    const job: FlowJob = {
      name: `${feature}:child`,
      queueName: queue,
      data: { tag, plan: fails ? { failUntil: 99 } : { progress: numbers(rng) } },
      opts: {
        jobId,
        attempts: fails ? rng.int(1, 2) : 1,
        backoff: { type: 'fixed', delay: 50 },
        ...(fails && childFailure === 'failParentOnFailure' ? { failParentOnFailure: true } : {}),
        ...(fails && childFailure === 'ignoreDependencyOnFailure' ? { ignoreDependencyOnFailure: true } : {}),
      },
    };
    children.push(job);
    planned.push({ queue, jobId, rooms: world.randomRooms(rng), tag, job });
  }
  const parentTag = world.nextTag(feature);
  const parent: FlowJob = { name: `${feature}:parent`, queueName: world.queues.main, data: { tag: parentTag, plan: { progress: [100] } }, opts: { jobId: `${flowId}-p` }, children };
  planned.push({ queue: world.queues.main, jobId: `${flowId}-p`, rooms: world.randomRooms(rng), tag: parentTag, job: parent });
  const addedFrom = Date.now();
  try {
    for (const job of planned) await world.routeJob!(job.queue, job.jobId, { rooms: job.rooms });
    await world.flow.add(parent);
    for (const job of planned) world.register({ tag: job.tag, feature, queue: job.queue, jobId: job.jobId, rooms: job.rooms, via: 'flow', addedFrom });
  } catch (error) {
    world.journal.push(`${feature}: flow add failed: ${String(error).slice(0, 160)}`);
    for (const job of planned) world.register({ tag: job.tag, feature, queue: job.queue, jobId: job.jobId, rooms: job.rooms, via: 'flow', uncertain: true, addedFrom });
  }
}

export const flowSuccess: Feature = {
  name: 'flow',
  weight: 1,
  needsRouteJob: true,
  run: (world, rng, size) => times(Math.max(1, Math.floor(size / 3)), 2, () => runFlow(world, rng, 'flow', 'none')),
};

export const flowFailParent: Feature = {
  name: 'flow failParentOnFailure',
  weight: 1,
  needsRouteJob: true,
  run: (world, rng, size) => times(Math.max(1, Math.floor(size / 3)), 2, () => runFlow(world, rng, 'flow failParentOnFailure', 'failParentOnFailure')),
};

export const flowIgnoreDependency: Feature = {
  name: 'flow ignoreDependencyOnFailure',
  weight: 1,
  needsRouteJob: true,
  run: (world, rng, size) => times(Math.max(1, Math.floor(size / 3)), 2, () => runFlow(world, rng, 'flow ignoreDependencyOnFailure', 'ignoreDependencyOnFailure')),
};
