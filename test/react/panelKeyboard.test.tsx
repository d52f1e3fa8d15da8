// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJobcastClient } from '../../client/index.js';
import { JobcastDebugPanel, JobcastProvider } from '../../client/react/index.js';
import type { JobcastDebugPanelProps } from '../../client/react/index.js';

const clients: Array<{ close(): void }> = [];
afterEach(() => {
  cleanup();
  vi.unstubAllEnvs();
  while (clients.length) clients.pop()!.close();
});

function renderPanel(props: JobcastDebugPanelProps = {}) {
  const client = createJobcastClient({ url: 'http://127.0.0.1:9', autoConnect: false });
  clients.push(client);
  const view = render(
    <JobcastProvider client={client}>
      <main>host page</main>
      <JobcastDebugPanel {...props} />
    </JobcastProvider>,
  );
  return { client, view };
}

const press = (init: KeyboardEventInit, target: Window | Element = window) => act(() => void fireEvent.keyDown(target, init));
const panel = () => screen.queryByRole('region', { name: 'jobcast debug panel' });

describe('JobcastDebugPanel keyboard and visibility', () => {
  it('starts as a toggle button, opens with Alt+Shift+J, and closes on Escape with focus back on the toggle', () => {
    renderPanel();
    const toggle = screen.getByRole('button', { name: /Open the jobcast debug panel \(Alt\+Shift\+J\); connection idle/ });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(panel()).toBeNull();

    press({ key: 'J', code: 'KeyJ', altKey: true, shiftKey: true });
    expect(panel()).not.toBeNull();
    expect(document.activeElement).toBe(panel());

    press({ key: 'Escape', code: 'Escape' }, panel()!);
    expect(panel()).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: /Open the jobcast debug panel/ }));
  });

  it('leaves the browser its own shortcuts (Ctrl+Shift+J is the DevTools console) and ignores keys typed in a field', () => {
    renderPanel();
    press({ key: 'J', code: 'KeyJ', ctrlKey: true, shiftKey: true });
    press({ key: 'J', code: 'KeyJ', metaKey: true, altKey: true });
    expect(panel()).toBeNull();
    const field = document.createElement('input');
    document.body.appendChild(field);
    try {
      press({ key: 'Ô', code: 'KeyJ', altKey: true, shiftKey: true }, field);
      expect(panel()).toBeNull();
    } finally {
      field.remove();
    }
    press({ key: 'Ô', code: 'KeyJ', altKey: true, shiftKey: true });
    expect(panel()).not.toBeNull();
  });

  it('collapses to its header and expands again', () => {
    renderPanel({ initialOpen: true });
    expect(screen.getAllByRole('tab')).toHaveLength(6);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse the jobcast debug panel' }));
    expect(screen.queryAllByRole('tab')).toHaveLength(0);
    expect(panel()?.className).toContain('jcdp-collapsed');
    fireEvent.click(screen.getByRole('button', { name: 'Expand the jobcast debug panel' }));
    expect(screen.getAllByRole('tab')).toHaveLength(6);
  });

  it('resizes from the corner grip with the arrow keys, keeps the size, and resets it with Home', () => {
    localStorage.clear();
    renderPanel({ initialOpen: true });
    const grip = screen.getByRole('button', { name: /Resize the panel/ });
    // jsdom lays nothing out: the first key press starts from a zero-sized rectangle, clamped to the minimum.
    press({ key: 'ArrowLeft' }, grip);
    press({ key: 'ArrowLeft' }, grip);
    press({ key: 'ArrowUp' }, grip);
    const width = Number.parseInt(panel()!.style.width, 10);
    const height = Number.parseInt(panel()!.style.height, 10);
    expect(width).toBeGreaterThan(300);
    expect(height).toBeGreaterThan(180);
    expect(JSON.parse(localStorage.getItem('jobcast-debug-panel-size')!)).toEqual({ width, height });
    press({ key: 'Home' }, grip);
    expect(panel()!.style.width).toBe('');
    expect(localStorage.getItem('jobcast-debug-panel-size')).toBeNull();
  });

  it('ignores the key without its modifiers and honours a custom shortcut', () => {
    renderPanel({ shortcut: 'alt+d' });
    press({ key: 'J', code: 'KeyJ', ctrlKey: true, shiftKey: true });
    press({ key: 'd', code: 'KeyD' });
    expect(panel()).toBeNull();
    press({ key: '∂', code: 'KeyD', altKey: true });
    expect(panel()).not.toBeNull();
    press({ key: '∂', code: 'KeyD', altKey: true });
    expect(panel()).toBeNull();
  });

  it('opens from the toggle button and closes from its close button', () => {
    renderPanel();
    fireEvent.click(screen.getByRole('button', { name: /Open the jobcast debug panel/ }));
    expect(panel()).not.toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Close the jobcast debug panel' }));
    expect(panel()).toBeNull();
  });

  it('moves between tabs with the arrow keys, Home and End', () => {
    renderPanel({ initialOpen: true });
    const tabs = screen.getAllByRole('tab');
    expect(tabs.map((tab) => tab.textContent)).toEqual(['Connection', 'Subscriptions', 'Missed broadcasts', 'Event log', 'Jobs', 'Why no update?']);
    const selected = () => screen.getByRole('tab', { selected: true });
    expect(selected().textContent).toBe('Connection');
    press({ key: 'ArrowRight' }, selected());
    expect(selected().textContent).toBe('Subscriptions');
    expect(document.activeElement).toBe(selected());
    expect(screen.getByRole('tabpanel').textContent).toContain('No room is held');
    press({ key: 'ArrowLeft' }, selected());
    press({ key: 'ArrowLeft' }, selected());
    expect(selected().textContent).toBe('Why no update?');
    press({ key: 'Home' }, selected());
    expect(selected().textContent).toBe('Connection');
    press({ key: 'End' }, selected());
    expect(selected().textContent).toBe('Why no update?');
    expect(tabs.filter((tab) => tab.tabIndex === 0)).toHaveLength(1);
  });

  it('renders nothing when disabled, and by default in production', () => {
    const disabled = renderPanel({ enabled: false, initialOpen: true });
    expect(disabled.view.container.querySelector('[data-jobcast-debug]')).toBeNull();
    cleanup();
    vi.stubEnv('NODE_ENV', 'production');
    const production = renderPanel({ initialOpen: true });
    expect(production.view.container.querySelector('[data-jobcast-debug]')).toBeNull();
    cleanup();
    const forced = renderPanel({ initialOpen: true, enabled: true });
    expect(forced.view.container.querySelector('[data-jobcast-debug]')).not.toBeNull();
  });

  it('sits in a fixed, self-styled layer that does not move the host page', () => {
    const { view } = renderPanel({ initialOpen: true });
    const root = view.container.querySelector<HTMLElement>('[data-jobcast-debug]')!;
    expect(getComputedStyle(root).position).toBe('fixed');
    expect(root.className).toBe('jcdp-root');
    expect(root.querySelector('style')?.textContent).toContain('.jcdp-root{position:fixed');
  });

  it('copies a diagnostics bundle as JSON', async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    try {
      const { client } = renderPanel({ initialOpen: true });
      client.subscribe('document_1'); // held without a server: it shows in the bundle as it is
      fireEvent.click(screen.getByRole('button', { name: 'Copy diagnostics' }));
      await screen.findByText(/Diagnostics copied/);
      const bundle = JSON.parse(writeText.mock.calls[0]![0]);
      expect(bundle).toMatchObject({ kind: 'jobcast-diagnostics', protocol: 1, connection: { state: 'idle' } });
      expect(bundle.rooms).toEqual([expect.objectContaining({ room: 'document_1', state: expect.any(String) })]);
      expect(bundle.maxBytes).toBe(64 * 1024);
      expect(bundle.page.url).not.toContain('?');
    } finally {
      Reflect.deleteProperty(navigator, 'clipboard');
    }
  });

  it('shows the JSON to copy by hand when the clipboard is refused', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) }, configurable: true });
    try {
      renderPanel({ initialOpen: true });
      fireEvent.click(screen.getByRole('button', { name: 'Copy diagnostics' }));
      const area = await screen.findByRole('textbox', { name: 'Diagnostics JSON' });
      expect(JSON.parse((area as HTMLTextAreaElement).value).kind).toBe('jobcast-diagnostics');
    } finally {
      Reflect.deleteProperty(navigator, 'clipboard');
    }
  });
});
