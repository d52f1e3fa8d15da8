/** Every document, with its owner: the signed-in user's own, and the others' (locked). */
import type { DocumentItem } from '../types.js';
import { LockIcon } from './LockIcon.js';

interface DocumentListProps {
  documents: DocumentItem[] | undefined;
  error: string | undefined;
  user: string;
  selected: string | undefined;
  onSelect: (id: string) => void;
}

export function DocumentList({ documents, error, user, selected, onSelect }: DocumentListProps) {
  return (
    <section className="card">
      <h2>Documents</h2>
      {error && <p className="error">{error}</p>}
      {!documents && !error && <p className="muted">Loading…</p>}
      <ul className="doc-list">
        {documents?.map((document) => {
          const mine = document.owner === user;
          return (
            <li key={document.id}>
              <button
                type="button"
                className={`doc-item${document.id === selected ? ' selected' : ''}${mine ? '' : ' foreign'}`}
                data-testid={`doc-${document.id}`}
                onClick={() => onSelect(document.id)}
              >
                <span className="doc-title">{document.title}</span>
                <span className={`owner owner-${document.owner}`}>
                  {mine ? 'yours' : `${document.owner}'s`}
                  {!mine && <LockIcon label="not yours" />}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
