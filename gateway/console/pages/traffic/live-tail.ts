// The traffic page's live view: new calls that match the page's filter, pushed as server-sent events
// (the rows' cells as JSON), and later their outcome. The browser side is one small script that
// builds rows with textContent only (progressive enhancement: without it the page is complete, just
// not live). Only records of this peer's own log, only to a logged-in operator.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { CompletionEntryBody, RecordEntryBody, StoredEntry, TxLog, TxLogFilter } from '../../../txlog/index.ts';
import { matchesFilter, partiesOf } from '../../../txlog/index.ts';
import { durationCell, recordCells, statusCell, type RowContext } from './rows.ts';

/** Transactions per stream whose completion we still pass on (older ones are forgotten). */
const MAX_TRACKED = 500;

export interface LiveTailOptions {
  txlog: Pick<TxLog, 'tail'>;
  filter: TxLogFilter;
  row: Omit<RowContext, 'nameOf'>;
  /** Display names of peer ids (async: looked up in the store). */
  nameOf(id: string): Promise<string>;
  keepAliveMs: number;
  /** Registers a function that ends the stream (console close); returns its unregistration. */
  onClose(end: () => void): () => void;
}

function key(id: string, direction: string): string {
  return `${id} ${direction}`;
}

export function liveTailResponse(c: Context, options: LiveTailOptions): Response {
  return streamSSE(c, async (stream) => {
    const tracked = new Set<string>();
    const names = new Map<string, string>();
    // Entries are sent one after another in commit order, even though name lookups are async.
    let queue: Promise<void> = Promise.resolve();
    let ended = false;
    let end: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      end = () => {
        ended = true;
        resolve();
      };
    });

    async function sendRecord(entry: RecordEntryBody): Promise<void> {
      for (const id of partiesOf(entry)) if (!names.has(id)) names.set(id, await options.nameOf(id));
      const ctx: RowContext = { ...options.row, nameOf: (id) => names.get(id) ?? '' };
      tracked.add(key(entry.transaction_id, entry.direction));
      if (tracked.size > MAX_TRACKED) tracked.delete(tracked.values().next().value as string);
      await stream.writeSSE({
        event: 'record',
        data: JSON.stringify({ id: entry.transaction_id, direction: entry.direction, cells: recordCells(entry, undefined, ctx) }),
      });
    }

    async function sendCompletion(entry: CompletionEntryBody): Promise<void> {
      if (!tracked.delete(key(entry.transaction_id, entry.direction))) return;
      const outcome = { status: entry.status, duration_ms: entry.duration_ms, ...(entry.error_code === undefined ? {} : { error_code: entry.error_code }) };
      await stream.writeSSE({
        event: 'completion',
        data: JSON.stringify({ id: entry.transaction_id, direction: entry.direction, cells: [statusCell(outcome, options.row.t), durationCell(outcome)] }),
      });
    }

    const unsubscribe = await options.txlog.tail(function consoleLiveTail(entry: StoredEntry) {
      if (ended) return;
      if (entry.kind === 'record' && !matchesFilter(entry, options.filter)) return;
      queue = queue
        .then(() => (entry.kind === 'record' ? sendRecord(entry) : sendCompletion(entry)))
        .catch(() => end()); // the client went away mid-write
    });
    const unregister = options.onClose(() => end());
    stream.onAbort(() => end());
    const keepAlive = setInterval(() => {
      queue = queue.then(() => stream.write(': keep-alive\n\n').then(() => undefined)).catch(() => end());
    }, options.keepAliveMs);
    try {
      await stream.writeSSE({ event: 'ready', data: '{}' });
      await finished;
    } finally {
      clearInterval(keepAlive);
      unsubscribe();
      unregister();
      await queue.catch(() => undefined);
    }
  });
}

/**
 * The browser side, sent inline with the page's CSP nonce. Reads its settings from the data
 * attributes of `#live`, puts new rows on top of `#log-rows`, and fills in the outcome of a row
 * when it arrives. Text only: never innerHTML.
 */
export const LIVE_TAIL_SCRIPT = `(function () {
  var live = document.getElementById('live');
  var rows = document.getElementById('log-rows');
  if (!live || !rows || !window.EventSource) return;
  var d = live.dataset, status = document.getElementById('live-status'), seen = 0;
  live.hidden = false;
  function fill(td, cell) {
    td.textContent = '';
    td.className = cell.cls || '';
    td.setAttribute('data-col', cell.col);
    if (cell.href) { var a = document.createElement('a'); a.href = cell.href; a.textContent = cell.text; if (cell.label) a.setAttribute('aria-label', cell.label); if (cell.title) a.title = cell.title; td.appendChild(a); }
    else td.appendChild(document.createTextNode(cell.text));
    if (cell.sub) { td.appendChild(document.createElement('br')); var s = document.createElement('span'); s.className = 'muted'; s.textContent = cell.sub; td.appendChild(s); }
  }
  function say(text) { status.textContent = text; }
  var es = new EventSource(d.stream);
  say(d.connecting);
  es.addEventListener('ready', function () { say(d.on); });
  es.addEventListener('error', function () { say(d.off); });
  es.addEventListener('record', function (ev) {
    var r = JSON.parse(ev.data), tr = document.createElement('tr');
    tr.className = 'fresh'; tr.setAttribute('data-tx', r.id); tr.setAttribute('data-dir', r.direction);
    r.cells.forEach(function (cell) { var td = document.createElement('td'); fill(td, cell); tr.appendChild(td); });
    var empty = document.getElementById('log-empty'); if (empty) empty.remove();
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > 500) rows.removeChild(rows.lastChild);
    setTimeout(function () { tr.className = ''; }, 4000);
    seen++; say(d.on + ' (' + seen + ' ' + d.newLabel + ')');
  });
  es.addEventListener('completion', function (ev) {
    var c = JSON.parse(ev.data);
    Array.prototype.forEach.call(rows.querySelectorAll('tr[data-dir="' + c.direction + '"]'), function (tr) {
      if (tr.getAttribute('data-tx') !== c.id) return;
      c.cells.forEach(function (cell) { var td = tr.querySelector('[data-col="' + cell.col + '"]'); if (td) fill(td, cell); });
    });
  });
})();`;
