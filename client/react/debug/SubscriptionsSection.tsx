import type { ReactNode } from 'react';
import type { ClientDiagnostics, RoomStatus } from '../../index.js';
import { formatTime } from './format.js';
import { cx } from './styles.js';

const STATE_CLASS: Record<RoomStatus, string> = { active: 'ok', pending: 'warn', rejected: 'bad', closed: 'muted' };

/** Props of {@link SubscriptionsSection}. */
export interface SubscriptionsSectionProps {
  readonly diagnostics: ClientDiagnostics;
}

/** Every room the client holds: its state, the rejection (code, message, hint), cursor, epoch and last event. */
export function SubscriptionsSection({ diagnostics }: SubscriptionsSectionProps): ReactNode {
  const { rooms } = diagnostics;
  return (
    <section aria-labelledby="jcdp-h-subscriptions">
      <h3 id="jcdp-h-subscriptions">Subscriptions</h3>
      {rooms.length === 0 ? (
        <p className={cx('muted')}>No room is held: no component uses a jobcast hook and no handle is open.</p>
      ) : (
        <div className={cx('scroll')}>
        <table className={cx('table')} aria-label="Subscriptions">
          <thead>
            <tr>
              <th scope="col">Room</th>
              <th scope="col">State</th>
              <th scope="col">Problem</th>
              <th scope="col">Cursor</th>
              <th scope="col">Epoch</th>
              <th scope="col">Last event</th>
              <th scope="col" title="received / applied / duplicates">Events</th>
              <th scope="col" title="handles and store listeners">Refs</th>
            </tr>
          </thead>
          <tbody>
            {rooms.map(({ room, refCount, snapshot, counters }) => (
              <tr key={room}>
                <th scope="row">{room}</th>
                <td className={cx(STATE_CLASS[snapshot.state])}>{snapshot.state}</td>
                <td className={cx('wrap')}>
                  {snapshot.error ? (
                    <>
                      <strong className={cx('error')}>{snapshot.error.code}</strong> {snapshot.error.message}
                      {snapshot.error.hint && <div className={cx('hint')}>Hint: {snapshot.error.hint}</div>}
                    </>
                  ) : (
                    ''
                  )}
                </td>
                <td className={cx('num')} data-label="seq">
                  {snapshot.seq}
                </td>
                <td data-label="epoch">{snapshot.epoch ?? '—'}</td>
                <td data-label="last event">{formatTime(snapshot.lastEventAt)}</td>
                <td className={cx('num')} data-label="events">
                  {counters.received} / {counters.applied} / {counters.duplicates}
                </td>
                <td className={cx('num', refCount === 0 && 'warn')} data-label="refs">
                  {refCount}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
