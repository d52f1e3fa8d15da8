/**
 * One document: its text, the "Summarize" button, and its live summary job from the room
 * `document:<id>`. A refused subscription (someone else's document) becomes a friendly message.
 */
import { useEffect, useState } from 'react';
import { useJobStatus } from '../../../client/react/index.js';
import { isTerminalStatus } from '../../../shared/index.js';
import { ApiError, type Session } from '../session.js';
import type { DocumentDetail, EnqueuedJob } from '../types.js';
import { AccessDenied } from './AccessDenied.js';
import { JobStatusCard } from './JobStatusCard.js';
import { useMissedForJob } from '../useMissedForJob.js';

interface DocumentViewProps {
  session: Session;
  documentId: string;
  owner: string | undefined;
  trackedJobId: string | undefined;
  onEnqueued: (jobId: string) => void;
}

export function DocumentView({ session, documentId, owner, trackedJobId, onEnqueued }: DocumentViewProps) {
  // Without a job started here, the room's most recently updated job (e.g. after a reload).
  const { status, room } = useJobStatus(`document:${documentId}`, trackedJobId);
  const misses = useMissedForJob(`document:${documentId}`, status, room.gaps);
  const [document, setDocument] = useState<DocumentDetail | undefined>(undefined);
  const [loadError, setLoadError] = useState<ApiError | Error | undefined>(undefined);
  const [sendError, setSendError] = useState<string | undefined>(undefined);
  const [sending, setSending] = useState(false);
  const completed = status?.state === 'completed';

  useEffect(() => {
    let live = true;
    session.api<DocumentDetail>(`/documents/${documentId}`).then(
      (loaded) => live && (setDocument(loaded), setLoadError(undefined)),
      (error: Error) => live && setLoadError(error),
    );
    return () => {
      live = false;
    };
    // Reloaded when a job completes, to show the stored summary.
  }, [session, documentId, completed]);

  const refused = room.state === 'rejected' || (loadError instanceof ApiError && loadError.status === 403);
  if (refused) return <AccessDenied user={session.user} owner={owner} room={room} />;
  if (loadError) return <section className="card error">{loadError.message}</section>;
  if (!document) return <section className="card muted">Loading document {documentId}…</section>;

  const running = status !== undefined && !isTerminalStatus(status);
  const summarize = async () => {
    setSending(true);
    setSendError(undefined);
    try {
      const job = await session.api<EnqueuedJob>(`/documents/${documentId}/summarize`, { method: 'POST' });
      onEnqueued(job.deduplicatedBy ?? job.jobId);
    } catch (error) {
      setSendError(error instanceof Error ? error.message : String(error));
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <section className="card">
        <div className="doc-head">
          <h2>{document.title}</h2>
          <span className="owner">{document.owner === session.user ? 'your document' : `${document.owner}'s document`}</span>
        </div>
        <p className="doc-text">{document.text}</p>
        <div className="row">
          <button type="button" className="button primary" data-testid="summarize" disabled={sending} onClick={summarize}>
            {running ? 'Summarize (joins the running job)' : 'Summarize'}
          </button>
          <span className="muted small">The worker runs fetch → chunk → summarize → persist, live below.</span>
        </div>
        {sendError && <p className="error">{sendError}</p>}
      </section>
      <JobStatusCard status={status} room={room} waitingForJob={trackedJobId !== undefined && status === undefined} stored={document.summary} misses={misses} />
    </>
  );
}
