import type { JobStatus, JobWarning, StatusEvent } from '../../shared/index.js';
import type { Logger } from '../options.js';

/** The Socket.IO room of this node's sockets whose user may debug: they get statuses with the worker's identity. */
export const DEBUG_SOCKETS_ROOM = 'jobcast-internal:debug';

/**
 * Takes the worker's host and pid out of what subscribers get: `status.worker` (dropped
 * whole, as its schema needs both) and the warnings whose text names them. They say where
 * the app runs, which is for the people debugging it (`canDebug`), not for every page.
 */
export function createWorkerIdentityFilter(options: { expectedWorkerVersion: string | undefined }) {
  const warningWithout = (warning: JobWarning, status: JobStatus): JobWarning => {
    const worker = status.worker;
    if (!worker || !mentions(warning.message, worker)) return warning;
    const message =
      warning.code === 'STALE_WORKER'
        ? `Run by a worker on version ${worker.version ?? 'unknown'}; this server expects ${options.expectedWorkerVersion ?? 'another'}.`
        : warning.code === 'WORKER_LOST'
          ? "The worker running this job is gone or stopped renewing its lock: BullMQ's stalled check will retry or fail it."
          : 'A warning about the worker that ran this job (details for debug users).';
    return { ...warning, message };
  };

  /** The status without the worker's identity; the same object when it carries none. */
  const status = (full: JobStatus): JobStatus => {
    if (!full.worker) return full;
    const { worker: _worker, ...rest } = full;
    if (full.warnings) rest.warnings = full.warnings.map((warning) => warningWithout(warning, full));
    return rest;
  };

  /** The event without the worker's identity; the same object when it carries none. */
  const event = (full: StatusEvent): StatusEvent => {
    const shown = status(full.status);
    return shown === full.status ? full : { ...full, status: shown };
  };

  return { status, event, events: (full: StatusEvent[]): StatusEvent[] => full.map(event) };
}

export type WorkerIdentityFilter = ReturnType<typeof createWorkerIdentityFilter>;

/** Does the text name this worker (its host, or its pid next to the word pid)? */
function mentions(text: string, worker: { host: string; pid: number }): boolean {
  return (worker.host !== '' && text.includes(worker.host)) || text.includes(`pid ${worker.pid}`);
}

/** Who sees the worker's identity, and how it is taken out for everyone else. */
export interface WorkerIdentityPolicy<User> {
  filter: WorkerIdentityFilter;
  /** True for users who may debug (`canDebug`); a check that throws counts as no. */
  maySee: (user: User) => Promise<boolean>;
}

/** The policy of a server that keeps the worker's identity for `canDebug` users (`exposeWorkerIdentity` off). */
export function createWorkerIdentityPolicy<User>(options: {
  canDebug: (user: User) => boolean | Promise<boolean>;
  expectedWorkerVersion: string | undefined;
  logger: Logger;
}): WorkerIdentityPolicy<User> {
  return {
    filter: createWorkerIdentityFilter({ expectedWorkerVersion: options.expectedWorkerVersion }),
    maySee: async (user) => {
      try {
        return (await options.canDebug(user)) === true;
      } catch (error) {
        options.logger.warn({ err: error }, 'canDebug threw; the user gets statuses without the worker identity');
        return false;
      }
    },
  };
}
