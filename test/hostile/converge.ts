/**
 * Convergence: BullMQ is the source of truth. After a fault ends, every observer must show
 * each job's true terminal state (or, for a job Redis itself lost, anything but a running
 * state). Whatever is still wrong at the deadline is a lost terminal state.
 */
import type { Queue } from 'bullmq';
import { isTerminalStatus } from '../../shared/index.js';
import type { Observer } from './observer.js';
import { sleep, type ScenarioContext } from './report.js';

export type Truth = 'completed' | 'failed' | 'missing' | 'running';

export async function truthOf(queue: Queue, jobId: string): Promise<Truth> {
  const job = await queue.getJob(jobId);
  if (!job) return 'missing';
  const state = await job.getState();
  return state === 'completed' || state === 'failed' ? state : 'running';
}

/** Does the observer's screen show the job as BullMQ has it? */
export function shows(observer: Observer, jobId: string, truth: Truth): boolean {
  const status = observer.jobs()[jobId];
  if (truth === 'missing') return status === undefined || isTerminalStatus(status);
  if (truth === 'completed') return status?.state === 'completed';
  if (truth === 'failed') return status?.state === 'failed' && status.willRetry !== true;
  return false;
}

export interface ConvergeOptions {
  label: string;
  observers: Observer[];
  queue: Queue;
  jobIds: string[];
  /** When the fault ended (ms since epoch). */
  since: number;
  timeoutMs?: number;
  /** The room's cursor on the server, to check that clients are not silently behind. */
  serverCursor?: (room: string) => Promise<{ epoch: string; seq: number } | undefined>;
  /** Count this convergence in "longest convergence" (faults do; the canary does not). @default true */
  countConvergence?: boolean;
}

/**
 * Polls until every observer shows every job's true terminal state and its cursor equals the
 * server's; then counts silent gaps and visible duplicates. Returns the convergence time, or
 * undefined when it did not converge (each job shown wrong is then a lost terminal state).
 */
export async function converge(ctx: ScenarioContext, options: ConvergeOptions): Promise<number | undefined> {
  const { observers, queue, jobIds } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const truths = new Map<string, Truth>();
  let converged: number | undefined;
  let cursors = new Map<string, { epoch: string; seq: number } | undefined>();
  for (;;) {
    for (const id of jobIds) {
      const known = truths.get(id);
      if (known === undefined || known === 'running') truths.set(id, await truthOf(queue, id).catch((): Truth => 'running'));
    }
    const finished = [...truths.values()].every((truth) => truth !== 'running');
    if (finished && observers.every((observer) => jobIds.every((id) => shows(observer, id, truths.get(id)!)))) {
      cursors = new Map();
      let behind = false;
      for (const observer of observers) {
        const cursor = await options.serverCursor?.(observer.room).catch(() => undefined);
        cursors.set(observer.label, cursor);
        const snapshot = observer.handle.getSnapshot();
        if (cursor && (cursor.epoch !== snapshot.epoch || cursor.seq !== snapshot.seq)) behind = true;
      }
      if (!behind) {
        converged = Date.now() - options.since;
        break;
      }
    }
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  if (converged !== undefined) {
    if (options.countConvergence !== false) ctx.tally.converged(converged);
  }
  else {
    for (const id of jobIds) {
      const truth = truths.get(id)!;
      if (truth === 'running') {
        ctx.check(`${options.label}: BullMQ finished every job`, false, `job ${id} still running in BullMQ at the deadline`);
        continue;
      }
      for (const observer of observers) {
        if (shows(observer, id, truth)) continue;
        ctx.tally.lostTerminalStates += 1;
        const status = observer.jobs()[id];
        ctx.tally.note(`lost terminal state: ${options.label}: ${observer.label} shows job ${id.slice(0, 12)} as ${status ? `${status.state}#${status.attempt}` : 'nothing'}, BullMQ says ${truth}`);
      }
    }
  }
  if (converged === undefined && options.serverCursor) {
    cursors = new Map();
    for (const observer of observers) cursors.set(observer.label, await options.serverCursor(observer.room).catch(() => undefined));
  }
  for (const observer of observers) {
    const findings = observer.findings(cursors.get(observer.label));
    ctx.tally.silentGaps += findings.silentGaps.length;
    ctx.tally.visibleDuplicates += findings.duplicates.length;
    for (const line of findings.silentGaps) ctx.tally.note(`silent gap: ${options.label}: ${line}`);
    for (const line of findings.duplicates) ctx.tally.note(`visible duplicate: ${options.label}: ${line}`);
  }
  ctx.check(
    `${options.label}: clients converge to BullMQ's terminal states`,
    converged !== undefined,
    converged === undefined ? 'not converged before the deadline (see lost terminal states)' : undefined,
  );
  return converged;
}
