/** The four steps of the job with what happened to each in the latest run. */
import type { JobStatus, JobStep } from '../../../shared/index.js';
import { STEPS } from '../../steps.js';

const ICONS: Record<JobStep['status'] | 'pending' | 'unneeded', string> = {
  pending: '○',
  started: '◔',
  completed: '✓',
  failed: '✕',
  skipped: '↷',
  unneeded: '–',
};

function describe(entry: JobStep | undefined, unneeded: boolean): string {
  if (!entry) return unneeded ? 'not needed: cached' : 'pending';
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

export function StepList({ status }: { status: JobStatus }) {
  const steps = status.steps ?? [];
  // The latest run of each step (a retry adds new entries, tagged with their attempt).
  const latest = new Map(steps.map((entry) => [entry.name, entry]));
  const cached = status.state === 'completed' && (status.data as { cached?: boolean } | undefined)?.cached === true;
  if (steps.length === 0) return null;
  return (
    <ol className="steps" aria-label="Steps">
      {STEPS.map((name) => {
        const entry = latest.get(name);
        const kind = entry?.status ?? (cached ? 'unneeded' : 'pending');
        return (
          <li key={name} className={`step step-${kind}`} data-testid={`step-${name}`}>
            <span className="step-icon" aria-hidden="true">
              {ICONS[kind]}
            </span>
            <span className="step-name">{name}</span>
            <span className="step-detail">
              {describe(entry, cached)}
              {entry?.attempt && entry.attempt > 1 ? ` · attempt ${entry.attempt}` : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
