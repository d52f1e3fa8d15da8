/**
 * What every multi-node test checks once its jobs are done, with BullMQ as the truth: each
 * client shows each job's final state as `job.getState()` has it, and the events each client
 * applied form one clean stream per room (seq strictly increasing, nothing twice, no gap left,
 * and the same event at the same seq on every client of the room).
 */
import type { Queue } from 'bullmq';
import type { Observer } from '../hostile/observer.js';
import { sleep } from './clusterKit.js';

/**
 * Waits until BullMQ finished every job and every observer shows each one's final state;
 * throws, naming each observer and job still wrong, after `timeoutMs`.
 */
export async function waitForFinalStates(observers: readonly Observer[], queue: Queue, jobIds: readonly string[], timeoutMs = 90_000): Promise<void> {
  const truth = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  let wrong: string[] = [];
  for (;;) {
    // A finished job stays finished (every job runs one attempt): ask BullMQ only about the others.
    for (const id of jobIds) {
      if (truth.has(id)) continue;
      const state = await (await queue.getJob(id))?.getState().catch(() => undefined);
      if (state === 'completed' || state === 'failed') truth.set(id, state);
    }
    const unfinished = jobIds.filter((id) => !truth.has(id));
    wrong = unfinished.length > 0 ? [`BullMQ has not finished ${unfinished.length} jobs (${unfinished.slice(0, 3).join(', ')}…)`] : [];
    for (const observer of observers) {
      const shown = observer.jobs();
      for (const [id, state] of truth) {
        const status = shown[id];
        if (status?.state === state && status.willRetry !== true) continue;
        wrong.push(`${observer.label} shows job ${id} as ${status ? `${status.state}${status.willRetry ? ' (will retry)' : ''}` : 'nothing'}, BullMQ says ${state}`);
      }
    }
    if (wrong.length === 0) return;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  throw new Error(`clients did not reach BullMQ's final states within ${timeoutMs} ms:\n  ${wrong.slice(0, 20).join('\n  ')}${wrong.length > 20 ? `\n  … and ${wrong.length - 20} more` : ''}`);
}

/**
 * Everything wrong with what the observers received, as readable lines (empty when all is
 * well). `cursors` are the rooms' cursors as a live node has them, once every job is done.
 */
export function deliveryProblems(observers: readonly Observer[], cursors: ReadonlyMap<string, { epoch: string; seq: number }> = new Map()): string[] {
  const problems: string[] = [];
  for (const observer of observers) {
    // The observer's own bookkeeping: repeated or out-of-order seqs, states going backwards, silent holes.
    const findings = observer.findings(cursors.get(observer.room));
    problems.push(...findings.duplicates, ...findings.silentGaps);
    const pending = observer.handle.getSnapshot().gaps.ranges.filter((range) => range.outcome === 'pending');
    for (const range of pending) problems.push(`${observer.label}: a gap is still open in ${observer.room}: ${JSON.stringify(range)}`);
    // And said plainly: within an epoch the applied seqs only go up.
    let last: { epoch: string; seq: number } | undefined;
    for (const event of observer.delivered) {
      if (last && event.epoch === last.epoch && event.seq <= last.seq) problems.push(`${observer.label}: ${observer.room} seq ${event.seq} applied after seq ${last.seq}`);
      last = { epoch: event.epoch, seq: event.seq };
    }
  }
  // One seq is one event: every client of a room that applied it applied the same thing.
  const byRoom = new Map<string, Map<string, { label: string; what: string }>>();
  for (const observer of observers) {
    const seen = byRoom.get(observer.room) ?? new Map<string, { label: string; what: string }>();
    byRoom.set(observer.room, seen);
    for (const event of observer.delivered) {
      const key = `${event.epoch}:${event.seq}`;
      const what = `${event.event} of job ${event.status.jobId} (${event.status.state})`;
      const first = seen.get(key);
      if (!first) seen.set(key, { label: observer.label, what });
      else if (first.what !== what) problems.push(`${observer.room} seq ${event.seq}: ${first.label} applied ${first.what}, ${observer.label} applied ${what}`);
    }
  }
  return problems;
}

/** Observers grouped by the server node they are connected to now. */
export function byNode(observers: readonly Observer[]): Map<string, Observer[]> {
  const groups = new Map<string, Observer[]>();
  for (const observer of observers) {
    const nodeId = observer.client.connection.getSnapshot().nodeId ?? 'unknown';
    groups.set(nodeId, [...(groups.get(nodeId) ?? []), observer]);
  }
  return groups;
}
