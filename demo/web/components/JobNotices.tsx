/** What a developer would otherwise have to dig for: warnings on the job, and broadcasts missed while offline. */
import type { GapStats } from '../../../client/index.js';
import type { JobWarning } from '../../../shared/index.js';

const WARNING_TEXT: Record<JobWarning['code'], { title: string; advice: (finished: boolean) => string }> = {
  NO_WORKER: {
    title: 'No worker is running',
    advice: () => 'The job waits in the queue until one starts: use “Start worker” in the failure controls.',
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

export function MissedBroadcasts({ gaps }: { gaps: GapStats }) {
  if (gaps.detected === 0) return null;
  const missed = gaps.ranges.reduce((sum, range) => sum + (range.to - range.from + 1), 0);
  const pending = gaps.detected - gaps.replayed - gaps.resynced;
  const outcome =
    pending > 0
      ? 'being recovered…'
      : gaps.resynced === 0
        ? 'all recovered by replay.'
        : `${gaps.replayed} recovered by replay, ${gaps.resynced} by a fresh snapshot (resync).`;
  const what = missed === 1 ? '1 broadcast was' : `${missed || 'some'} broadcasts were`;
  const where = `${gaps.detected} ${gaps.detected === 1 ? 'gap' : 'gaps'}`;
  return (
    <p className="note ok" data-testid="missed">
      While the connection was down, {what} missed ({where}): {outcome} The debug panel shows them under “Missed broadcasts”.
    </p>
  );
}
