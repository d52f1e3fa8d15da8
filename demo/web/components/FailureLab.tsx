/** The failure controls: each one causes, for real, a failure mode jobcast exists to explain. */
import { useState } from 'react';
import type { Session } from '../session.js';
import { ConnectionDrop } from './ConnectionDrop.js';
import { FaultControls } from './FaultControls.js';
import { WorkerControls } from './WorkerControls.js';

export function FailureLab({ session }: { session: Session }) {
  const [cacheNote, setCacheNote] = useState<string | undefined>(undefined);
  const forget = async () => {
    const { dropped } = await session.api<{ dropped: number }>('/summaries', { method: 'DELETE' });
    setCacheNote(`${dropped} cached ${dropped === 1 ? 'summary' : 'summaries'} forgotten.`);
  };
  return (
    <section className="card lab" aria-label="Failure controls">
      <h2>Failure controls</h2>
      <p className="muted small">Break things on purpose, then watch the page and the debug panel (bottom right, Alt+Shift+J) explain what happened.</p>
      <FaultControls session={session} />
      <ConnectionDrop />
      <WorkerControls session={session} />
      <div className="lab-section">
        <h3>Cache</h3>
        <p className="muted small">Summaries are idempotent: a text summarized once is answered from the cache. Forget them to run the steps again.</p>
        <div className="row">
          <button type="button" className="button" data-testid="forget-summaries" onClick={() => void forget()}>
            Forget summaries
          </button>
          {cacheNote && <span className="muted small">{cacheNote}</span>}
        </div>
      </div>
    </section>
  );
}
