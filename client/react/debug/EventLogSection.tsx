import { useId, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { LogEntry } from '../../index.js';
import { matchesLogFilter } from '../useEventLog.js';
import { formatDuration, formatTime } from './format.js';
import { cx } from './styles.js';

const BAD_KINDS = new Set(['rejected', 'revoked', 'connect_error', 'invalid-message', 'listener-error', 'resync', 'disconnect']);
const WARN_KINDS = new Set(['gap', 'duplicate', 'replayed', 'notice']);

/** Props of {@link EventLogSection}. */
export interface EventLogSectionProps {
  readonly log: readonly LogEntry[];
  /** Show at most this many entries (the newest). @default 200 */
  readonly limit?: number;
}

/** The last N log entries, newest first, filterable by room, job and correlation id, with server-to-client latency. */
export function EventLogSection({ log, limit = 200 }: EventLogSectionProps): ReactNode {
  const id = useId();
  const [room, setRoom] = useState('');
  const [jobId, setJobId] = useState('');
  const [correlationId, setCorrelationId] = useState('');
  const rooms = useMemo(() => [...new Set(log.flatMap((entry) => (entry.room ? [entry.room] : [])))].sort(), [log]);
  const shown = useMemo(() => {
    const filter = { room, jobId: jobId.trim(), correlationId: correlationId.trim() };
    return log.filter((entry) => matchesLogFilter(entry, filter)).slice(-limit).reverse();
  }, [log, room, jobId, correlationId, limit]);
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
      </p>
      <table className={cx('table')} aria-label="Event log entries">
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
          {shown.map((entry) => (
            <tr key={entry.id}>
              <td>{formatTime(entry.at)}</td>
              <td className={cx(BAD_KINDS.has(entry.kind) ? 'bad' : WARN_KINDS.has(entry.kind) ? 'warn' : undefined)}>{entry.kind}</td>
              <td>{entry.room ?? ''}</td>
              <td title={entry.correlationId ? `correlation ${entry.correlationId}` : undefined}>{entry.jobId ?? ''}</td>
              <td className={cx('num')}>{entry.seq ?? ''}</td>
              <td className={cx('num')}>{entry.latencyMs === undefined ? '' : formatDuration(entry.latencyMs)}</td>
              <td>{[entry.code, entry.message, entry.detail].filter(Boolean).join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
