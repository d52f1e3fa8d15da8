/** Stop the worker (jobs wait, flagged NO_WORKER), or start one on the current or an old version (STALE_WORKER). */
import { useEffect, useState } from 'react';
import type { Session } from '../session.js';
import type { WorkersState } from '../types.js';

export function WorkerControls({ session }: { session: Session }) {
  const [state, setState] = useState<WorkersState | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    const load = () => session.api<WorkersState>('/workers').then((next) => live && setState(next), () => undefined);
    void load();
    const timer = setInterval(() => void load(), 3_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session]);

  const run = async (label: string, path: string, body?: unknown) => {
    setBusy(label);
    setError(undefined);
    try {
      setState(await session.api<WorkersState>(path, { method: 'POST', ...(body ? { body } : {}) }));
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(undefined);
    }
  };
  const worker = state?.workers[0];
  const stale = worker && state && worker.version !== state.expectedVersion;

  return (
    <div className="lab-section">
      <h3>Worker</h3>
      <p className={`worker-line${worker ? (stale ? ' stale' : ' up') : ' down'}`} data-testid="worker-state">
        {busy ??
          (worker
            ? `Running v${worker.version} (pid ${worker.pid})${stale ? `: old code, the server expects v${state.expectedVersion}` : ''}`
            : state
              ? 'No worker running: new jobs wait in the queue.'
              : 'Checking…')}
      </p>
      <div className="row wrap">
        <button type="button" className="button" data-testid="worker-stop" disabled={!!busy || !worker} onClick={() => void run('Stopping… (a running job finishes first)', '/workers/stop')}>
          Stop worker
        </button>
        <button type="button" className="button" data-testid="worker-start" disabled={!!busy} onClick={() => void run('Starting…', '/workers/start', { version: 'current' })}>
          Start worker v{state?.expectedVersion ?? '…'}
        </button>
        <button type="button" className="button" data-testid="worker-start-old" disabled={!!busy} onClick={() => void run('Starting the old worker…', '/workers/start', { version: 'old' })}>
          Start old worker v{state?.oldVersion ?? '…'}
        </button>
      </div>
      {error && <p className="error small">{error}</p>}
    </div>
  );
}
