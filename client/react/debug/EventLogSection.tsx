import { useId, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { LogEntry } from '../../index.js';
import { matchesLogFilter } from '../useEventLog.js';
import { formatDuration, formatTime, shortId } from './format.js';
import { groupLogEntries, progressLookup } from './groupLog.js';
import type { JobTimeline } from './jobTimelines.js';
import { cx } from './styles.js';

const BAD_KINDS = new Set(['rejected', 'revoked', 'connect_error', 'invalid-message', 'listener-error', 'resync', 'disconnect']);
const WARN_KINDS = new Set(['gap', 'duplicate', 'replayed', 'notice']);
const NO_TIMELINES: readonly JobTimeline[] = [];

/** Props of {@link EventLogSection}. */
export interface EventLogSectionProps {
  readonly log: readonly LogEntry[];
  /** The panel's job timelines: they give each status event its percent and step. */
  readonly timelines?: readonly JobTimeline[];
  /** Show at most this many entries (the newest), before grouping. @default 200 */
  readonly limit?: number;
}

/**
 * The last N log entries, newest first, filterable by room, job and correlation id, with
 * server-to-client latency. Runs of the same message (thirty "progress → active" of one job)
 * are one row with their count, seq range and where the progress went.
 */
export function EventLogSection({ log, timelines = NO_TIMELINES, limit = 200 }: EventLogSectionProps): ReactNode {
  const id = useId();
  const [room, setRoom] = useState('');
  const [jobId, setJobId] = useState('');
  const [correlationId, setCorrelationId] = useState('');
  const rooms = useMemo(() => [...new Set(log.flatMap((entry) => (entry.room ? [entry.room] : [])))].sort(), [log]);
  const shown = useMemo(() => {
    const filter = { room, jobId: jobId.trim(), correlationId: correlationId.trim() };
    return log.filter((entry) => matchesLogFilter(entry, filter)).slice(-limit).reverse();
  }, [log, room, jobId, correlationId, limit]);
  const groups = useMemo(() => groupLogEntries(shown, progressLookup(timelines)), [shown, timelines]);
  return (
    <section aria-labelledby="jcdp-h-log">
      <h3 id="jcdp-h-log">Event log</h3>
      <div className={cx('filters')} role="search" aria-label="Filter the event log">
        <label htmlFor={`${id}-room`}>
          Room
          <select id={`${id}-room`} className={cx('input')} value={room} onChange={(event) => setRoom(event.target.value)}>
            <option value="">all rooms</option>
            {rooms.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor={`${id}-job`}>
          Job id
          <input id={`${id}-job`} className={cx('input')} value={jobId} onChange={(event) => setJobId(event.target.value)} />
        </label>
        <label htmlFor={`${id}-corr`}>
          Correlation id
          <input id={`${id}-corr`} className={cx('input')} value={correlationId} onChange={(event) => setCorrelationId(event.target.value)} />
        </label>
      </div>
      <p className={cx('muted')}>
        {shown.length} of {log.length} entries{shown.length === limit ? ` (the last ${limit})` : ''}
        {groups.length < shown.length ? `, ${groups.length} rows: repeated events are grouped (×N)` : ''}
      </p>
      <div className={cx('scroll')}>
        <table className={cx('table', 'log')} aria-label="Event log entries">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Kind</th>
              <th scope="col">Room</th>
              <th scope="col">Job</th>
              <th scope="col" className={cx('num')}>Seq</th>
              <th scope="col" className={cx('num')}>Latency</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {groups.map(({ key, newest, oldest, count, seqs, progress }) => (
              <tr key={key} data-count={count}>
                <td title={count > 1 ? `${count} entries from ${formatTime(oldest.at)} to ${formatTime(newest.at)}` : undefined}>
                  {formatTime(newest.at)}
                </td>
                <td className={cx(BAD_KINDS.has(newest.kind) ? 'bad' : WARN_KINDS.has(newest.kind) ? 'warn' : undefined)}>
                  {newest.kind}
                  {count > 1 && <span className={cx('count')}> ×{count}</span>}
                </td>
                <td>{newest.room ?? ''}</td>
                <td title={[newest.jobId, newest.correlationId ? `correlation ${newest.correlationId}` : ''].filter(Boolean).join(' · ') || undefined}>
                  {newest.jobId ? shortId(newest.jobId) : ''}
                </td>
                <td className={cx('num')} data-label="seq">
                  {seqs}
                </td>
                <td className={cx('num')} data-label="latency">
                  {newest.latencyMs === undefined ? '' : formatDuration(newest.latencyMs)}
                </td>
                <td className={cx('wrap')}>
                  {[newest.code, newest.message, newest.detail].filter(Boolean).join(' · ')}
                  {progress && <span className={cx('progress-text')}> · {progress}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
