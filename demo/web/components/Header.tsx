/** The top bar: what this is, who is signed in (switchable), the live connection, and bull-board. */
import { useConnection } from '../../../client/react/index.js';
import { DEMO_USERS, type DemoUser } from '../session.js';

const CONNECTION_TEXT = {
  idle: 'not connected',
  connecting: 'connecting…',
  connected: 'live',
  reconnecting: 'reconnecting…',
  disconnected: 'offline',
} as const;

export function Header({ user, onSwitchUser }: { user: DemoUser; onSwitchUser: (user: DemoUser) => void }) {
  const connection = useConnection();
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo" aria-hidden="true">
          ◉
        </span>
        <div>
          <h1>jobcast demo</h1>
          <p>AI summaries whose status always reaches the page, or says why it did not.</p>
        </div>
      </div>
      <div className="topbar-actions">
        <span className={`pill connection-${connection.state}`} data-testid="connection" title={connection.reason ?? ''}>
          <span className="dot" aria-hidden="true" /> {CONNECTION_TEXT[connection.state]}
        </span>
        <div className="segmented" role="group" aria-label="Signed in as">
          <span className="segmented-label">Signed in as</span>
          {DEMO_USERS.map((name) => (
            <button
              key={name}
              type="button"
              className={name === user ? 'active' : ''}
              aria-pressed={name === user}
              data-testid={`user-${name}`}
              onClick={() => onSwitchUser(name)}
            >
              {name}
            </button>
          ))}
        </div>
        <a className="button ghost" href="/admin/queues" target="_blank" rel="noreferrer">
          <span className="wide-only">Operations view (</span>bull-board<span className="wide-only">)</span> ↗
        </a>
      </div>
    </header>
  );
}
