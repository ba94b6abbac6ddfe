// @ts-check
// The SQLite transaction log's writer thread (docs/transaction-log.md "Writing: the writer thread").
// It owns the one connection that appends, so neither the fsync of a group commit (synchronous=FULL)
// nor the chain's work blocks the event loop that serves requests: the main thread hands over a batch
// as one JSON string, and this thread, inside the IMMEDIATE write transaction, reads the head, links
// and hashes the entries (gateway/txlog/chain-core.js, the chain's one implementation) and appends them
// to the journal. That commit is what makes a call's record durable, and it touches one table.
// Indexing — moving journaled entries into txlog_entries with their index rows and the head row —
// runs here too, in large batches between commits (every INDEX_BATCH entries or INDEX_DELAY_MS), and
// whenever the main thread asks before it reads. The head is read under the write lock (journal first),
// so several connections on the same file (several gateway processes) keep one chain, and any of them
// may index what the others journaled. Plain JavaScript on purpose: a worker cannot use the TypeScript
// loader of its parent.
import { statSync } from 'node:fs';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { canonicalJson, linkTexts } from '../../chain-core.js';

const GENESIS_HASH = '0'.repeat(64);
/** Journaled entries that start an indexing pass, and the most one indexing transaction moves. */
const INDEX_BATCH = 256;
/** Longest a journaled entry waits to be indexed when traffic is too thin to fill a batch. */
const INDEX_DELAY_MS = 250;

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the shape sqlite-writer.ts sends
const config = /** @type {{ path: string, busyTimeoutMs: number, peerId: string, columns: string[] }} */ (workerData);
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
      journalLast: d.prepare('SELECT seq, hash FROM txlog_journal WHERE peer_id = ? ORDER BY id DESC LIMIT 1'),
      journal: d.prepare(
        'INSERT INTO txlog_journal (peer_id, seq, hash, entry, subjects, parties) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      journalRows: d.prepare(
        'SELECT id, peer_id, seq, hash, entry, subjects, parties FROM txlog_journal ORDER BY id LIMIT ?',
      ),
      journalDelete: d.prepare('DELETE FROM txlog_journal WHERE id <= ?'),
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

/**
 * The head inside the write transaction: the last journaled entry, else the head row, else the last
 * entry, else the anchor, else genesis.
 */
