// @ts-check
// The SQLite transaction log's writer thread (docs/transaction-log.md "Writing: the writer thread").
// It owns the one connection that appends, so neither the fsync of a group commit (synchronous=FULL)
// nor the chain's work blocks the event loop that serves requests: the main thread hands over a batch
// as one JSON string, and this thread, inside the IMMEDIATE write transaction, reads the head, links
// and hashes the entries (gateway/txlog/chain-core.js, the chain's one implementation), inserts them
// with their index rows and moves the head. The head is read under the write lock, so several
// connections on the same file (several gateway processes) keep one chain. Plain JavaScript on
// purpose: a worker cannot use the TypeScript loader of its parent.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { canonicalJson, linkEntries } from '../../chain-core.js';

const GENESIS_HASH = '0'.repeat(64);

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the shape sqlite-writer.ts sends
const config = /** @type {{ path: string, busyTimeoutMs: number, peerId: string, columns: string[] }} */ (
  workerData
);
const port = parentPort;
if (port === null) throw new Error('the txlog writer runs in a worker thread');

/** @type {import('better-sqlite3').Database | undefined} */
let db;
/** @type {{ dev: number, ino: number } | undefined} */
let identity;
/** @type {Record<string, import('better-sqlite3').Statement> | undefined} */
let stmts;

