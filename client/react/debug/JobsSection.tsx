import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import { isTerminalStatus } from '../../../shared/lifecycle.js';
import type { ClientDiagnostics } from '../../index.js';
import type { CarriedOver } from '../../types.js';
import { formatDuration, formatProgress, formatStep, formatTime, progressDetail, progressPercent, shortId } from './format.js';
import { JobTimelineChart } from './JobTimelineChart.js';
import { bullBoardJobUrl, carriedOverIn, jobProblems } from './jobProblems.js';
import type { JobTimeline, JobTimelineEntry } from './jobTimelines.js';
import type { JobTimelineRecorder } from './jobTimelines.js';
import { cx } from './styles.js';
import { failedAttemptOf, toTimelinePicture } from './timelinePicture.js';

const NO_TIMELINES: readonly JobTimeline[] = Object.freeze([]);
const getServerSnapshot = () => NO_TIMELINES;

/** Props of {@link JobsSection}. */
export interface JobsSectionProps {
  readonly recorder: JobTimelineRecorder;
  /** The rooms' state, for jobs carried over after an epoch change. */
  readonly diagnostics?: ClientDiagnostics;
  /** Where bull-board is mounted (e.g. '/admin/queues'): each job links to its page there. */
  readonly bullBoardUrl?: string;
}

const stateClass = (state: string) =>
  state === 'completed' ? 'ok' : state === 'failed' || state === 'unknown' || state === 'stalled' ? 'bad' : state === 'active' ? 'warn' : undefined;

const cardId = (timeline: JobTimeline) => `jcdp-job-${timeline.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** The clock, ticking every second: backoff countdowns and running steps move on screen. */
function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** Per job: what is wrong with it, a picture of its attempts and steps, its facts, and its events. */
export function JobsSection({ recorder, diagnostics, bullBoardUrl }: JobsSectionProps): ReactNode {
  const timelines = useSyncExternalStore(recorder.subscribe, recorder.getSnapshot, getServerSnapshot);
  const now = useNow();
  const carriedOf = (timeline: JobTimeline) =>
    carriedOverIn(timeline.latest, timeline.rooms.map((name) => diagnostics?.rooms.find((room) => room.room === name)?.snapshot));
  return (
    <section aria-labelledby="jcdp-h-jobs">
      <h3 id="jcdp-h-jobs">Jobs</h3>
      {timelines.length === 0 && <p className={cx('muted')}>No job seen yet in the rooms this page holds.</p>}
      {timelines.length > 1 && (
        <ul className={cx('overview')} aria-label="Jobs at a glance">
          {timelines.map((timeline) => {
            const codes = jobProblems(timeline.latest, { now, carriedOver: carriedOf(timeline) }).map((problem) => problem.code);
            return (
              <li key={timeline.key}>
                <a href={`#${cardId(timeline)}`} className={cx('chip', codes.length > 0 && 'chip-bad')} title={`job ${timeline.latest.jobId}`}>
                  {shortId(timeline.latest.jobId)} <span className={cx(stateClass(timeline.latest.state))}>{timeline.latest.state}</span>
                  {codes.length > 0 && <span className={cx('chip-codes')}> {codes.join(' ')}</span>}
                </a>
              </li>
            );
          })}
        </ul>
      )}
      {timelines.map((timeline) => (
        <JobCard key={timeline.key} timeline={timeline} now={now} carriedOver={carriedOf(timeline)} {...(bullBoardUrl ? { bullBoardUrl } : {})} />
      ))}
    </section>
  );
}

interface JobCardProps {
  timeline: JobTimeline;
  now: number;
  carriedOver: CarriedOver | undefined;
  bullBoardUrl?: string;
}

