/** A small padlock (an SVG: emoji fonts are not everywhere, headless browsers included). */
export function LockIcon({ size = 12, label }: { size?: number; label?: string }) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" role={label ? 'img' : undefined} aria-label={label} aria-hidden={label ? undefined : true} className="lock">
      <path d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="2.5" y="7" width="11" height="8" rx="1.8" fill="currentColor" />
    </svg>
  );
}
