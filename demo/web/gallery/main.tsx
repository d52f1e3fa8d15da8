/**
 * The debug panel gallery (`/gallery.html`): the panel over fixed data with a job in every
 * situation it names, next to a stand-in page, so its layout can be looked at and tested the
 * same way each time. `?side=left` docks it left; the Jobs tab links jobs to this demo's bull-board.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { JobcastDebugPanel } from '../../../client/react/index.js';
import { createFixtureClient } from './fixtureClient.js';
import { buildFixtures } from './fixtures.js';

const { diagnostics, events } = buildFixtures(Date.now());
const client = createFixtureClient(diagnostics, events);
const side = new URLSearchParams(location.search).get('side') === 'left' ? 'left' : 'right';

function Gallery() {
  return (
    <>
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◉
          </span>
          <div>
            <h1>Debug panel gallery</h1>
            <p>Fixed data: a job in each situation the panel names. Open a tab, resize the panel, look.</p>
          </div>
        </div>
      </header>
      <main className="gallery">
        <section className="card">
          <h2>The page the panel explains</h2>
          <p className="muted">
            This stands in for an app page. The panel should leave most of it readable: compact by default, collapsible to its header, resizable
            from its corner, and toggled with Alt+Shift+J.
          </p>
        </section>
      </main>
      <JobcastDebugPanel client={client} enabled initialOpen side={side} bullBoardUrl="/admin/queues" />
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Gallery />
  </StrictMode>,
);