function headNow() {
  const s = /** @type {NonNullable<typeof stmts>} */ (stmts);
  const peer = config.peerId;
  return (
    /** @type {{ seq: number, hash: string } | undefined} */ (
      s.journalLast.get(peer) ?? s.head.get(peer) ?? s.last.get(peer) ?? s.anchor.get(peer)
    ) ?? { seq: 0, hash: GENESIS_HASH }
  );
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
 * Journals one batch: `payload` is the JSON of `[{ p: PendingEntry, s: subjects, q: parties }]`.
 * Answers with the head the batch was linked onto and the entries' hashes, concatenated.
 * @param {string} payload
 */
function append(payload) {
  const d = db ?? open();
  const s = /** @type {NonNullable<typeof stmts>} */ (stmts);
  const peer = config.peerId;
  /** @type {unknown} */
  const parsed = JSON.parse(payload);
  const items =
    /** @type {{ p: { kind: 'record', record: object, at_ms: number } | { kind: 'completion', completion: object, at_ms: number }, s: string[], q: string[] }[]} */ (
      parsed
    );
  const result = d
    .transaction(() => {
      const head = headNow();
      const { texts, hashes } = linkTexts(
        peer,
        head,
        items.map((i) => i.p),
      );
      for (let i = 0; i < items.length; i++) {
        const item = /** @type {{ s: string[], q: string[] }} */ (items[i]);
        s.journal.run(
          peer,
          head.seq + 1 + i,
          hashes[i],
          texts[i],
          item.s.length > 0 ? JSON.stringify(item.s) : null,
          item.q.length > 0 ? JSON.stringify(item.q) : null,
        );
      }
      return { head, hashes: hashes.join('') };
    })
    .immediate();
  // Committed (and fsynced) — into the file that is still at our path?
  const st = statSync(config.path);
  if (!identity || st.ino !== identity.ino || st.dev !== identity.dev) {
    throw new Error('the transaction log file was replaced or removed');
  }
  journaled += items.length;
  return { ok: true, first: result.head.seq + 1, prev: result.head.hash, hashes: result.hashes };
}

/** Entries journaled by this thread since its last indexing pass (a hint; the journal table is the truth). */
let journaled = 0;
/** @type {NodeJS.Timeout | undefined} */
let indexTimer;
let indexQueued = false;
let closing = false;
/** Wait before retrying a failed background pass: doubles per failure up to a minute, reset by a success. */
let retryMs = INDEX_DELAY_MS;

/**
 * Moves up to `limit` journaled entries (of any peer, in journal order) into txlog_entries with their
 * index rows, moves the head rows, and deletes them from the journal — one transaction, so an entry is
 * always in exactly one of the two places. That commit need not be fsynced at once (synchronous=NORMAL):
 * if it is lost, so is its delete, and the entries are still in the journal.
 * @param {number} limit
 * @returns {number} entries moved
 */
function indexChunk(limit) {
  const d = db ?? open();
  const s = /** @type {NonNullable<typeof stmts>} */ (stmts);
  d.pragma('synchronous = NORMAL');
  try {
    return d
      .transaction(() => {
        const rows =
          /** @type {{ id: number, peer_id: string, seq: number, hash: string, entry: string, subjects: string | null, parties: string | null }[]} */ (
            s.journalRows.all(limit)
          );
        if (rows.length === 0) return 0;
        /** @type {Map<string, { seq: number, hash: string }>} */
        const heads = new Map();
        for (const r of rows) {
          /** @type {unknown} */
          const body = JSON.parse(r.entry);
          const e = /** @type {LinkedEntry} */ (body);
          e.hash = r.hash;
          s.insert.run(rowOf(e));
          if (r.subjects !== null)
            for (const subject of /** @type {string[]} */ (JSON.parse(r.subjects)))
              s.subject.run(r.peer_id, subject, r.seq);
          if (r.parties !== null)
            for (const party of /** @type {string[]} */ (JSON.parse(r.parties))) s.party.run(r.peer_id, party, r.seq);
          heads.set(r.peer_id, r);
        }
        for (const [peer, r] of heads) s.setHead.run(peer, r.seq, r.hash);
        s.journalDelete.run(/** @type {{ id: number }} */ (rows[rows.length - 1]).id);
        return rows.length;
      })
      .immediate();
  } finally {
    // the connection may be gone (discarded by a failure inside)
    if (db === d) d.pragma('synchronous = FULL');
  }
}

/** Indexes the whole journal now (before the main thread reads, and at close). */
function indexAll() {
  cancelIndexing();
  while (indexChunk(INDEX_BATCH) === INDEX_BATCH);
  journaled = 0;
}

function cancelIndexing() {
  if (indexTimer !== undefined) clearTimeout(indexTimer);
  indexTimer = undefined;
}

/** After a commit: index one chunk once a batch is full (after the answer went out), or after a delay. */
function scheduleIndexing() {
  if (journaled >= INDEX_BATCH) {
    if (indexQueued) return;
    indexQueued = true;
    cancelIndexing();
    setImmediate(backgroundIndex);
  } else if (journaled > 0 && indexTimer === undefined && !indexQueued) {
    indexTimer = setTimeout(backgroundIndex, INDEX_DELAY_MS);
  }
}

/** One chunk per turn of this thread's loop, so a commit waiting behind indexing waits for one chunk only. */
function backgroundIndex() {
  indexQueued = false;
  indexTimer = undefined;
  if (closing) return;
  let moved;
  try {
    moved = indexChunk(INDEX_BATCH);
  } catch (err) {
    // Not lost: the entries stay journaled and durable, and appends go on. The main thread logs it; a
    // later pass, or the next read (which indexes first and reports a failure to its caller), tries again.
    const { error } = failure(err);
    port.postMessage({ id: 0, type: 'index-failed', error, retryMs });
    indexTimer = setTimeout(backgroundIndex, retryMs);
    retryMs = Math.min(retryMs * 2, 60_000);
    return;
  }
  retryMs = INDEX_DELAY_MS;
  journaled = Math.max(0, journaled - moved);
  if (moved === INDEX_BATCH) {
    indexQueued = true;
    setImmediate(backgroundIndex);
  } else {
    journaled = 0;
  }
}

/** @param {unknown} err */
function failure(err) {
  const e = /** @type {{ message?: unknown, code?: unknown }} */ (err ?? {});
  const code = typeof e.code === 'string' ? e.code : undefined;
  // A lock held by someone else is transient; anything else may have broken the handle: reopen next time.
  if (code !== 'SQLITE_BUSY') discard();
  return { ok: false, error: { message: String(e.message ?? err), code } };
}

port.on('message', (/** @type {{ id: number, type: string, payload?: string }} */ msg) => {
  switch (msg.type) {
    case 'append': {
      let reply;
      try {
        reply = { id: msg.id, ...append(msg.payload ?? '[]') };
      } catch (err) {
        reply = { id: msg.id, ...failure(err) };
      }
      port.postMessage(reply);
      if (reply.ok) scheduleIndexing();
      return;
    }
    case 'index': {
      let reply;
      try {
        indexAll();
        reply = { id: msg.id, ok: true };
      } catch (err) {
        reply = { id: msg.id, ...failure(err) };
      }
      port.postMessage(reply);
      return;
    }
    case 'discard':
      discard();
      return;
    case 'close':
      closing = true;
      try {
        indexAll();
      } catch {
        // what is journaled stays durable; the next opener indexes it
      }
      cancelIndexing();
      discard();
      port.postMessage({ id: msg.id, ok: true });
      port.close();
      return;
  }
});