// Never creates the file's directory or schema: the main thread opened the file (applying the schema)
// just before it sent the commit, and a vanished volume must fail the write.
function open() {
  const d = new Database(config.path, { timeout: config.busyTimeoutMs, fileMustExist: true });
  try {
    d.pragma('journal_mode = WAL');
    // DESIGN.md "Durability": a record is on durable storage before the call is forwarded.
    d.pragma('synchronous = FULL');
    const st = statSync(config.path);
    identity = { dev: st.dev, ino: st.ino };
    const cols = config.columns;
    stmts = {
      head: d.prepare('SELECT seq, hash FROM txlog_head WHERE peer_id = ?'),
      last: d.prepare('SELECT seq, hash FROM txlog_entries WHERE peer_id = ? ORDER BY seq DESC LIMIT 1'),
      anchor: d.prepare('SELECT seq, hash FROM txlog_anchors WHERE peer_id = ? ORDER BY seq DESC LIMIT 1'),
      insert: d.prepare(
        `INSERT INTO txlog_entries (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
      ),
      subject: d.prepare('INSERT OR IGNORE INTO txlog_subjects (peer_id, subject, seq) VALUES (?, ?, ?)'),
      party: d.prepare('INSERT OR IGNORE INTO txlog_parties (peer_id, party, seq) VALUES (?, ?, ?)'),
      setHead: d.prepare(
        'INSERT INTO txlog_head (peer_id, seq, hash) VALUES (?, ?, ?) ON CONFLICT (peer_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      ),
    };
  } catch (err) {
    d.close();
    throw err;
  }
  db = d;
  return d;
}

function discard() {
  try {
    db?.close();
  } catch {
    // the handle is dropped because it is unusable; closing it may fail the same way
  }
  db = undefined;
  stmts = undefined;
}

/** The head inside the write transaction: the head row, else the last entry, else the anchor, else genesis. */
function headNow() {
  const s = /** @type {NonNullable<typeof stmts>} */ (stmts);
  const peer = config.peerId;
  return /** @type {{ seq: number, hash: string } | undefined} */ (
    s.head.get(peer) ?? s.last.get(peer) ?? s.anchor.get(peer)
  ) ?? { seq: 0, hash: GENESIS_HASH };
}

/** @typedef {{ type?: string, outway_peer_id?: string, delegator_peer_id?: string, service_peer_id?: string }} Party */
/**
 * @typedef {{ peer_id: string, seq: number, v: number, kind: string, prev_hash: string, hash: string,
 *   at_ms: number, transaction_id: string, direction: string, grant_hash?: string, service_name?: string,
 *   created_at?: number, source?: Party, destination?: Party, trace_id?: string, span_id?: string,
 *   additional_data?: Record<string, string>, status?: number, duration_ms?: number, error_code?: string,
 *   bytes?: number, aborted_by?: string }} LinkedEntry
 */

/**
 * The row of a linked entry: every column, null where the entry has no such field.
 * @param {LinkedEntry} e
 */
function rowOf(e) {
  const record = e.kind === 'record';
  const source = record ? e.source : undefined;
  const destination = record ? e.destination : undefined;
  return {
    peer_id: e.peer_id,
    seq: e.seq,
    v: e.v,
    kind: e.kind,
    prev_hash: e.prev_hash,
    hash: e.hash,
    at_ms: e.at_ms,
    transaction_id: e.transaction_id,
    direction: e.direction,
    grant_hash: record ? e.grant_hash : null,
    service_name: record ? e.service_name : null,
    created_at: record ? e.created_at : null,
    source_type: source?.type ?? null,
    source_outway_peer_id: source?.outway_peer_id ?? null,
    source_delegator_peer_id: source?.delegator_peer_id ?? null,
    destination_type: destination?.type ?? null,
    destination_service_peer_id: destination?.service_peer_id ?? null,
    destination_delegator_peer_id: destination?.delegator_peer_id ?? null,
    trace_id: record ? (e.trace_id ?? null) : null,
    span_id: record ? (e.span_id ?? null) : null,
    additional_data: record && e.additional_data !== undefined ? canonicalJson(e.additional_data) : null,
    status: record ? null : e.status,
    duration_ms: record ? null : e.duration_ms,
    error_code: record ? null : (e.error_code ?? null),
    bytes: record ? null : (e.bytes ?? null),
    aborted_by: record ? null : (e.aborted_by ?? null),
  };
}

/**
 * Appends one batch: `payload` is the JSON of `[{ p: PendingEntry, s: subjects, q: parties }]`.
 * Answers with the head the batch was linked onto and the entries' hashes, concatenated.
 * @param {string} payload
 */
function append(payload) {
  const d = db ?? open();
  const s = /** @type {NonNullable<typeof stmts>} */ (stmts);
  const peer = config.peerId;
  /** @type {unknown} */
  const parsed = JSON.parse(payload);
  const items = /** @type {{ p: { kind: 'record', record: object, at_ms: number } | { kind: 'completion', completion: object, at_ms: number }, s: string[], q: string[] }[]} */ (parsed);
  const result = d
    .transaction(() => {
      const head = headNow();
      const linked = linkEntries(
        peer,
        head,
        items.map((i) => i.p),
      );
      let hashes = '';
      for (let i = 0; i < linked.length; i++) {
        const e = /** @type {LinkedEntry} */ (/** @type {unknown} */ (linked[i]));
        s.insert.run(rowOf(e));
        const item = /** @type {{ s: string[], q: string[] }} */ (items[i]);
        for (const subject of item.s) s.subject.run(peer, subject, e.seq);
        for (const party of item.q) s.party.run(peer, party, e.seq);
        hashes += e.hash;
      }
      const last = /** @type {{ seq: number, hash: string }} */ (linked[linked.length - 1]);
      s.setHead.run(peer, last.seq, last.hash);
      return { head, hashes };
    })
    .immediate();
  // Committed (and fsynced) — into the file that is still at our path?
  const st = statSync(config.path);
  if (!identity || st.ino !== identity.ino || st.dev !== identity.dev) {
    throw new Error('the transaction log file was replaced or removed');
  }
  return { ok: true, first: result.head.seq + 1, prev: result.head.hash, hashes: result.hashes };
}

port.on('message', (/** @type {{ id: number, type: string, payload?: string }} */ msg) => {
  switch (msg.type) {
    case 'append': {
      let reply;
      try {
        reply = { id: msg.id, ...append(msg.payload ?? '[]') };
      } catch (err) {
        const e = /** @type {{ message?: unknown, code?: unknown }} */ (err ?? {});
        const code = typeof e.code === 'string' ? e.code : undefined;
        // A lock held by someone else is transient; anything else may have broken the handle: reopen next time.
        if (code !== 'SQLITE_BUSY') discard();
        reply = { id: msg.id, ok: false, error: { message: String(e.message ?? err), code } };
      }
      port.postMessage(reply);
      return;
    }
    case 'discard':
      discard();
      return;
    case 'close':
      discard();
      port.postMessage({ id: msg.id, ok: true });
      port.close();
      return;
  }
});
