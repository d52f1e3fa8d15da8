import type { ReactNode } from 'react';
import type { ClientDiagnostics } from '../../index.js';
import { formatDuration, formatTime, median } from './format.js';
import { cx } from './styles.js';

const STATE_CLASS = { connected: 'ok', connecting: 'warn', reconnecting: 'warn', idle: 'muted', disconnected: 'bad' } as const;

/** Props of {@link ConnectionSection}. */
export interface ConnectionSectionProps {
  readonly diagnostics: ClientDiagnostics;
}

/** The connection: state, transport, latency, reconnect attempts, recovery window, and its timeline with reasons. */
export function ConnectionSection({ diagnostics }: ConnectionSectionProps): ReactNode {
  const { connection, log } = diagnostics;
  // The core measures no ping; the server-to-client latency of status events is the closest measure.
  const latencies = log.flatMap((entry) => (entry.kind === 'status' && entry.latencyMs !== undefined ? [entry.latencyMs] : [])).slice(-20);
  const last = latencies.at(-1);
  return (
    <section aria-labelledby="jcdp-h-connection">
      <h3 id="jcdp-h-connection">Connection</h3>
      <dl className={cx('dl')}>
        <dt>State</dt>
        <dd className={cx(STATE_CLASS[connection.state])}>{connection.state}</dd>
        <dt>Transport</dt>
        <dd>{connection.transport ?? '—'}</dd>
        <dt>Server node</dt>
        <dd>{connection.nodeId ?? '—'}</dd>
        <dt>Latency (ping)</dt>
        <dd>
          {last === undefined
            ? 'no status event yet'
            : `last ${formatDuration(last)}, median ${formatDuration(median(latencies))} over ${latencies.length} events (server → client)`}
        </dd>
        <dt>Reconnect attempts</dt>
        <dd>{connection.attempt}</dd>
        <dt>Connected since</dt>
        <dd>{formatTime(connection.connectedAt)}</dd>
        <dt>Recovery window</dt>
        <dd>
          {connection.window
            ? `${connection.window.historySize} events or ${formatDuration(connection.window.historyTtlMs)}: away longer, rooms resync`
            : 'unknown until the server says hello'}
        </dd>
        {connection.reason !== undefined && (
          <>
            <dt>Last reason</dt>
            <dd>{connection.reason}</dd>
          </>
        )}
        {connection.error && (
          <>
            <dt>Last error</dt>
            <dd className={cx('error')}>
              {connection.error.code}: {connection.error.message}
              {connection.error.hint && <span className={cx('hint')}> Hint: {connection.error.hint}</span>}
            </dd>
          </>
        )}
      </dl>
      <h4>Timeline</h4>
      {connection.timeline.length === 0 ? (
        <p className={cx('muted')}>No transition yet.</p>
      ) : (
        <div className={cx('scroll')}>
        <table className={cx('table')} aria-label="Connection timeline">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">State</th>
              <th scope="col">Reason</th>
              <th scope="col">Attempt</th>
              <th scope="col">Code</th>
            </tr>
          </thead>
          <tbody>
            {[...connection.timeline].reverse().map((entry, index) => (
              <tr key={`${entry.at}-${index}`}>
                <td>{formatTime(entry.at)}</td>
                <td className={cx(STATE_CLASS[entry.state])}>{entry.state}</td>
                <td className={cx('wrap')}>{entry.reason ?? ''}</td>
                <td className={cx('num')} data-label="attempt">
                  {entry.attempt ?? ''}
                </td>
                <td>{entry.code ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
