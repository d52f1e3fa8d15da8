import { useCallback, useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ReactNode, RefObject } from 'react';
import type { JobcastClient } from '../../index.js';
import { useOptionalJobcast } from '../JobcastProvider.js';
import { SERVER_CONNECTION } from '../serverSnapshots.js';
import type { Diagnosis } from './diagnose.js';
import type { GetDebugToken } from './fetchRoomReport.js';
import { Panel } from './Panel.js';
import { JobTimelineRecorder } from './jobTimelines.js';
import { DEFAULT_SHORTCUT, describeShortcut, isTypingTarget, matchesShortcut, parseShortcut } from './shortcut.js';
import { PANEL_CSS, cx } from './styles.js';

/** Props of {@link JobcastDebugPanel}. */
export interface JobcastDebugPanelProps {
  /** The client to inspect. @default the client of the nearest `<JobcastProvider>` */
  client?: JobcastClient;
  /** Render at all. @default true unless `process.env.NODE_ENV === 'production'` */
  enabled?: boolean;
  /** Opens and closes the panel from anywhere on the page (not while typing in a field). @default 'alt+shift+j' */
  shortcut?: string;
  /** Where the jobcast router is mounted (e.g. `https://api.example.com/jobcast`), for the server side of the guided check. */
  debugUrl?: string;
  /** The bearer token for the server's debug endpoint (a user with debug access). */
  getDebugToken?: GetDebugToken;
  /** Start open instead of as a small toggle button. @default false */
  initialOpen?: boolean;
  /** Which corner the panel sits in. @default 'right' */
  side?: 'right' | 'left';
  /** How many log entries the event log shows. @default 200 */
  logLimit?: number;
  /** Where the app mounted bull-board (e.g. '/admin/queues'): each job in the Jobs tab links to its page there. */
  bullBoardUrl?: string;
}

/** The shortcut used when none is given: Alt+Shift+J, which no browser binds (see shortcut.ts). */
export { DEFAULT_SHORTCUT };

/**
 * True outside production builds. The expression `process.env.NODE_ENV` is written out whole
 * because bundlers replace exactly that text; where nothing replaced it and there is no
 * `process` (a plain browser page), reading it throws and the page counts as development.
 */
function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return true;
  }
}

/**
 * A floating, collapsible panel that shows what the jobcast client knows: connection,
 * subscriptions, missed broadcasts, the event log, job timelines, and a guided
 * "why didn't my UI update?" check. Renders nothing in production unless `enabled`.
 *
 * @example
 * <JobcastDebugPanel debugUrl="/jobcast" getDebugToken={() => session.token} />
 */
export function JobcastDebugPanel(props: JobcastDebugPanelProps): ReactNode {
  const fromContext = useOptionalJobcast();
  if (!(props.enabled ?? isDevelopment())) return null;
  const client = props.client ?? fromContext;
  if (client === undefined) throw new Error('jobcast: <JobcastDebugPanel> needs a `client` prop or a <JobcastProvider> above it');
  return <PanelRoot {...props} client={client} />;
}

function PanelRoot(props: JobcastDebugPanelProps & { client: JobcastClient }): ReactNode {
  const { client, shortcut = DEFAULT_SHORTCUT } = props;
  const panelId = useId();
  const [open, setOpen] = useState(props.initialOpen ?? false);
  const [lastCheck, setLastCheck] = useState<Diagnosis | undefined>(undefined);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const restoreFocus = useRef(false);
  // Timelines are recorded while the panel is collapsed too, so opening it shows the past.
  const recorder = useMemo(() => new JobTimelineRecorder(client), [client]);
  useEffect(() => recorder.start(), [recorder]);

  const parsed = useMemo(() => parseShortcut(shortcut), [shortcut]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!matchesShortcut(event, parsed) || isTypingTarget(event.target)) return;
      event.preventDefault();
      setOpen((value) => !value);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [parsed]);

  // Move focus into the panel when it opens and back to the toggle when it closes from inside.
  useEffect(() => {
    if (open) panelRef.current?.focus();
    else if (restoreFocus.current) toggleRef.current?.focus();
    restoreFocus.current = false;
  }, [open]);
  const close = useCallback(() => {
    restoreFocus.current = true;
    setOpen(false);
  }, []);

  return (
    <div className={cx('root', props.side === 'left' && 'left')} data-jobcast-debug="">
      <style>{PANEL_CSS}</style>
      {open ? (
        <Panel {...props} shortcut={shortcut} id={panelId} panelRef={panelRef} recorder={recorder} lastCheck={lastCheck} onCheck={setLastCheck} onClose={close} />
      ) : (
        <Toggle client={client} shortcut={shortcut} toggleRef={toggleRef} onOpen={() => setOpen(true)} />
      )}
    </div>
  );
}

interface ToggleProps {
  client: JobcastClient;
  shortcut: string;
  toggleRef: RefObject<HTMLButtonElement | null>;
  onOpen: () => void;
}

function Toggle({ client, shortcut, toggleRef, onOpen }: ToggleProps): ReactNode {
  const { state } = useSyncExternalStore(client.connection.subscribe, client.connection.getSnapshot, () => SERVER_CONNECTION);
  const tone = state === 'connected' ? 'ok' : state === 'disconnected' ? 'bad' : 'warn';
  return (
    <button
      ref={toggleRef}
      type="button"
      className={cx('toggle')}
      aria-expanded={false}
      aria-label={`Open the jobcast debug panel (${describeShortcut(shortcut)}); connection ${state}`}
      title={`jobcast debug panel (${describeShortcut(shortcut)})`}
      onClick={onOpen}
    >
      <span className={cx('dot', tone)} aria-hidden="true" />
      jobcast
    </button>
  );
}
