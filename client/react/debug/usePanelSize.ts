import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyboardEvent as ReactKeyboardEvent, PointerEvent as ReactPointerEvent } from 'react';

/** A size the person chose by dragging the panel's corner, in CSS pixels. */
export interface PanelSize {
  readonly width: number;
  readonly height: number;
}

/** Where the chosen size is kept between page loads. */
export const PANEL_SIZE_KEY = 'jobcast-debug-panel-size';
/** The panel never gets smaller than this. */
export const MIN_PANEL_SIZE: PanelSize = { width: 300, height: 180 };
const KEY_STEP_PX = 24;

function readStored(): PanelSize | undefined {
  try {
    const parsed = JSON.parse(globalThis.localStorage?.getItem(PANEL_SIZE_KEY) ?? 'null') as Partial<PanelSize> | null;
    return typeof parsed?.width === 'number' && typeof parsed.height === 'number' ? { width: parsed.width, height: parsed.height } : undefined;
  } catch {
    return undefined;
  }
}

function store(size: PanelSize | undefined): void {
  try {
    if (size) globalThis.localStorage?.setItem(PANEL_SIZE_KEY, JSON.stringify(size));
    else globalThis.localStorage?.removeItem(PANEL_SIZE_KEY);
  } catch {
    // Storage refused (private mode, sandboxed frame): the size lasts for this page only.
  }
}

const clamp = (size: PanelSize): PanelSize => {
  const maxWidth = typeof window === 'undefined' ? Infinity : window.innerWidth - 16;
  const maxHeight = typeof window === 'undefined' ? Infinity : window.innerHeight - 16;
  return {
    width: Math.round(Math.max(MIN_PANEL_SIZE.width, Math.min(maxWidth, size.width))),
    height: Math.round(Math.max(MIN_PANEL_SIZE.height, Math.min(maxHeight, size.height))),
  };
};

/**
 * The panel's size: undefined until the person resizes it (the stylesheet's compact default
 * applies), then what they chose, kept in localStorage. The grip sits on the corner away
 * from the screen edge the panel is docked to, so dragging it outwards makes the panel larger;
 * the arrow keys resize it too.
 */
export function usePanelSize(side: 'left' | 'right') {
  const [size, setSize] = useState<PanelSize | undefined>(undefined);
  const drag = useRef<{ x: number; y: number; start: PanelSize } | undefined>(undefined);
  useEffect(() => setSize(readStored()), []);
  const commit = useCallback((next: PanelSize | undefined) => {
    const value = next && clamp(next);
    setSize(value);
    store(value);
  }, []);
  const direction = side === 'right' ? -1 : 1;

  const onPointerDown = (event: ReactPointerEvent<HTMLElement>, panel: HTMLElement | null) => {
    if (!panel) return;
    event.preventDefault();
    const rect = panel.getBoundingClientRect();
    drag.current = { x: event.clientX, y: event.clientY, start: { width: rect.width, height: rect.height } };
    event.currentTarget.setPointerCapture?.(event.pointerId);
  };
  const onPointerMove = (event: ReactPointerEvent<HTMLElement>) => {
    const from = drag.current;
    if (!from) return;
    setSize(clamp({ width: from.start.width + direction * (event.clientX - from.x), height: from.start.height - (event.clientY - from.y) }));
  };
  const onPointerUp = () => {
    if (!drag.current) return;
    drag.current = undefined;
    setSize((current) => {
      store(current);
      return current;
    });
  };
  const onKeyDown = (event: ReactKeyboardEvent<HTMLElement>, panel: HTMLElement | null) => {
    const rect = panel?.getBoundingClientRect();
    const current = size ?? (rect ? { width: rect.width, height: rect.height } : undefined);
    if (!current) return;
    const moves: Record<string, PanelSize> = {
      ArrowLeft: { width: current.width - direction * KEY_STEP_PX, height: current.height },
      ArrowRight: { width: current.width + direction * KEY_STEP_PX, height: current.height },
      ArrowUp: { width: current.width, height: current.height + KEY_STEP_PX },
      ArrowDown: { width: current.width, height: current.height - KEY_STEP_PX },
    };
    if (event.key === 'Home') commit(undefined);
    else if (moves[event.key]) commit(moves[event.key]);
    else return;
    event.preventDefault();
    event.stopPropagation();
  };
  return { size, reset: () => commit(undefined), grip: { onPointerDown, onPointerMove, onPointerUp, onKeyDown } };
}
