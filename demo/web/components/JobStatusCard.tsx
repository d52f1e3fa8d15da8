/**
 * The live status of a document's summary job, as a user should read it: processing with a
 * progress bar and the current step, retrying with a countdown, failed with a safe message,
 * or the summary. Warnings (no worker, stale worker) and missed broadcasts are shown too.
 */
import type { RoomSnapshot } from '../../../client/index.js';
import { isTerminalStatus, type JobStatus } from '../../../shared/index.js';
import { STEPS } from '../../steps.js';
import type { StoredSummary, SummaryData } from '../types.js';
import { JobWarnings, MissedBroadcasts } from './JobNotices.js';
import type { JobMisses } from '../useMissedForJob.js';
import { RetryNotice } from './RetryNotice.js';
import { StepList } from './StepList.js';

interface JobStatusCardProps {
  status: JobStatus | undefined;
  room: RoomSnapshot;
  /** A job was just enqueued and its first status has not arrived yet. */
  waitingForJob: boolean;
  /** The summary stored for this text, if any. */
  stored: StoredSummary | null;
  /** The broadcasts of this job the page missed while offline. */
  misses?: JobMisses | undefined;
}

const BADGES: Partial<Record<JobStatus['state'], string>> = {
  waiting: 'queued',
  delayed: 'retrying',
  active: 'processing',
  completed: 'done',
  failed: 'failed',
  stalled: 'stalled',
  unknown: 'lost',
};

export function JobStatusCard({ status, room, waitingForJob, stored, misses }: JobStatusCardProps) {
  const state = status?.state ?? (waitingForJob ? 'sending' : 'none');
  const badge = status ? (status.state === 'delayed' && !status.willRetry ? 'scheduled' : (BADGES[status.state] ?? status.state)) : undefined;
  return (
    <section className="card job" data-testid="job" data-state={state}>
      <div className="job-head">
        <h2>Summary</h2>
        {badge && <span className={`badge badge-${status!.state}`}>{badge}</span>}
      </div>
      {room.state === 'pending' && room.seq > 0 && (
        <p className="note" data-testid="reconnecting">
          Offline: showing the last state received. What is missed meanwhile is replayed when the connection returns.
        </p>
      )}
      {status ? <JobBody status={status} /> : <EmptyBody waitingForJob={waitingForJob} stored={stored} />}
      {status?.warnings && <JobWarnings warnings={status.warnings} finished={isTerminalStatus(status)} />}
      {status && <StepList status={status} />}
      <MissedBroadcasts misses={misses} />
      {status && <JobFooter status={status} />}
    </section>
  );
}

function EmptyBody({ waitingForJob, stored }: { waitingForJob: boolean; stored: StoredSummary | null }) {
  if (waitingForJob) return <p className="muted">Sending the job…</p>;
  if (stored) return <SummaryText summary={stored.summary} note={`stored earlier: ${stored.picked} of ${stored.sentences} sentences`} />;
  return <p className="muted">No summary yet. Press Summarize.</p>;
}

function JobBody({ status }: { status: JobStatus }) {
  switch (status.state) {
    case 'waiting':
      return <Processing status={status} title={status.willRetry ? 'Retrying now…' : 'Queued: waiting for a worker to pick it up…'} />;
    case 'active':
      return <Processing status={status} title="Processing…" />;
    case 'delayed':
      return status.willRetry ? <RetryNotice status={status} /> : <p>Scheduled to run later.</p>;
    case 'completed': {
      const data = status.data as SummaryData | undefined;
      if (!data) return <p>Done.</p>;
      const seconds = status.startedAt && status.finishedAt ? ((status.finishedAt - status.startedAt) / 1_000).toFixed(1) : undefined;
      const note = data.cached
        ? 'cached: this text was summarized before, so the work was not done again'
        : `${data.picked} of ${data.sentences} sentences${seconds ? `, computed in ${seconds} s` : ''}`;
      return <SummaryText summary={data.summary} note={note} cached={data.cached} />;
    }
    case 'failed':
      return <Failure status={status} />;
    case 'stalled':
      return <p className="warning-text">The worker stopped while running this job. BullMQ hands it to the next worker that starts.</p>;
    case 'deduplicated':
      return <p>Joined job {status.deduplicatedBy}, which is already summarizing this document.</p>;
    case 'unknown':
      return <p className="error">Lost: the job is gone from Redis and no final state was seen.</p>;
    default:
      return <p>{status.state}</p>;
  }
}

/** The percent the worker reported, and its detail line. */
function progressOf(status: JobStatus): { percent: number; detail: string | undefined } {
  const progress = status.progress;
  if (typeof progress === 'number') return { percent: progress, detail: undefined };
  const data = progress?.data as { detail?: unknown } | undefined;
  return { percent: Number(progress?.percent ?? 0), detail: typeof data?.detail === 'string' ? data.detail : undefined };
}

function Processing({ status, title }: { status: JobStatus; title: string }) {
  const { percent, detail } = progressOf(status);
  const step = status.state === 'active' ? status.step : undefined;
  const index = step ? STEPS.indexOf(step.name as (typeof STEPS)[number]) : -1;
  return (
    <div className="processing">
      <p className="headline" data-testid="headline">
        {title}
      </p>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)} data-testid="progress">
        <div className={`progress-fill${status.state === 'active' ? '' : ' idle'}`} style={{ width: `${Math.max(3, percent)}%` }} />
      </div>
      <p className="step-line" data-testid="current-step">
        {step ? (
          <>
            Step {index + 1} of {STEPS.length}: <strong>{step.name}</strong>
            {detail ? ` · ${detail}` : ''}
          </>
        ) : (
          <span className="muted">Not started yet</span>
        )}
        <span className="percent">{Math.round(percent)}%</span>
      </p>
    </div>
  );
}

function SummaryText({ summary, note, cached }: { summary: string; note: string; cached?: boolean }) {
  return (
    <div className="summary">
      <blockquote data-testid="summary">{summary}</blockquote>
      <p className="muted small">
        {cached && <span className="badge badge-cached">cached</span>} {note}
      </p>
    </div>
  );
}

function Failure({ status }: { status: JobStatus }) {
  const step = status.failure?.step ?? status.steps?.findLast((entry) => entry.status === 'failed')?.name;
  return (
    <div className="failure" data-testid="failure">
      <p className="headline">
        Failed{step ? (
          <>
            {' '}
            at step <strong>{step}</strong>
          </>
        ) : null}{' '}
        after {status.attempt} {status.attempt === 1 ? 'attempt' : 'attempts'}.
      </p>
      <p>
        {status.failure?.message ?? 'The job failed.'} <code>{status.failure?.code ?? 'JOB_FAILED'}</code>
      </p>
      <p className="muted small">Only this safe message reaches the browser; the raw error and stack stay in the worker's logs.</p>
    </div>
  );
}

function JobFooter({ status }: { status: JobStatus }) {
  return (
    <p className="job-footer">
      job <code>{status.jobId.slice(0, 8)}</code> · attempt {status.attempt} of {status.maxAttempts}
      {status.worker && (
        <>
          {' '}
          · worker v{status.worker.version ?? '?'} (pid {status.worker.pid})
        </>
      )}
      {status.correlationId && (
        <>
          {' '}
          · correlation <code>{status.correlationId.slice(0, 8)}</code>
        </>
      )}
    </p>
  );
}
