/** Make a chosen step fail once (the retry succeeds) or always (the job fails after 4 attempts). */
import { useEffect, useState } from 'react';
import { STEPS, type StepName } from '../../steps.js';
import type { Session } from '../session.js';
import type { Faults } from '../types.js';

export function FaultControls({ session }: { session: Session }) {
  const [step, setStep] = useState<StepName>('summarize');
  const [faults, setFaults] = useState<Faults>({});
  const [error, setError] = useState<string | undefined>(undefined);

  const load = () => session.api<Faults>('/faults').then(setFaults, (cause: Error) => setError(cause.message));
  useEffect(() => {
    void load();
    // A one-time fault disappears when a run hits it: keep the list current.
    const timer = setInterval(() => void load(), 2_000);
    return () => clearInterval(timer);
  }, [session]);

  const set = async (target: StepName, mode: 'off' | 'once' | 'always') => {
    try {
      setFaults(await session.api<Faults>('/faults', { method: 'PUT', body: { step: target, mode } }));
      setError(undefined);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    }
  };
  const active = Object.entries(faults) as Array<[StepName, 'once' | 'always']>;

  return (
    <div className="lab-section">
      <h3>Make a step fail</h3>
      <div className="row">
        <select aria-label="Step to fail" data-testid="fault-step" value={step} onChange={(event) => setStep(event.target.value as StepName)}>
          {STEPS.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <button type="button" className="button" data-testid="fault-once" onClick={() => void set(step, 'once')}>
          Fail once
        </button>
        <button type="button" className="button" data-testid="fault-always" onClick={() => void set(step, 'always')}>
          Fail always
        </button>
      </div>
      {active.length === 0 ? (
        <p className="muted small">No fault set: every step succeeds.</p>
      ) : (
        <ul className="chips">
          {active.map(([name, mode]) => (
            <li key={name} className="chip" data-testid={`fault-${name}`}>
              <strong>{name}</strong> fails {mode === 'once' ? 'on its next run' : 'every time'}
              <button type="button" aria-label={`Clear the fault on ${name}`} onClick={() => void set(name, 'off')}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <p className="error small">{error}</p>}
      <p className="muted small">Jobs get 4 attempts with backoff (2 s, 4 s, 8 s); the page counts down to each retry.</p>
    </div>
  );
}
