/** The four steps of the job with what happened to each in the latest run. */
import type { JobStatus, JobStep } from '../../../shared/index.js';
import { STEPS } from '../../steps.js';

/** What a step without an entry in this job's timeline is: still to come, not needed, or never to run. */
type Unrun = 'pending' | 'unneeded' | 'never';

const ICONS: Record<JobStep['status'] | Unrun, string> = {
  pending: '○',
  started: '◔',
  completed: '✓',
  failed: '✕',
  skipped: '↷',
  unneeded: '–',
  never: '⊘',
};

function describe(entry: JobStep | undefined, unrun: Unrun, failedAt: string | undefined): string {
  if (!entry) {
    if (unrun === 'unneeded') return 'not needed: cached';
    if (unrun === 'never') return failedAt ? `will not run: the job failed at ${failedAt}` : 'will not run: the job ended';
    return 'pending';
  }
  switch (entry.status) {
    case 'started':
      return 'running…';
    case 'completed':
      return `done in ${((entry.durationMs ?? 0) / 1_000).toFixed(1)} s`;
    case 'failed':
      return `failed after ${((entry.durationMs ?? 0) / 1_000).toFixed(1)} s`;
    case 'skipped':
      return `skipped: done in an earlier attempt`;
  }
}

/** Why steps without an entry did not run: the answer came from the cache, or the job ended for good before them. */
function unrunOf(status: JobStatus): Unrun {
  if (status.state === 'completed' && (status.data as { cached?: boolean } | undefined)?.cached === true) return 'unneeded';
  const endedForGood = (status.state === 'failed' && status.willRetry !== true) || ['completed', 'removed', 'deduplicated', 'unknown'].includes(status.state);
  return endedForGood ? 'never' : 'pending';
}

export function StepList({ status }: { status: JobStatus }) {
  const steps = status.steps ?? [];
  // The latest run of each step (a retry adds new entries, tagged with their attempt).
  const latest = new Map(steps.map((entry) => [entry.name, entry]));
  const unrun = unrunOf(status);
  // Before the first step there is nothing to show, unless the job already ended (a cached answer, a failure).
  if (steps.length === 0 && unrun === 'pending') return null;
  const failedAt = status.failure?.step ?? steps.findLast((entry) => entry.status === 'failed')?.name;
  return (
    <ol className="steps" aria-label="Steps">
      {STEPS.map((name) => {
        const entry = latest.get(name);
        const kind = entry?.status ?? unrun;
        return (
          <li key={name} className={`step step-${kind}`} data-testid={`step-${name}`}>
            <span className="step-icon" aria-hidden="true">
              {ICONS[kind]}
            </span>
            <span className="step-name">{name}</span>
            <span className="step-detail">
              {describe(entry, unrun, failedAt)}
              {entry?.attempt && entry.attempt > 1 ? ` · attempt ${entry.attempt}` : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
