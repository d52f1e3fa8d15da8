/** A failed attempt waiting out its backoff: what failed, and a countdown to the next attempt. */
import { useEffect, useState } from 'react';
import type { JobStatus } from '../../../shared/index.js';

/** The current time, refreshed every `everyMs` while `running`. */
function useNow(running: boolean, everyMs = 250): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [running, everyMs]);
  return now;
}

export function RetryNotice({ status }: { status: JobStatus }) {
  const now = useNow(status.nextAttemptAt !== undefined);
  const seconds = status.nextAttemptAt === undefined ? undefined : Math.max(0, Math.ceil((status.nextAttemptAt - now) / 1_000));
  // A status that will retry is about the coming attempt (BullMQ's attemptsMade + 1): the failed one is the attempt before.
  const failed = Math.max(1, status.attempt - 1);
  const next = `attempt ${failed + 1} of ${status.maxAttempts}`;
  const step = status.failure?.step;
  return (
    <div className="retry" data-testid="retry">
      <p className="headline">
        {seconds === undefined ? `Retrying soon (${next})` : seconds > 0 ? `Retrying in ${seconds} s (${next})` : `Retrying now (${next})`}
      </p>
      <p>
        Attempt {failed} failed{step ? (
          <>
            {' '}
            at step <strong>{step}</strong>
          </>
        ) : null}
        : {status.failure?.message ?? 'The job failed.'} <code>{status.failure?.code ?? 'JOB_FAILED'}</code>
      </p>
      <p className="muted small">Exponential backoff: 2 s, then 4 s, then 8 s. Steps that already succeeded are skipped on the retry (checkpoints).</p>
    </div>
  );
}
