/**
 * The demo page: documents on the left, the open document with its live summary job in the
 * middle, the failure controls on the right, and jobcast's debug panel on top.
 */
import { useEffect, useState } from 'react';
import { JobcastDebugPanel, JobcastProvider } from '../../client/react/index.js';
import { AddDocumentForm } from './components/AddDocumentForm.js';
import { DocumentList } from './components/DocumentList.js';
import { DocumentView } from './components/DocumentView.js';
import { FailureLab } from './components/FailureLab.js';
import { Header } from './components/Header.js';
import { openSession, type DemoUser, type Session } from './session.js';
import type { DocumentItem } from './types.js';

const idFromHash = () => /^#\/documents\/(\d+)$/.exec(location.hash)?.[1];
const panelOpenAtStart = new URLSearchParams(location.search).get('panel') === 'open';

export function App({ initialSession }: { initialSession: Session }) {
  const [session, setSession] = useState(initialSession);
  const [documents, setDocuments] = useState<DocumentItem[] | undefined>(undefined);
  const [listError, setListError] = useState<string | undefined>(undefined);
  const [listVersion, setListVersion] = useState(0);
  const [selected, setSelected] = useState<string | undefined>(idFromHash);
  // The job each document's "Summarize" started in this session, so the view follows that job.
  const [tracked, setTracked] = useState<Record<string, string>>({});

  useEffect(() => {
    const onHash = () => setSelected(idFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    let live = true;
    session.api<DocumentItem[]>('/documents').then(
      (list) => {
        if (!live) return;
        setDocuments(list);
        setListError(undefined);
      },
      (error: Error) => live && setListError(error.message),
    );
    return () => {
      live = false;
    };
  }, [session, listVersion]);

  // With nothing chosen yet, open the signed-in user's first document.
  const shown = selected ?? documents?.find((document) => document.owner === session.user)?.id;
  const select = (id: string) => {
    history.replaceState(null, '', `#/documents/${id}`);
    setSelected(id);
  };
  const switchUser = (user: DemoUser) => {
    if (user === session.user) return;
    localStorage.setItem('jobcast-demo-user', user);
    const next = openSession(user);
    session.close();
    setTracked({});
    setSession(next);
  };

  return (
    <JobcastProvider client={session.client} key={session.user}>
      <Header user={session.user} onSwitchUser={switchUser} />
      <div className="layout">
        <aside className="column">
          <DocumentList documents={documents} error={listError} user={session.user} selected={shown} onSelect={select} />
          <AddDocumentForm
            session={session}
            onAdded={(document) => {
              setListVersion((version) => version + 1);
              select(document.id);
            }}
          />
        </aside>
        <main className="column">
          {shown ? (
            <DocumentView
              key={shown}
              session={session}
              documentId={shown}
              owner={documents?.find((document) => document.id === shown)?.owner}
              trackedJobId={tracked[shown]}
              onEnqueued={(jobId) => setTracked((current) => ({ ...current, [shown]: jobId }))}
            />
          ) : (
            <section className="card muted">Pick a document on the left.</section>
          )}
        </main>
        <aside className="column">
          <FailureLab session={session} />
        </aside>
      </div>
      {/* Both demo users may use the server side of the panel (the demo server's canDebug). */}
      <JobcastDebugPanel debugUrl="/jobcast" getDebugToken={session.token} bullBoardUrl="/admin/queues" enabled initialOpen={panelOpenAtStart} />
    </JobcastProvider>
  );
}
