/** "Add your own text": stored in Redis as a document of the signed-in user. */
import { useState, type FormEvent } from 'react';
import type { Session } from '../session.js';
import type { DocumentDetail } from '../types.js';

export function AddDocumentForm({ session, onAdded }: { session: Session; onAdded: (document: DocumentDetail) => void }) {
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const document = await session.api<DocumentDetail>('/documents', { method: 'POST', body: { title, text } });
      setTitle('');
      setText('');
      onAdded(document);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card">
      <h2>Add your own text</h2>
      <form className="stack" onSubmit={submit}>
        <input aria-label="Title" placeholder="Title" value={title} maxLength={100} onChange={(event) => setTitle(event.target.value)} required />
        <textarea
          aria-label="Text"
          placeholder="Paste a few paragraphs: the summarizer keeps the sentences that carry the most frequent words."
          rows={5}
          value={text}
          onChange={(event) => setText(event.target.value)}
          required
        />
        {error && <p className="error">{error}</p>}
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Saving…' : `Save as ${session.user}'s document`}
        </button>
      </form>
    </section>
  );
}
