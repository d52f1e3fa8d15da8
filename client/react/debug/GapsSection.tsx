import type { ReactNode } from 'react';
import type { ClientDiagnostics, GapOutcome } from '../../index.js';
import { formatTime } from './format.js';
import { cx } from './styles.js';

const OUTCOME_CLASS: Record<GapOutcome, string> = { pending: 'warn', replayed: 'ok', resynced: 'bad' };

/** Props of {@link GapsSection}. */
export interface GapsSectionProps {
  readonly diagnostics: ClientDiagnostics;
}

/** Missed broadcasts per room: gaps detected, replayed and resynced, with their cursor ranges and times. */
export function GapsSection({ diagnostics }: GapsSectionProps): ReactNode {
  const { rooms } = diagnostics;
  const ranges = rooms.flatMap(({ room, snapshot }) => snapshot.gaps.ranges.map((range) => ({ room, ...range })));
  return (
    <section aria-labelledby="jcdp-h-gaps">
      <h3 id="jcdp-h-gaps">Missed broadcasts</h3>
      {rooms.length === 0 ? (
        <p className={cx('muted')}>No room is held.</p>
      ) : (
        <div className={cx('scroll')}>
        <table className={cx('table')} aria-label="Missed broadcasts per room">
          <thead>
            <tr>
              <th scope="col">Room</th>
              <th scope="col" className={cx('num')}>Detected</th>
              <th scope="col" className={cx('num')}>Replayed</th>
              <th scope="col" className={cx('num')}>Resynced</th>
              <th scope="col" className={cx('num')}>Pending</th>
            </tr>
          </thead>
          <tbody>
            {rooms.map(({ room, snapshot: { gaps } }) => {
              const pending = gaps.detected - gaps.replayed - gaps.resynced;
              return (
                <tr key={room}>
                  <th scope="row">{room}</th>
                  <td className={cx('num')} data-label="detected">
                    {gaps.detected}
                  </td>
                  <td className={cx('num', gaps.replayed > 0 && 'ok')} data-label="replayed">
                    {gaps.replayed}
                  </td>
                  <td className={cx('num', gaps.resynced > 0 && 'bad')} data-label="resynced">
                    {gaps.resynced}
                  </td>
                  <td className={cx('num', pending > 0 && 'warn')} data-label="pending">
                    {pending}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      )}
      <h4>Ranges</h4>
      {ranges.length === 0 ? (
        <p className={cx('muted')}>No gap seen: every broadcast arrived in order.</p>
      ) : (
        <div className={cx('scroll')}>
        <table className={cx('table')} aria-label="Missed ranges">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Room</th>
              <th scope="col">Seq</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {[...ranges].reverse().map((range, index) => (
              <tr key={`${range.room}-${range.from}-${range.at}-${index}`}>
                <td>{formatTime(range.at)}</td>
                <td>{range.room}</td>
                <td>{range.from === range.to ? range.from : `${range.from}..${range.to}`}</td>
                <td className={cx(OUTCOME_CLASS[range.outcome])}>{range.outcome}</td>
                <td className={cx('wrap')}>{range.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