function JobCard({ timeline, now, carriedOver, bullBoardUrl }: JobCardProps): ReactNode {
  const { latest } = timeline;
  const headingId = `${cardId(timeline)}-h`;
  const problems = jobProblems(latest, { now, carriedOver });
  const picture = toTimelinePicture(latest, now);
  const detail = progressDetail(latest.progress);
  return (
    <article className={cx('job')} id={cardId(timeline)} aria-labelledby={headingId} data-job={latest.jobId}>
      <h4 id={headingId} className={cx('job-title')}>
        <span className={cx('id')} title={latest.jobId}>
          Job {latest.jobId}
          {latest.name ? ` (${latest.name})` : ''}
        </span>
        <span className={cx('job-state', stateClass(latest.state))}>{latest.state}</span>
        {bullBoardUrl && (
          <a className={cx('link')} href={bullBoardJobUrl(bullBoardUrl, latest)} target="_blank" rel="noreferrer">
            bull-board ↗
          </a>
        )}
      </h4>
      {problems.length > 0 && (
        <ul className={cx('problems')} aria-label={`Problems of job ${latest.jobId}`}>
          {problems.map((problem) => (
            <li key={problem.code} className={cx('problem', problem.tone)} data-problem={problem.code}>
              <strong>{problem.title}</strong> <code>{problem.code}</code> <span className={cx('problem-detail')}>{problem.detail}</span>
            </li>
          ))}
        </ul>
      )}
      {isTerminalStatus(latest) && timeline.entries.every((entry) => entry.source === 'snapshot') && (
        <p className={cx('muted')} data-note="FINISHED_BEFORE_SUBSCRIBE">
          Finished before this page subscribed: its {latest.state} state comes from the room&apos;s snapshot, so this page saw none of its events.
        </p>
      )}
      <dl className={cx('dl')}>
        <dt>Progress</dt>
        <dd>
          {formatProgress(latest.progress, latest.step) || '—'}
          {detail ? <span className={cx('muted')}> · {detail}</span> : null}
        </dd>
        <dt>Queue · rooms</dt>
        <dd>
          {latest.queue} · {timeline.rooms.join(', ')}
        </dd>
        <dt>Attempts</dt>
        <dd>
          {latest.willRetry
            ? `attempt ${failedAttemptOf(latest)} failed; ${failedAttemptOf(latest) + 1} of ${latest.maxAttempts} next`
            : `${latest.attempt} of ${latest.maxAttempts}`}
          {latest.attemptInferred && ' (counted from events after its record was removed: a moveToDelayed or rate limit may count as a retry)'}
        </dd>
        <dt>Worker</dt>
        <dd>{latest.worker ? `${latest.worker.host} pid ${latest.worker.pid}${latest.worker.version ? ` version ${latest.worker.version}` : ''}` : 'not reported'}</dd>
        {latest.correlationId && (
          <>
            <dt>Correlation id</dt>
            <dd className={cx('id')} title={latest.correlationId}>
              {latest.correlationId}
            </dd>
          </>
        )}
      </dl>
      {picture && <JobTimelineChart picture={picture} jobId={latest.jobId} />}
      <EventsTable timeline={timeline} />
    </article>
  );
}

/** Consecutive entries with the same event, state, step and attempt: one row. */
function groupEntries(entries: readonly JobTimelineEntry[]): Array<{ first: JobTimelineEntry; last: JobTimelineEntry; count: number }> {
  const rows: Array<{ first: JobTimelineEntry; last: JobTimelineEntry; count: number }> = [];
  const same = (a: JobTimelineEntry, b: JobTimelineEntry) =>
    a.event === b.event && a.state === b.state && a.attempt === b.attempt && a.step?.name === b.step?.name && a.step?.status === b.step?.status;
  for (const entry of entries) {
    const row = rows.at(-1);
    if (row && same(row.last, entry)) rows[rows.length - 1] = { ...row, last: entry, count: row.count + 1 };
    else rows.push({ first: entry, last: entry, count: 1 });
  }
  return rows;
}

function progressSpan(first: JobTimelineEntry, last: JobTimelineEntry): string {
  const from = progressPercent(first.progress);
  const to = formatProgress(last.progress);
  return from !== undefined && first !== last && Math.round(from) !== Math.round(progressPercent(last.progress) ?? from) ? `${Math.round(from)} % → ${to}` : to;
}

function EventsTable({ timeline }: { timeline: JobTimeline }): ReactNode {
  const rows = groupEntries(timeline.entries);
  return (
    <div className={cx('scroll')}>
      <table className={cx('table')} aria-label={`Timeline of job ${timeline.latest.jobId}`}>
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
          {rows.map(({ first, last, count }, index) => (
            <tr key={index} data-count={count}>
              <td data-label="seen">{formatTime(last.at)}</td>
              <td>
                {last.event ?? <span className={cx('muted')}>snapshot</span>}
                {count > 1 && <span className={cx('count')}> ×{count}</span>}
              </td>
              <td className={cx(stateClass(last.state))}>{last.state}</td>
              <td>{formatStep(last.step)}</td>
              <td>{progressSpan(first, last)}</td>
              <td className={cx('num')} data-label="attempt">
                {last.attempt}
              </td>
              <td className={cx('num')} data-label="latency">
                {last.latencyMs === undefined ? '' : formatDuration(last.latencyMs)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
