// SQLite layout of the transaction log. The entry columns ARE the hashed content: verify rebuilds the
// canonical body from every non-null column, so an UPDATE of any of them breaks the entry's hash. The
// subject and party tables are derived indexes (never hashed, rebuilt from additional_data / source /
// destination), so a data-subject lookup among millions of records is one primary-key range scan.
// A write first lands in txlog_journal (one append to one table: the commit that makes a call's record
// durable touches a page or two instead of a dozen B-trees); the writer thread moves journaled entries
// into the tables above in large batches, in one transaction that also deletes them from the journal
// (docs/transaction-log.md "Writing: journal, then index").
import type { Database } from 'better-sqlite3';

/** 2: the journal (a file with journaled entries must not be opened by a Koppel that ignores them). */
export const SQLITE_SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS txlog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS txlog_entries (
  id INTEGER PRIMARY KEY,
  peer_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  v INTEGER NOT NULL,
  kind TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  transaction_id TEXT NOT NULL,
  direction TEXT NOT NULL,
  grant_hash TEXT,
  service_name TEXT,
  created_at INTEGER,
  source_type TEXT,
  source_outway_peer_id TEXT,
  source_delegator_peer_id TEXT,
  destination_type TEXT,
  destination_service_peer_id TEXT,
  destination_delegator_peer_id TEXT,
  trace_id TEXT,
  span_id TEXT,
  additional_data TEXT,
  status INTEGER,
  duration_ms INTEGER,
  error_code TEXT,
  bytes INTEGER,
  aborted_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS txlog_entries_seq ON txlog_entries (peer_id, seq);
CREATE INDEX IF NOT EXISTS txlog_entries_tx ON txlog_entries (peer_id, transaction_id);
-- Record-only columns are indexed for records only (every query of records says kind = 'record'):
-- a completion then costs no insert into these four indexes. The unfiltered indexes of earlier files
-- are replaced.
DROP INDEX IF EXISTS txlog_entries_created;
DROP INDEX IF EXISTS txlog_entries_grant;
DROP INDEX IF EXISTS txlog_entries_service;
DROP INDEX IF EXISTS txlog_entries_process;
CREATE INDEX IF NOT EXISTS txlog_records_created ON txlog_entries (peer_id, created_at) WHERE kind = 'record';
CREATE INDEX IF NOT EXISTS txlog_records_grant ON txlog_entries (peer_id, grant_hash, seq) WHERE kind = 'record';
CREATE INDEX IF NOT EXISTS txlog_records_service ON txlog_entries (peer_id, service_name, seq) WHERE kind = 'record';
CREATE INDEX IF NOT EXISTS txlog_records_process
  ON txlog_entries (peer_id, json_extract(additional_data, '$.process_id'), seq) WHERE kind = 'record';

CREATE TABLE IF NOT EXISTS txlog_subjects (
  peer_id TEXT NOT NULL, subject TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (peer_id, subject, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS txlog_subjects_seq ON txlog_subjects (peer_id, seq);

CREATE TABLE IF NOT EXISTS txlog_parties (
  peer_id TEXT NOT NULL, party TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (peer_id, party, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS txlog_parties_seq ON txlog_parties (peer_id, seq);

-- Durable, linked and hashed, not yet indexed: entry is the canonical JSON text that was hashed (the body
-- with its chain fields), subjects and parties the JSON arrays of its index terms (null: none).
CREATE TABLE IF NOT EXISTS txlog_journal (
  id INTEGER PRIMARY KEY,
  peer_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, entry TEXT NOT NULL,
  subjects TEXT, parties TEXT
);

CREATE TABLE IF NOT EXISTS txlog_head (
  peer_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS txlog_heads (
  peer_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, at_ms INTEGER NOT NULL, jws TEXT,
  PRIMARY KEY (peer_id, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS txlog_anchors (
  peer_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, at_ms INTEGER NOT NULL,
  cutoff_ms INTEGER NOT NULL, jws TEXT,
  PRIMARY KEY (peer_id, seq)
) WITHOUT ROWID;
`;

/** Creates the tables (idempotent) and refuses a file written by a newer schema. */
export function applySchema(db: Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    // Files from before completions recorded bytes and who aborted: add the columns (null in old rows).
    const columns = new Set(
      (db.prepare('PRAGMA table_info(txlog_entries)').all() as { name: string }[]).map((c) => c.name),
    );
    for (const [name, type] of [
      ['bytes', 'INTEGER'],
      ['aborted_by', 'TEXT'],
    ] as const) {
      if (!columns.has(name)) db.exec(`ALTER TABLE txlog_entries ADD COLUMN ${name} ${type}`);
    }
    db.prepare(`INSERT OR IGNORE INTO txlog_meta (key, value) VALUES ('schema', ?)`).run(String(SQLITE_SCHEMA_VERSION));
    const row = db.prepare(`SELECT value FROM txlog_meta WHERE key = 'schema'`).get() as { value: string } | undefined;
    if (Number(row?.value) > SQLITE_SCHEMA_VERSION) {
      throw new Error(
        `the transaction log file has schema ${row?.value}; this Koppel knows up to ${SQLITE_SCHEMA_VERSION}`,
      );
    }
    // Version 1 files gain the journal above; an older Koppel must then refuse the file.
    if (Number(row?.value) < SQLITE_SCHEMA_VERSION) {
      db.prepare(`UPDATE txlog_meta SET value = ? WHERE key = 'schema'`).run(String(SQLITE_SCHEMA_VERSION));
    }
  }).immediate();
}

/** One row of txlog_entries. */
export interface EntryRow {
  id?: number;
  peer_id: string;
  seq: number;
  v: number;
  kind: string;
  prev_hash: string;
  hash: string;
  at_ms: number;
  transaction_id: string;
  direction: string;
  grant_hash: string | null;
  service_name: string | null;
  created_at: number | null;
  source_type: string | null;
  source_outway_peer_id: string | null;
  source_delegator_peer_id: string | null;
  destination_type: string | null;
  destination_service_peer_id: string | null;
  destination_delegator_peer_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  additional_data: string | null;
  status: number | null;
  duration_ms: number | null;
  error_code: string | null;
  bytes: number | null;
  aborted_by: string | null;
}

export const ENTRY_COLUMNS = [
  'peer_id',
  'seq',
  'v',
  'kind',
  'prev_hash',
  'hash',
  'at_ms',
  'transaction_id',
  'direction',
  'grant_hash',
  'service_name',
  'created_at',
  'source_type',
  'source_outway_peer_id',
  'source_delegator_peer_id',
  'destination_type',
  'destination_service_peer_id',
  'destination_delegator_peer_id',
  'trace_id',
  'span_id',
  'additional_data',
  'status',
  'duration_ms',
  'error_code',
  'bytes',
  'aborted_by',
] as const;
