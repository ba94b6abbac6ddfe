// @ts-check
// The SQLite transaction log's writer thread (docs/transaction-log.md "Writing: the writer thread").
// It owns the one connection that appends, so the fsync of a group commit (synchronous=FULL) blocks
// this thread only and never the event loop that serves requests. It only runs SQL: the main thread
// links and hashes the entries (one implementation of the chain, gateway/txlog/chain.ts) against the
// head it expects, and this thread commits them only when that is still the head inside the write
// transaction — a compare-and-set, so a second connection on the same file makes the main thread
// relink instead of forking the chain. Plain JavaScript on purpose: a worker cannot use the TypeScript
// loader of its parent, and this file needs nothing but better-sqlite3.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

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

/**
 * @param {{ expected: { seq: number, hash: string } | null, rows: Record<string, unknown>[],
 *   subjects: [number, string][], parties: [number, string][], last: { seq: number, hash: string } }} c
 */
function commit(c) {
  const d = db ?? open();
  const s = /** @type {NonNullable<typeof stmts>} */ (stmts);
  const peer = config.peerId;
  const result = d
    .transaction(() => {
      const head = headNow();
      if (c.expected === null || head.seq !== c.expected.seq || head.hash !== c.expected.hash) return head;
      for (const row of c.rows) s.insert.run(row);
      for (const [seq, subject] of c.subjects) s.subject.run(peer, subject, seq);
      for (const [seq, party] of c.parties) s.party.run(peer, party, seq);
      s.setHead.run(peer, c.last.seq, c.last.hash);
      return undefined;
    })
    .immediate();
  if (result !== undefined) return { ok: true, committed: false, head: result };
  // Committed (and fsynced) — into the file that is still at our path?
  const st = statSync(config.path);
  if (!identity || st.ino !== identity.ino || st.dev !== identity.dev) {
    throw new Error('the transaction log file was replaced or removed');
  }
  return { ok: true, committed: true };
}

port.on('message', (/** @type {{ id: number, type: string } & Record<string, any>} */ msg) => {
  switch (msg.type) {
    case 'commit': {
      let reply;
      try {
        reply = { id: msg.id, ...commit(/** @type {any} */ (msg)) };
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
