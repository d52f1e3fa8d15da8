import type { JobStatus } from '../../../shared/index.js';
import { jobKeyOf } from '../../../shared/identity.js';
import type { RoomSnapshot } from '../../index.js';
import type { CarriedOver, RoomJob } from '../../types.js';
import { formatDuration, formatTime } from './format.js';
import { rerunSteps, swallowedSteps } from './stepHistory.js';
import { failedAttemptOf } from './timelinePicture.js';

/** A failure mode the panel names on a job, when the status data says it. */
export type JobProblemCode =
  | 'NO_WORKER'
  | 'WORKER_LOST'
  | 'STALE_WORKER'
  | 'BACKOFF'
  | 'DEDUPLICATED'
  | 'UNKNOWN'
  | 'CARRIED_OVER'
  | 'STALLED'
  | 'FAILED'
  | 'SWALLOWED'
  | 'RERUN';

/** One named problem of a job: what it is, in a sentence a developer acts on. */
export interface JobProblem {
  readonly code: JobProblemCode;
  readonly tone: 'bad' | 'warn';
  readonly title: string;
  readonly detail: string;
}

/**
 * The carry-over mark of a job in one of the rooms that hold it: set by the client core when
 * the room kept the job across an epoch change (Redis lost the room's data, or the room
 * expired) although the new snapshot no longer holds it.
 */
export function carriedOverIn(status: Pick<JobStatus, 'queue' | 'jobId'>, rooms: readonly (RoomSnapshot | undefined)[]): CarriedOver | undefined {
  for (const room of rooms) {
    const job: RoomJob | undefined = room?.jobs[jobKeyOf(status)];
    if (job?.carriedOver) return job.carriedOver;
  }
  return undefined;
}

/**
 * Names what is wrong with a job, from its public status: warnings from the server
 * (`NO_WORKER`, `WORKER_LOST` with when its lock runs out, `STALE_WORKER`), a retry waiting out its backoff (until when), a job
 * deduplicated into another, a job whose record vanished (`unknown`), a stalled job, a final
 * failure, a step failure caught inside the job, a retry that ran completed steps again, and
 * a job carried over after an epoch change. Pure: `now` dates the backoff.
 */
