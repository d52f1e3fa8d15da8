import { useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { KeyboardEvent as ReactKeyboardEvent, ReactNode, RefObject } from 'react';
import type { JobcastClient } from '../../index.js';
import { ConnectionSection } from './ConnectionSection.js';
import type { Diagnosis } from './diagnose.js';
import { buildDiagnosticsBundle, copyText, serializeDiagnosticsBundle } from './diagnosticsBundle.js';
import { EventLogSection } from './EventLogSection.js';
import { GapsSection } from './GapsSection.js';
import { EMPTY_DIAGNOSTICS, Inspector } from './inspector.js';
import { describeShortcut } from './shortcut.js';
import type { JobcastDebugPanelProps } from './JobcastDebugPanel.js';
import { jobProblems } from './jobProblems.js';
import { JobsSection } from './JobsSection.js';
import type { JobTimeline, JobTimelineRecorder } from './jobTimelines.js';
import { cx } from './styles.js';
import { SubscriptionsSection } from './SubscriptionsSection.js';
import { usePanelSize } from './usePanelSize.js';
import { WhyCheck } from './WhyCheck.js';

const TABS = [
  { id: 'connection', label: 'Connection' },
  { id: 'subscriptions', label: 'Subscriptions' },
  { id: 'gaps', label: 'Missed broadcasts' },
  { id: 'log', label: 'Event log' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'why', label: 'Why no update?' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** What the panel shell hands the open panel. */
export interface PanelProps extends JobcastDebugPanelProps {
  client: JobcastClient;
  id: string;
  panelRef: RefObject<HTMLDivElement | null>;
  recorder: JobTimelineRecorder;
  lastCheck: Diagnosis | undefined;
  onCheck: (diagnosis: Diagnosis) => void;
  onClose: () => void;
  /** The shortcut in effect, for the header's hint. */
  shortcut: string;
}

const NO_TIMELINES: readonly JobTimeline[] = [];

/**
 * The open panel: header with copy, collapse and close, the tabs, and the selected section.
 * Compact by default (about a third of a wide screen), collapsible to its header, and
 * resizable from the corner grip or with the arrow keys on it.
 */
export function Panel(props: PanelProps): ReactNode {
  const { client, id, panelRef, recorder, lastCheck, onCheck, onClose, debugUrl, getDebugToken, logLimit, bullBoardUrl, shortcut } = props;
  const [tab, setTab] = useState<TabId>('connection');
  const [collapsed, setCollapsed] = useState(false);
  const { size, grip } = usePanelSize(props.side ?? 'right');
  const timelines = useSyncExternalStore(recorder.subscribe, recorder.getSnapshot, () => NO_TIMELINES);
  const [copyState, setCopyState] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const inspector = useMemo(() => new Inspector(client), [client]);
  const diagnostics = useSyncExternalStore(inspector.subscribe, inspector.getSnapshot, () => EMPTY_DIAGNOSTICS);
  const tabRefs = useRef(new Map<TabId, HTMLButtonElement>());
  // Jobs the Jobs tab names a problem for (no worker, backoff, lost…): counted on the tab itself.
  const troubled = useMemo(() => timelines.filter((timeline) => jobProblems(timeline.latest, { now: Date.now() }).length > 0).length, [timelines]);

  const onKeyDown = (event: ReactKeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    onClose();
  };
  const onTabKey = (event: ReactKeyboardEvent, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    const target = event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : step ? (index + step + TABS.length) % TABS.length : -1;
    if (target < 0) return;
    event.preventDefault();
    const next = TABS[target]!.id;
    setTab(next);
    tabRefs.current.get(next)?.focus();
  };
  const copy = async () => {
    const bundle = buildDiagnosticsBundle({
      client: client.inspect(),
      timelines: recorder.getSnapshot(),
      ...(lastCheck ? { lastCheck } : {}),
      now: Date.now(),
      ...(typeof location === 'undefined' ? {} : { pageUrl: location.href }),
      ...(typeof navigator === 'undefined' ? {} : { userAgent: navigator.userAgent }),
    });
    const text = serializeDiagnosticsBundle(bundle);
    setCopyState({ ok: await copyText(text), text });
  };

  return (
    <div
      ref={panelRef}
      id={id}
      className={cx('panel', collapsed && 'collapsed')}
      role="region"
      aria-label="jobcast debug panel"
      tabIndex={-1}
      onKeyDown={onKeyDown}
      style={size && !collapsed ? { width: size.width, height: size.height } : undefined}
    >
      <div className={cx('header')}>
        {!collapsed && (
          <button
            type="button"
            className={cx('grip')}
            aria-label="Resize the panel: drag this corner, or use the arrow keys (Home: default size)"
            title="Drag to resize"
            onPointerDown={(event) => grip.onPointerDown(event, panelRef.current)}
            onPointerMove={grip.onPointerMove}
            onPointerUp={grip.onPointerUp}
            onKeyDown={(event) => grip.onKeyDown(event, panelRef.current)}
          />
        )}
        <h2 className={cx('title')} title={`Toggle with ${describeShortcut(shortcut)}`}>
          jobcast · {diagnostics.connection.state}
        </h2>
        <button type="button" className={cx('button')} onClick={copy} aria-label="Copy diagnostics" title="Copy diagnostics: JSON, at most 64 KiB, no tokens">
          Copy
        </button>
        <button
          type="button"
          className={cx('button')}
          aria-expanded={!collapsed}
          aria-label={collapsed ? 'Expand the jobcast debug panel' : 'Collapse the jobcast debug panel'}
          onClick={() => setCollapsed((value) => !value)}
        >
          {collapsed ? '▴' : '▾'}
        </button>
        <button type="button" className={cx('button')} onClick={onClose} aria-label="Close the jobcast debug panel">
          ✕
        </button>
      </div>
      {!collapsed && copyState && (
        <div className={cx('body')} style={{ flex: 'none' }}>
          <p role="status">
            {copyState.ok ? `Diagnostics copied (${Math.ceil(copyState.text.length / 1024)} KB of JSON).` : 'Could not copy: select the JSON below.'}
          </p>
          {!copyState.ok && <textarea className={cx('textarea')} readOnly value={copyState.text} aria-label="Diagnostics JSON" />}
        </div>
      )}
      {!collapsed && (
      <>
      <div className={cx('tabs')} role="tablist" aria-label="Debug views">
        {TABS.map(({ id: tabId, label }, index) => (
          <button
            key={tabId}
            ref={(element) => {
              if (element) tabRefs.current.set(tabId, element);
              else tabRefs.current.delete(tabId);
            }}
            type="button"
            role="tab"
            id={`${id}-tab-${tabId}`}
            aria-selected={tab === tabId}
            aria-controls={`${id}-panel`}
            tabIndex={tab === tabId ? 0 : -1}
            className={cx('tab')}
            onClick={() => setTab(tabId)}
            onKeyDown={(event) => onTabKey(event, index)}
          >
            {label}
            {tabId === 'jobs' && troubled > 0 && (
              <span className={cx('badge')} aria-hidden="true" title={`${troubled} job(s) with a named problem`}>
                {troubled}
              </span>
            )}
          </button>
        ))}
      </div>
      <div className={cx('body')} role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} tabIndex={0}>
        {tab === 'connection' && <ConnectionSection diagnostics={diagnostics} />}
        {tab === 'subscriptions' && <SubscriptionsSection diagnostics={diagnostics} />}
        {tab === 'gaps' && <GapsSection diagnostics={diagnostics} />}
        {tab === 'log' && <EventLogSection log={diagnostics.log} timelines={timelines} {...(logLimit ? { limit: logLimit } : {})} />}
        {tab === 'jobs' && <JobsSection recorder={recorder} diagnostics={diagnostics} {...(bullBoardUrl ? { bullBoardUrl } : {})} />}
        {tab === 'why' && (
          <WhyCheck
            client={client}
            diagnostics={diagnostics}
            {...(debugUrl ? { debugUrl } : {})}
            {...(getDebugToken ? { getDebugToken } : {})}
            {...(lastCheck ? { result: lastCheck } : {})}
            onResult={onCheck}
          />
        )}
      </div>
      </>
      )}
    </div>
  );
}
