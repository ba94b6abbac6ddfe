// The traffic log: one page of calls (newest first) with the filter, the per-minute chart and the
// names of the parties; the live tail of new calls as server-sent events; and the export of every
// call that matches the filter, streamed as JSON Lines or CSV.
import { isFscError } from '../../../protocol/index.ts';
import { exportContentType, exportLines, isExportFormat, type StoredRecord, type TxLogQueryResult } from '../../../txlog/index.ts';
import { definePage } from '../../shell/console-page.ts';
import { errorInfo } from '../../shell/error-info.ts';
import { BASE } from '../../shell/layout.tsx';
import { parseTrafficFilter } from './filter.ts';
import { liveTailResponse } from './live-tail.ts';
import { TRAFFIC_MESSAGES } from './messages.ts';
import { peerNames } from './peer-names.ts';
import { peerIdsOf, recordCells, type RowContext } from './rows.ts';
import { trafficStats } from './stats.ts';
import { TrafficPage } from './view.tsx';

/** Rows per page of the traffic table. */
export const TRAFFIC_PAGE_SIZE = 50;

export const trafficPage = definePage({
  id: 'traffic',
  nav: { path: `${BASE}/traffic`, label: 'nav.traffic', order: 30 },
  messages: TRAFFIC_MESSAGES,
  routes(app, ctx) {
    const { store, txlog, logger, clock, peerId } = ctx;
    const names = (): ((id: string) => Promise<string>) => peerNames(store, { id: peerId, name: ctx.peerName });

    app.get(`${BASE}/traffic`, async (c) => {
      const page = ctx.page(c);
      const parsed = parseTrafficFilter((name) => c.req.query(name));
      const cursorText = c.req.query('cursor');
      const cursor = cursorText === undefined || cursorText === '' ? undefined : cursorText;
      let result: TxLogQueryResult;
      try {
        result = await txlog.query(parsed.filter, { limit: TRAFFIC_PAGE_SIZE, order: 'SORT_ORDER_DESCENDING', ...(cursor === undefined ? {} : { cursor }) });
      } catch (err) {
        if (!isFscError(err) || err.status !== 400) throw err;
        parsed.errors.push({ field: 'transaction', message: err.message });
        result = { records: [], nextCursor: '' };
      }
      const end = parsed.toSeconds ?? Math.floor(clock() / 1000);
      const stats = await trafficStats(txlog, parsed.filter, end);
      const lookup = names();
      const known = new Map<string, string>();
      for (const id of peerIdsOf(result.records.map((r) => r.record))) known.set(id, await lookup(id));
      const row: RowContext = { t: page.t, lang: page.lang, nameOf: (id) => known.get(id) ?? '' };
      const rows = result.records.map((s: StoredRecord) => ({
        id: s.record.transaction_id,
        direction: s.record.direction,
        cells: recordCells(s.record, s.completion, row),
      }));
      const services = new Set<string>((await store.listServices()).map((s) => s.name));
      for (const s of stats.series) if (s.service !== '…') services.add(s.service);
      for (const s of result.records) services.add(s.record.service_name);
      return ctx.html(
        c,
        <TrafficPage
          page={page}
          data={{ parsed, rows, nextCursor: result.nextCursor, cursor, stats, services: [...services].sort() }}
        />,
      );
    });

    app.get(`${BASE}/traffic/stream`, (c) => {
      const page = ctx.page(c);
      if (ctx.closed) return c.text('closing', 503);
      const parsed = parseTrafficFilter((name) => c.req.query(name));
      c.header('cache-control', 'no-store');
      return liveTailResponse(c, {
        txlog,
        filter: parsed.filter,
        row: { t: page.t, lang: page.lang },
        nameOf: names(),
        keepAliveMs: ctx.options.liveKeepAliveMs ?? 15_000,
        onClose: ctx.onClose,
      });
    });

    app.get(`${BASE}/traffic/export`, (c) => {
      const format = c.req.query('format');
      if (!isExportFormat(format)) return c.text('format must be jsonl or csv', 400);
      const parsed = parseTrafficFilter((name) => c.req.query(name));
      // An export of personal data is worth an audit line; the filter values themselves may be personal data.
      logger.info({ format, filters: Object.keys(parsed.form) }, 'console export');
      const lines = exportLines(txlog.stream(parsed.filter, { order: 'SORT_ORDER_ASCENDING' }), format)[Symbol.asyncIterator]();
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { done, value } = await lines.next();
            if (done) controller.close();
            else controller.enqueue(encoder.encode(value));
          } catch (err) {
            logger.error({ err: errorInfo(err) }, 'console export failed');
            controller.error(err);
          }
        },
        async cancel() {
          await lines.return?.(undefined);
        },
      });
      const stamp = new Date(clock()).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
      return c.body(body, 200, {
        'content-type': exportContentType(format),
        'content-disposition': `attachment; filename="koppel-log-${peerId.replace(/[^A-Za-z0-9]/g, '')}-${stamp}.${format}"`,
        'cache-control': 'no-store',
      });
    });
  },
});
