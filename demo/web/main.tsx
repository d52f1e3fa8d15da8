/** The demo page: sign in as the last user (alice by default) and render the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { DEMO_USERS, openSession, type DemoUser } from './session.js';

const stored = localStorage.getItem('jobcast-demo-user');
const user: DemoUser = DEMO_USERS.includes(stored as DemoUser) ? (stored as DemoUser) : 'alice';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App initialSession={openSession(user)} />
  </StrictMode>,
);
