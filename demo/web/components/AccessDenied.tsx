/** What a user sees on someone else's document: who owns it, what jobcast answered, what to do. */
import type { RoomSnapshot } from '../../../client/index.js';
import { LockIcon } from './LockIcon.js';

export function AccessDenied({ user, owner, room }: { user: string; owner: string | undefined; room: RoomSnapshot }) {
  const error = room.state === 'rejected' ? room.error : undefined;
  return (
    <section className="card denied" data-testid="access-denied" role="alert">
      <div className="denied-icon">
        <LockIcon size={28} />
      </div>
      <div>
        <h2>This is {owner ? `${owner}'s` : 'someone else’s'} document</h2>
        <p>
          You are signed in as <strong>{user}</strong>, so this page may not follow its summary jobs: the live updates were refused,
          not silently dropped.
        </p>
        {error ? (
          <p className="refusal" data-testid="refusal">
            <code>{error.code}</code> {error.message}
          </p>
        ) : (
          <p className="muted small">Waiting for jobcast's answer to the subscription…</p>
        )}
        <p className="muted small">
          {owner ? `Switch to ${owner} at the top to open it. ` : ''}The debug panel (bottom right) lists the rejection under Subscriptions, and
          its “Why no update?” check names the rule that refused it.
        </p>
      </div>
    </section>
  );
}
