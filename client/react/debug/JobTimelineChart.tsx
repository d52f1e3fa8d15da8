import type { ReactNode } from 'react';
import { formatDuration, formatTime } from './format.js';
import { cx } from './styles.js';
import type { TimelineAttempt, TimelinePicture, TimelineSegment } from './timelinePicture.js';

const STATUS_MARK = { started: '…', completed: '✓', failed: '✕', skipped: '↷' } as const;
const OUTCOME_TEXT: Record<TimelineAttempt['outcome'], string> = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  retrying: 'failed, will retry',
  waiting: 'waiting',
  other: '',
};

/** How a segment reads in words: 'summarize ✕ 1.2 s', 'backoff 2.0 s until 14:03:09.000'. */
export function describeSegment(segment: TimelineSegment): string {
  const duration = formatDuration(segment.durationMs);
  if (segment.kind === 'queued') return `queued ${duration}`;
  if (segment.kind === 'backoff') return `backoff ${duration}${segment.open ? ` until ${formatTime(segment.startAt + segment.durationMs)}` : ''}`;
  const mark = segment.status ? STATUS_MARK[segment.status] : '';
  if (segment.status === 'skipped') return `${segment.label} ${mark} skipped`;
  return `${segment.label} ${mark} ${duration}${segment.open ? ' so far' : ''}`;
}

/** Props of {@link JobTimelineChart}. */
export interface JobTimelineChartProps {
  readonly picture: TimelinePicture;
  readonly jobId: string;
}

/**
 * A job's life on one time axis, one row per attempt: time queued, each step as a bar as
 * long as it took (green done, red failed, blue running, grey skipped), and the backoff wait
 * before the next attempt (hatched). Each row also says it in words, with durations.
 */
export function JobTimelineChart({ picture, jobId }: JobTimelineChartProps): ReactNode {
  const { startAt, spanMs, attempts } = picture;
  return (
    <div className={cx('chart')} role="group" aria-label={`Timeline picture of job ${jobId}`}>
      <div className={cx('axis')} aria-hidden="true">
        <span>{formatTime(startAt)}</span>
        <span>{formatDuration(spanMs)}</span>
      </div>
      {attempts.map((attempt) => (
        <div key={attempt.attempt} className={cx('attempt')} data-attempt={attempt.attempt} data-outcome={attempt.outcome}>
          <div className={cx('attempt-label')}>
            Attempt {attempt.attempt}
            {OUTCOME_TEXT[attempt.outcome] && <span className={cx('muted')}> · {OUTCOME_TEXT[attempt.outcome]}</span>}
          </div>
          <div className={cx('track')} aria-hidden="true">
            {attempt.segments.map((segment, index) => (
              <span
                key={index}
                className={cx('seg', `seg-${segment.kind}`, segment.status && `seg-${segment.status}`)}
                style={{ left: `${((segment.startAt - startAt) / spanMs) * 100}%`, width: `${(segment.durationMs / spanMs) * 100}%` }}
                title={describeSegment(segment)}
              />
            ))}
          </div>
          <p className={cx('seg-words')}>
            {attempt.segments.length === 0 ? (
              <span className={cx('muted')}>no step yet</span>
            ) : (
              attempt.segments.map((segment, index) => (
                <span key={index} className={cx('seg-word', segment.kind === 'backoff' ? 'warn' : segment.status === 'failed' ? 'bad' : undefined)}>
                  {describeSegment(segment)}
                </span>
              ))
            )}
          </p>
        </div>
      ))}
    </div>
  );
}
