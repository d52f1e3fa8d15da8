import { useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import { formatDuration, formatProgress, formatTime } from './format.js';
import type { JobTimeline, JobTimelineRecorder } from './jobTimelines.js';
import { cx } from './styles.js';

const NO_TIMELINES: readonly JobTimeline[] = Object.freeze([]);
const getServerSnapshot = () => NO_TIMELINES;

/** Props of {@link JobsSection}. */
export interface JobsSectionProps {
  readonly recorder: JobTimelineRecorder;
}

const stateClass = (state: string) =>
  state === 'completed' ? 'ok' : state === 'failed' || state === 'unknown' || state === 'stalled' ? 'bad' : state === 'active' ? 'warn' : undefined;

/** Per job: the timeline of states and steps, attempts, the next retry and the worker that ran it. */
export function JobsSection({ recorder }: JobsSectionProps): ReactNode {
  const timelines = useSyncExternalStore(recorder.subscribe, recorder.getSnapshot, getServerSnapshot);
  return (
    <section aria-labelledby="jcdp-h-jobs">
      <h3 id="jcdp-h-jobs">Jobs</h3>
      {timelines.length === 0 && <p className={cx('muted')}>No job seen yet in the rooms this page holds.</p>}
      {timelines.map((timeline) => (
        <JobCard key={timeline.key} timeline={timeline} />
      ))}
    </section>
  );
}

function JobCard({ timeline }: { timeline: JobTimeline }): ReactNode {
  const { latest } = timeline;
  const headingId = `jcdp-job-${timeline.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <article className={cx('job')} aria-labelledby={headingId}>
      <h4 id={headingId}>
        Job {latest.jobId}
        {latest.name ? ` (${latest.name})` : ''}: <span className={cx(stateClass(latest.state))}>{latest.state}</span>
      </h4>
      <dl className={cx('dl')}>
        <dt>Queue · rooms</dt>
        <dd>
          {latest.queue} · {timeline.rooms.join(', ')}
        </dd>
        <dt>Attempts</dt>
        <dd>
          {latest.attempt} of {latest.maxAttempts}
          {latest.willRetry ? ' (will retry)' : ''}
        </dd>
        {latest.nextAttemptAt !== undefined && (
          <>
            <dt>Next retry</dt>
            <dd>{formatTime(latest.nextAttemptAt)}</dd>
          </>
        )}
        <dt>Worker</dt>
        <dd>{latest.worker ? `${latest.worker.host} pid ${latest.worker.pid}${latest.worker.version ? ` version ${latest.worker.version}` : ''}` : 'not reported'}</dd>
        {latest.correlationId && (
          <>
            <dt>Correlation id</dt>
            <dd>{latest.correlationId}</dd>
          </>
        )}
        {latest.failure && (
          <>
            <dt>Failure</dt>
            <dd className={cx('error')}>
              {latest.failure.code}: {latest.failure.message}
              {latest.failure.step ? ` (step ${latest.failure.step})` : ''}
            </dd>
          </>
        )}
      </dl>
      <table className={cx('table')} aria-label={`Timeline of job ${latest.jobId}`}>
        <thead>
          <tr>
            <th scope="col">Seen</th>
            <th scope="col">Event</th>
            <th scope="col">State</th>
            <th scope="col">Step</th>
            <th scope="col">Progress</th>
            <th scope="col" className={cx('num')}>Attempt</th>
            <th scope="col" className={cx('num')}>Latency</th>
          </tr>
        </thead>
        <tbody>
          {timeline.entries.map((entry, index) => (
            <tr key={index}>
              <td>{formatTime(entry.at)}</td>
              <td>{entry.event ?? <span className={cx('muted')}>snapshot</span>}</td>
              <td className={cx(stateClass(entry.state))}>{entry.state}</td>
              <td>
                {entry.step
                  ? `${entry.step.name} ${entry.step.status}${entry.step.index !== undefined && entry.step.total ? ` (${entry.step.index + 1}/${entry.step.total})` : ''}${entry.step.durationMs !== undefined ? ` in ${formatDuration(entry.step.durationMs)}` : ''}`
                  : ''}
              </td>
              <td>{formatProgress(entry.progress)}</td>
              <td className={cx('num')}>{entry.attempt}</td>
              <td className={cx('num')}>{entry.latencyMs === undefined ? '' : formatDuration(entry.latencyMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
