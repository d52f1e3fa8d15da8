/** A parsed keyboard shortcut such as 'ctrl+shift+j'. */
export interface Shortcut {
  readonly key: string;
  readonly ctrl: boolean;
  readonly shift: boolean;
  readonly alt: boolean;
  readonly meta: boolean;
  /** 'mod': Ctrl or Cmd, whichever the platform uses. */
  readonly mod: boolean;
}

/** Parses 'ctrl+shift+j', 'alt+d', 'mod+shift+k' (case-insensitive, '+' between parts). */
export function parseShortcut(text: string): Shortcut {
  const parts = text.toLowerCase().split('+').map((part) => part.trim()).filter(Boolean);
  const key = parts.pop() ?? '';
  const has = (name: string) => parts.includes(name);
  return { key, ctrl: has('ctrl') || has('control'), shift: has('shift'), alt: has('alt') || has('option'), meta: has('meta') || has('cmd'), mod: has('mod') };
}

/** True when the key event is exactly the shortcut (no extra modifier). */
export function matchesShortcut(event: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey'>, shortcut: Shortcut): boolean {
  // `code` as well as `key`: with Alt or Shift held, some layouts change `key` (Alt+J is '∆' on a Mac).
  const key = event.key.toLowerCase();
  const code = event.code.toLowerCase();
  const keyMatches = key === shortcut.key || code === `key${shortcut.key}` || code === `digit${shortcut.key}`;
  const ctrl = shortcut.ctrl || (shortcut.mod && event.ctrlKey && !event.metaKey);
  const meta = shortcut.meta || (shortcut.mod && event.metaKey && !event.ctrlKey);
  return keyMatches && event.ctrlKey === ctrl && event.metaKey === meta && event.shiftKey === shortcut.shift && event.altKey === shortcut.alt;
}