export function jobProblems(status: JobStatus, options: { now: number; carriedOver?: CarriedOver | undefined }): JobProblem[] {
  const problems: JobProblem[] = [];
  for (const warning of status.warnings ?? []) {
    switch (warning.code) {
      case 'NO_WORKER':
        // The server's message says why: no worker listens, the queue is paused, or its workers take no jobs.
        problems.push({ code: 'NO_WORKER', tone: 'bad', title: 'No worker takes it', detail: `Nothing will run it now. ${warning.message}` });
        break;
      case 'WORKER_LOST': {
        const until = warning.until === undefined ? '' : ` Its lock runs out at ${formatTime(warning.until)}${warning.until > options.now ? ` (in ${formatDuration(warning.until - options.now)})` : ''}: then BullMQ calls it stalled and retries or fails it.`;
        problems.push({ code: 'WORKER_LOST', tone: 'bad', title: 'Worker lost', detail: `The worker running it is gone or stopped renewing its lock: the step on screen will not move.${until} ${warning.message}` });
        break;
      }
      default:
        problems.push({ code: 'STALE_WORKER', tone: 'warn', title: 'Stale worker', detail: `A worker on other code ran it: a fix deployed since is not in this result. ${warning.message}` });
    }
  }
  if (status.willRetry) {
    const failed = failedAttemptOf(status);
    const next = `attempt ${failed + 1} of ${status.maxAttempts}`;
    const failedAt = status.failure?.step ? ` at step ${status.failure.step}` : '';
    const when =
      status.nextAttemptAt === undefined
        ? 'It runs again as soon as a worker is free'
        : status.nextAttemptAt > options.now
          ? `Waiting on a backoff until ${formatTime(status.nextAttemptAt)} (in ${formatDuration(status.nextAttemptAt - options.now)})`
          : `Its backoff ended at ${formatTime(status.nextAttemptAt)}: it waits for a worker`;
    const why = status.failure ? ` (${status.failure.code}: ${status.failure.message})` : '';
    problems.push({ code: 'BACKOFF', tone: 'warn', title: 'Retrying', detail: `Attempt ${failed} failed${failedAt}${why}. ${when}, then ${next}.` });
  }
  if (status.state === 'deduplicated' || status.deduplicatedBy !== undefined) {
    const by = status.deduplicatedBy ? `job ${status.deduplicatedBy}` : 'a job that already existed';
    problems.push({ code: 'DEDUPLICATED', tone: 'warn', title: 'Deduplicated', detail: `Not run: ${by} does the same work. Follow that job for the result.` });
  }
  if (status.state === 'unknown') {
    problems.push({
      code: 'UNKNOWN',
      tone: 'bad',
      title: 'Record vanished',
      detail: 'The job is gone from Redis and no final state was seen (removed on completion or failure, cleaned, or Redis lost its data). Its last known state is above.',
    });
  }
  if (status.state === 'stalled') {
    problems.push({ code: 'STALLED', tone: 'bad', title: 'Stalled', detail: 'The worker running it stopped renewing its lock (killed or blocked); BullMQ hands it to the next worker.' });
  }
  if (status.state === 'failed' && !status.willRetry) {
    const at = status.failure?.step ? ` at step ${status.failure.step}` : '';
    const what = status.failure ? `${status.failure.code}: ${status.failure.message}` : 'no reason given';
    const reached = status.failure?.lastCompletedStep ? ` (last completed step: ${status.failure.lastCompletedStep})` : '';
    problems.push({ code: 'FAILED', tone: 'bad', title: 'Failed for good', detail: `After ${status.attempt} of ${status.maxAttempts} attempts${at}${reached}: ${what}` });
  }
  const swallowed = swallowedSteps(status);
  if (swallowed.length > 0) {
    const names = swallowed.map((step) => `${step.name} (attempt ${step.attempt})`).join(', ');
    problems.push({
      code: 'SWALLOWED',
      tone: 'bad',
      title: 'Failure swallowed',
      detail: `Step ${names} failed and the job went on: the error was caught inside the job, so BullMQ never saw it and what came after ran without that step's work. The worker logged it as "step ${swallowed[0]!.name} failed".`,
    });
  }
  const rerun = rerunSteps(status);
  if (rerun) {
    problems.push({
      code: 'RERUN',
      tone: 'warn',
      title: 'Steps ran again',
      detail: `Attempt ${rerun.attempt} ran ${rerun.steps.join(', ')} again after attempt ${rerun.completedIn} had completed ${rerun.steps.length > 1 ? 'them' : 'it'}: what ${rerun.steps.length > 1 ? 'they do' : 'it does'} (a charge, an email, a row) happened twice unless idempotent. With the worker's checkpoint option on, a retry skips the steps that completed.`,
    });
  }
  const carried = options.carriedOver;
  if (carried) {
    const lost = status.state === 'unknown' ? `; it was ${carried.lastState} when last seen` : '';
    problems.push({
      code: 'CARRIED_OVER',
      tone: 'warn',
      title: 'Carried over',
      detail: `Kept from epoch ${carried.fromEpoch} when the room moved to ${carried.toEpoch} at ${formatTime(carried.at)} (Redis lost the room's data, or it expired): the server's new snapshot does not hold it${lost}.`,
    });
  }
  return problems;
}

/** The bull-board page of a job under `baseUrl` (where the app mounted bull-board). */
export const bullBoardJobUrl = (baseUrl: string, status: Pick<JobStatus, 'queue' | 'jobId'>): string =>
  `${baseUrl.replace(/\/+$/, '')}/queue/${encodeURIComponent(status.queue)}/${encodeURIComponent(status.jobId)}`;
