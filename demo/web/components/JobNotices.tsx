/** What a developer would otherwise have to dig for: warnings on the job, and broadcasts missed while offline. */
import type { JobWarning } from '../../../shared/index.js';
import type { JobMisses } from '../useMissedForJob.js';

const WARNING_TEXT: Record<JobWarning['code'], { title: string; advice: (finished: boolean) => string }> = {
  NO_WORKER: {
    title: 'No worker is taking it',
    advice: () => 'The job waits in the queue until a worker takes it: use “Start worker” in the failure controls.',
  },
  WORKER_LOST: {
    title: 'The worker running it is gone',
    advice: () => 'BullMQ will notice the stalled job when its lock runs out and run it again (or fail it): start a worker to pick it up.',
  },
  STALE_WORKER: {
    title: 'Run by a stale worker',
    advice: (finished) =>
      `Old code ${finished ? 'produced this result' : 'runs this job'}, so a fix deployed since is not in it: restart the workers on the current version.`,
  },
};

export function JobWarnings({ warnings, finished }: { warnings: readonly JobWarning[]; finished: boolean }) {
  return (
    <>
      {warnings.map((warning) => (
        <div key={warning.code} className="warning" role="status" data-testid={`warning-${warning.code}`}>
          <strong>{WARNING_TEXT[warning.code].title}</strong> <code>{warning.code}</code>
          <div>{warning.message}</div>
          <div className="muted small">{WARNING_TEXT[warning.code].advice(finished)}</div>
        </div>
      ))}
    </>
  );
}

/** The broadcasts of this job missed while the connection was down, and how they came back (a note per job, not per document). */
export function MissedBroadcasts({ misses }: { misses: JobMisses | undefined }) {
  if (!misses) return null;
  const outcome =
    misses.pending > 0
      ? 'being recovered…'
      : misses.resynced === 0
        ? 'all recovered by replay.'
        : misses.replayed === 0
          ? 'recovered with a fresh snapshot (resync).'
          : 'recovered by replay and a fresh snapshot (resync).';
  const what = misses.missed === 1 ? '1 broadcast of this job was' : `${misses.missed} broadcasts of this job were`;
  return (
    <p className="note ok" data-testid="missed">
      While the connection was down, {what} missed: {outcome} The debug panel counts them under “Missed broadcasts”.
    </p>
  );
}
