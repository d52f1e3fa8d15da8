/** Every class of the panel starts with this, so its styles neither leak into nor take from the host page. */
export const PREFIX = 'jcdp';

/** `cx('row', 'bad')` → 'jcdp-row jcdp-bad'; falsy parts are skipped. */
export const cx = (...names: Array<string | false | undefined>): string =>
  names.filter(Boolean).map((name) => `${PREFIX}-${name}`).join(' ');

const P = `.${PREFIX}`;

/**
 * The panel's whole stylesheet, rendered in one <style> inside the panel (no document access,
 * so it also renders on a server). Fixed position only: the host page's layout never moves.
 *
 * Readability rules: words are never broken inside a word (no `break-all`, no
 * `overflow-wrap:anywhere`); short cells (times, kinds, rooms, ids, numbers) never wrap, and
 * only free-text cells wrap, at spaces. Wide tables scroll sideways inside their own box. In a
 * panel narrower than 640 px (the compact default, a phone) each table row becomes a wrapped line of its cells.
 */
export const PANEL_CSS = `
${P}-root{position:fixed;z-index:2147483000;bottom:12px;right:12px;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#e6edf3;text-align:left;letter-spacing:normal;word-break:normal;overflow-wrap:normal;hyphens:none}
${P}-root.${PREFIX}-left{right:auto;left:12px}
${P}-root *{box-sizing:border-box;font:inherit;color:inherit;word-break:normal;hyphens:none}
${P}-root :focus-visible{outline:2px solid #58a6ff;outline-offset:1px}
${P}-toggle{display:flex;align-items:center;gap:6px;padding:6px 10px;border:1px solid #30363d;border-radius:999px;background:#161b22;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.35)}
${P}-panel{position:relative;display:flex;flex-direction:column;width:min(540px,38vw);height:min(460px,55vh);min-width:300px;min-height:120px;max-width:calc(100vw - 24px);max-height:calc(100vh - 24px);background:#0d1117;border:1px solid #30363d;border-radius:8px;box-shadow:0 10px 30px rgba(0,0,0,.5);overflow:hidden}
${P}-panel.${PREFIX}-collapsed{height:auto !important;min-height:0;width:auto;min-width:0}
@media (max-width:820px){${P}-root{right:8px;bottom:8px}${P}-root.${PREFIX}-left{left:8px}${P}-panel{width:calc(100vw - 16px);height:min(520px,62vh);min-width:0}}
${P}-header{display:flex;align-items:center;gap:6px;padding:6px 8px;border-bottom:1px solid #30363d;background:#161b22}
${P}-collapsed ${P}-header{border-bottom:none}
${P}-title{margin:0;font-size:13px;font-weight:700;flex:1;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
${P}-grip{flex:none;width:14px;height:14px;padding:0;border:none;border-top:2px solid #6e7681;border-left:2px solid #6e7681;border-radius:2px 0 0 0;background:none;cursor:nwse-resize}
${P}-left ${P}-grip{order:99;border-left:none;border-right:2px solid #6e7681;border-radius:0 2px 0 0;cursor:nesw-resize}
${P}-button{padding:3px 8px;border:1px solid #30363d;border-radius:6px;background:#21262d;cursor:pointer;white-space:nowrap}
${P}-button:hover{background:#30363d}
${P}-button[disabled]{opacity:.5;cursor:default}
${P}-tabs{display:flex;flex-wrap:wrap;gap:2px;padding:4px 6px 0;border-bottom:1px solid #30363d;background:#161b22}
${P}-tab{flex:none;padding:4px 8px;border:1px solid transparent;border-bottom:none;border-radius:6px 6px 0 0;background:none;cursor:pointer;color:#8b949e;white-space:nowrap}
${P}-tab[aria-selected="true"]{background:#0d1117;border-color:#30363d;color:#e6edf3}
${P}-badge{display:inline-block;margin-left:4px;padding:0 5px;border-radius:999px;background:#5a1e1b;color:#ffb3ad;font-size:11px}
${P}-body{flex:1;overflow:auto;padding:8px;container-type:inline-size}
${P}-body h3{margin:0 0 6px;font-size:12px;font-weight:700;text-transform:uppercase;color:#8b949e}
${P}-body h4{margin:10px 0 4px;font-size:12px;font-weight:700}
${P}-dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:0 0 8px}
${P}-dl dt{color:#8b949e;white-space:nowrap}
${P}-dl dd{margin:0;overflow-wrap:break-word;min-width:0}
${P}-scroll{overflow-x:auto;margin:0 0 8px;scrollbar-width:thin}
${P}-table{width:100%;border-collapse:collapse}
${P}-table th,${P}-table td{padding:2px 6px;border-bottom:1px solid #21262d;vertical-align:top;text-align:left;white-space:nowrap}
${P}-table ${P}-wrap{white-space:normal;min-width:18ch;width:100%}
${P}-table th{color:#8b949e;font-weight:400;position:sticky;top:-8px;background:#0d1117}
${P}-id{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:0;max-width:100%}
${P}-num{text-align:right !important;font-variant-numeric:tabular-nums}
${P}-count{color:#d2a8ff;font-weight:700}
${P}-progress-text{color:#79c0ff}
@container (max-width:640px){
${P}-table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
${P}-table,${P}-table tbody{display:block}
${P}-table tr{display:flex;flex-wrap:wrap;gap:0 10px;padding:3px 0;border-bottom:1px solid #21262d}
${P}-table th,${P}-table td{display:block;padding:0;border:none}
${P}-table ${P}-wrap{flex-basis:100%;min-width:0}
${P}-table [data-label]::before{content:attr(data-label) " ";color:#8b949e}
${P}-table [data-label]:empty{display:none}
${P}-num{text-align:left !important}
}
${P}-ok{color:#7ee787}
${P}-bad{color:#ff7b72}
${P}-warn{color:#e3b341}
${P}-muted{color:#8b949e}
${P}-dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:currentColor}
${P}-filters{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 6px}
${P}-filters label,${P}-form label{display:flex;flex-direction:column;gap:2px;color:#8b949e;flex:1 1 120px;min-width:0}
${P}-input{width:100%;min-width:0;padding:3px 6px;border:1px solid #30363d;border-radius:6px;background:#010409}
${P}-form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:6px;margin:0 0 8px}
${P}-hops{list-style:none;margin:0;padding:0}
${P}-failure-detail{margin:4px 0 8px;padding:4px 6px;border:1px solid #30363d;border-radius:4px}
${P}-failure-detail code{white-space:pre-wrap}
${P}-stack{max-height:12em;overflow:auto;white-space:pre;font-size:11px;margin:4px 0 0}
${P}-hops li{display:grid;grid-template-columns:1.5em minmax(0,1fr);gap:2px 6px;padding:4px 0;border-bottom:1px solid #21262d}
${P}-hops li[data-first="true"]{background:rgba(255,123,114,.1)}
${P}-overview{list-style:none;margin:0 0 8px;padding:0;display:flex;flex-wrap:wrap;gap:4px}
${P}-chip{display:inline-block;padding:1px 7px;border:1px solid #30363d;border-radius:999px;text-decoration:none;white-space:nowrap}
${P}-chip-bad{border-color:#8e3a35}
${P}-chip-codes{color:#ffb3ad;font-size:11px}
${P}-job{margin:0 0 10px;scroll-margin-top:8px;padding:6px;border:1px solid #21262d;border-radius:6px}
${P}-job-title{display:flex;align-items:baseline;gap:4px 10px;min-width:0}
${P}-job-title ${P}-id{flex:0 1 auto}
${P}-job-state{flex:none;margin-right:auto}
${P}-job-state::before{content:'· ';color:#8b949e}
${P}-link{color:#58a6ff;font-weight:400;white-space:nowrap}
${P}-problems{list-style:none;margin:4px 0 8px;padding:0;display:flex;flex-direction:column;gap:4px}
${P}-problem{padding:4px 6px;border-left:3px solid currentColor;border-radius:4px;background:rgba(227,179,65,.08)}
${P}-problem.${PREFIX}-bad{background:rgba(255,123,114,.1)}
${P}-problem code{padding:0 3px;border-radius:3px;background:#21262d}
${P}-problem-detail{color:#c9d1d9}
${P}-chart{margin:6px 0 8px}
${P}-axis{display:flex;justify-content:space-between;color:#8b949e;font-size:11px}
${P}-attempt{margin:2px 0 6px}
${P}-attempt-label{white-space:nowrap}
${P}-track{position:relative;height:12px;margin:2px 0;border-radius:3px;background:#161b22}
${P}-seg{position:absolute;top:1px;bottom:1px;min-width:3px;border-radius:2px;background:#30363d}
${P}-seg-queued{background:#30363d}
${P}-seg-completed{background:#2ea043}
${P}-seg-started{background:#1f6feb}
${P}-seg-failed{background:#da3633}
${P}-seg-skipped{background:#484f58}
${P}-seg-backoff{background:repeating-linear-gradient(135deg,#9e6a03 0 4px,#3d2e00 4px 8px)}
${P}-seg-words{display:flex;flex-wrap:wrap;gap:0 12px;margin:0}
${P}-seg-word{white-space:nowrap}
${P}-error{color:#ff7b72}
${P}-hint{color:#e3b341}
${P}-textarea{width:100%;height:120px;background:#010409;border:1px solid #30363d}
${P}-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
