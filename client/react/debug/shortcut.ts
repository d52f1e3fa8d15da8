/**
 * The panel's default shortcut: Alt+Shift+J (Option+Shift+J on a Mac). Chosen because no
 * browser binds it. Ctrl+Shift+J, the panel's first choice, opens the console in Chrome and
 * Edge and the browser console in Firefox; Ctrl+Shift+ with most other letters is taken by
 * one browser or another (bookmarks, private windows, reopening tabs, devtools panels), and
 * Ctrl+Alt is AltGr on many European keyboards. Alt+Shift+J is ignored while the focus is in a
 * text field, where on a Mac it types a character.
 */
export const DEFAULT_SHORTCUT = 'alt+shift+j';

/** How the shortcut reads for people: 'Alt+Shift+J'. */
export const describeShortcut = (text: string): string =>
  text
    .split('+')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (part.length === 1 ? part.toUpperCase() : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join('+');

/** True when a key event comes from somewhere the person types text. */
export function isTypingTarget(target: EventTarget | null): boolean {
  const element = target as { tagName?: string; isContentEditable?: boolean; type?: string } | null;
  if (!element?.tagName) return false;
  if (element.isContentEditable) return true;
  const tag = element.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  return tag === 'input' && !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(element.type ?? 'text');
}

/** A parsed keyboard shortcut such as 'alt+shift+j'. */
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
