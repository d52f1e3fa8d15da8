/** Every class of the panel starts with this, so its styles neither leak into nor take from the host page. */
export const PREFIX = 'jcdp';

/** `cx('row', 'bad')` → 'jcdp-row jcdp-bad'; falsy parts are skipped. */
export const cx = (...names: Array<string | false | undefined>): string =>
  names.filter(Boolean).map((name) => `${PREFIX}-${name}`).join(' ');

const P = `.${PREFIX}`;

/**
 * The panel's whole stylesheet, rendered in one <style> inside the panel (no document access,
 * so it also renders on a server). Fixed position only: the host page's layout never moves.
 */
export const PANEL_CSS = `
${P}-root{position:fixed;z-index:2147483000;bottom:12px;right:12px;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#e6edf3;text-align:left;letter-spacing:normal}
${P}-root.${PREFIX}-left{right:auto;left:12px}
${P}-root *{box-sizing:border-box;font:inherit;color:inherit}
${P}-root :focus-visible{outline:2px solid #58a6ff;outline-offset:1px}
${P}-toggle{display:flex;align-items:center;gap:6px;padding:6px 10px;border:1px solid #30363d;border-radius:999px;background:#161b22;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.35)}
${P}-panel{display:flex;flex-direction:column;width:min(680px,calc(100vw - 24px));height:min(72vh,600px);background:#0d1117;border:1px solid #30363d;border-radius:8px;box-shadow:0 10px 30px rgba(0,0,0,.5);overflow:hidden;resize:both}
${P}-header{display:flex;align-items:center;gap:8px;padding:6px 8px;border-bottom:1px solid #30363d;background:#161b22}
${P}-title{margin:0;font-size:13px;font-weight:700;flex:1}
${P}-button{padding:3px 8px;border:1px solid #30363d;border-radius:6px;background:#21262d;cursor:pointer}
${P}-button:hover{background:#30363d}
${P}-button[disabled]{opacity:.5;cursor:default}
${P}-tabs{display:flex;flex-wrap:wrap;gap:2px;padding:4px 6px 0;border-bottom:1px solid #30363d;background:#161b22}
${P}-tab{padding:4px 8px;border:1px solid transparent;border-bottom:none;border-radius:6px 6px 0 0;background:none;cursor:pointer;color:#8b949e}
${P}-tab[aria-selected="true"]{background:#0d1117;border-color:#30363d;color:#e6edf3}
${P}-body{flex:1;overflow:auto;padding:8px}
${P}-body h3{margin:0 0 6px;font-size:12px;font-weight:700;text-transform:uppercase;color:#8b949e}
${P}-body h4{margin:10px 0 4px;font-size:12px;font-weight:700}
${P}-dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}
${P}-dl dt{color:#8b949e}
${P}-dl dd{margin:0;word-break:break-word}
${P}-table{width:100%;border-collapse:collapse;margin:0 0 8px}
${P}-table th,${P}-table td{padding:2px 6px;border-bottom:1px solid #21262d;vertical-align:top;text-align:left;word-break:break-word}
${P}-table th{color:#8b949e;font-weight:400;position:sticky;top:-8px;background:#0d1117}
${P}-num{text-align:right !important;font-variant-numeric:tabular-nums}
${P}-ok{color:#7ee787}
${P}-bad{color:#ff7b72}
${P}-warn{color:#e3b341}
${P}-muted{color:#8b949e}
${P}-dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:currentColor}
${P}-filters{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 6px}
${P}-filters label,${P}-form label{display:flex;flex-direction:column;gap:2px;color:#8b949e}
${P}-input{min-width:120px;padding:3px 6px;border:1px solid #30363d;border-radius:6px;background:#010409}
${P}-form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:6px;margin:0 0 8px}
${P}-hops{list-style:none;margin:0;padding:0}
${P}-hops li{display:grid;grid-template-columns:1.5em 1fr;gap:2px 6px;padding:4px 0;border-bottom:1px solid #21262d}
${P}-hops li[data-first="true"]{background:rgba(255,123,114,.1)}
${P}-job{margin:0 0 10px;padding:6px;border:1px solid #21262d;border-radius:6px}
${P}-error{color:#ff7b72}
${P}-hint{color:#e3b341}
${P}-textarea{width:100%;height:120px;background:#010409;border:1px solid #30363d}
${P}-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
