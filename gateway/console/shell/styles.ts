// The console's one stylesheet, sent inline with a CSP nonce (no build step, no asset pipeline).
// Visible focus on everything (WCAG 2.4.7), text contrast ≥ 4.5:1, states never shown by colour alone.
export const CONSOLE_CSS = `
:root { --ink: #1b1b1b; --muted: #555; --line: #d5d9de; --brand: #154273; --brand-ink: #fff; --bg: #fff;
  --soft: #f3f5f8; --ok: #1a6b34; --bad: #a3261b; --warn: #7a4b00; --focus: #ffbf47; --link: #0b4f9c; }
* { box-sizing: border-box; }
html { font-size: 100%; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--ink); }
.skip-link { position: absolute; left: .5rem; top: -4rem; background: var(--focus); color: var(--ink); padding: .5rem 1rem; z-index: 10; font-weight: 600; }
.skip-link:focus { top: .5rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
header.site { background: var(--brand); color: var(--brand-ink); }
header.site .bar { max-width: 80rem; margin: 0 auto; padding: .75rem 1.25rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header.site .brand { font-weight: 700; font-size: 1.15rem; color: var(--brand-ink); text-decoration: none; margin-right: auto; }
header.site .peer { font-size: .9rem; opacity: .95; }
header.site a, header.site button.linklike { color: var(--brand-ink); }
header.site form { margin: 0; }
nav.main { background: #0f3358; }
nav.main ul { max-width: 80rem; margin: 0 auto; padding: 0 1.25rem; list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; }
nav.main a { display: inline-block; padding: .6rem .9rem; color: #fff; text-decoration: none; border-bottom: 4px solid transparent; }
nav.main a:hover { border-bottom-color: #8fb3dd; }
nav.main a[aria-current="page"] { border-bottom-color: var(--focus); font-weight: 600; }
.lang { display: flex; gap: .5rem; font-size: .9rem; }
.lang a[aria-current="true"] { font-weight: 700; text-decoration: none; }
main { max-width: 80rem; margin: 0 auto; padding: 1.25rem 1.25rem 3rem; }
h1 { font-size: 1.75rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 .5rem; }
p.lead { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0 .5rem; color: var(--muted); }
th, td { text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--soft); border-bottom: 2px solid #9aa4af; white-space: nowrap; }
tbody tr:hover { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
td.contract-id { min-width: 15rem; }
.table-scroll { overflow-x: auto; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
.hash { word-break: break-all; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .82rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge::before { content: ""; display: inline-block; width: .55rem; height: .55rem; border-radius: 50%; background: currentColor; margin-right: .35rem; vertical-align: .05rem; }
.health-up, .state-valid, .status-ok { color: var(--ok); }
.health-down, .state-rejected, .state-revoked, .status-error { color: var(--bad); }
.health-unknown, .state-expired, .status-pending { color: var(--muted); }
.state-proposed { color: var(--warn); }
.notice { border-left: 5px solid var(--brand); background: var(--soft); padding: .75rem 1rem; margin: 1rem 0; }
.notice.error { border-left-color: var(--bad); background: #fbeeed; }
.notice.success { border-left-color: var(--ok); background: #edf6ef; }
form.inline { display: inline; margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .4rem; }
button, .button { font: inherit; font-size: .92rem; padding: .4rem .9rem; border-radius: .25rem; border: 2px solid var(--brand); background: var(--brand); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; line-height: 1.3; }
button.secondary, .button.secondary { background: #fff; color: var(--brand); }
button.danger, .button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
button.danger.secondary, .button.danger.secondary { background: #fff; color: var(--bad); }
button.linklike { background: none; border: none; padding: 0; text-decoration: underline; color: inherit; }
fieldset { border: 1px solid var(--line); border-radius: .35rem; padding: .75rem 1rem 1rem; margin: 0 0 1rem; }
legend { font-weight: 600; padding: 0 .35rem; }
.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .75rem 1rem; align-items: start; }
.field label { display: block; font-weight: 600; font-size: .9rem; margin-bottom: .2rem; }
.field .hint { display: block; color: var(--muted); font-size: .8rem; }
input[type="text"], input[type="password"], input[type="datetime-local"], select { font: inherit; font-size: .95rem; width: 100%; padding: .35rem .5rem; border: 2px solid #6b7480; border-radius: .2rem; background: #fff; color: var(--ink); }
.form-buttons { display: flex; gap: .75rem; align-items: center; margin-top: .75rem; }
.login { max-width: 28rem; }
.login input { margin-bottom: 1rem; }
.tabs { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.tabs a { display: inline-block; padding: .3rem .8rem; border: 2px solid var(--brand); border-radius: 1.2rem; text-decoration: none; }
.tabs a[aria-current="page"] { background: var(--brand); color: #fff; }
ul.plain { list-style: none; margin: 0; padding: 0; }
ul.plain li + li { margin-top: .3rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 32rem), 1fr)); gap: 1rem; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: .35rem; padding: .5rem .75rem; }
.chart h3 { margin: 0 0 .25rem; font-size: .95rem; }
.chart svg { display: block; width: 100%; max-width: 480px; height: auto; }
.legend { display: flex; gap: 1rem; font-size: .82rem; color: var(--muted); margin: .25rem 0 0; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -.1rem; }
.swatch-calls { background: #2f6db5; }
.swatch-errors { background: #c0392b; }
.live { border: 2px dashed #9aa4af; border-radius: .35rem; padding: .5rem 1rem; margin: 1rem 0; }
.live h2 { margin: .25rem 0; font-size: 1.1rem; }
.live-status { font-size: .85rem; color: var(--muted); }
tr.fresh { background: #fff8e0; }
table.log { font-size: .85rem; }
table.log th, table.log td { padding: .4rem .45rem; }
table.log .muted { font-size: .78rem; }
.pager { display: flex; gap: 1rem; margin: .5rem 0 1rem; }
.export { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
@media (prefers-reduced-motion: no-preference) { tr.fresh { transition: background 2s; } }
@media (max-width: 40rem) { header.site .bar { padding: .5rem .75rem; } main { padding: 1rem .75rem 2rem; } }
`;
