// Versioned schema of the SQLite store. A migration is appended, never edited: a file written by an
// older Koppel is brought forward one version at a time, each version in its own transaction.
import type Database from 'better-sqlite3';
import { StoreError } from '../../errors.ts';
import type { Clock } from '../../types.ts';

interface Migration {
  version: number;
  sql: string;
}

const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE contracts (
        content_hash TEXT PRIMARY KEY,
        group_id     TEXT NOT NULL,
        iv           TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        content      TEXT NOT NULL
      );
      -- fsc-core: the iv of a contract is unique (within the group).
      CREATE UNIQUE INDEX contracts_group_iv ON contracts (group_id, iv);
      CREATE INDEX contracts_created ON contracts (created_at, content_hash);

      CREATE TABLE contract_grants (
        grant_hash   TEXT NOT NULL,
        content_hash TEXT NOT NULL REFERENCES contracts (content_hash),
        grant_type   TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (grant_hash, content_hash)
      );
      CREATE INDEX contract_grants_type ON contract_grants (grant_type, created_at, content_hash);
      CREATE INDEX contract_grants_contract ON contract_grants (content_hash, grant_type);

      CREATE TABLE contract_peers (
        peer_id      TEXT NOT NULL,
        content_hash TEXT NOT NULL REFERENCES contracts (content_hash),
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (peer_id, content_hash)
      );
      CREATE INDEX contract_peers_order ON contract_peers (peer_id, created_at, content_hash);

      CREATE TABLE signatures (
        content_hash TEXT NOT NULL REFERENCES contracts (content_hash),
        type         TEXT NOT NULL CHECK (type IN ('accept', 'reject', 'revoke')),
        peer_id      TEXT NOT NULL,
        jws          TEXT NOT NULL,
        signed_at    INTEGER NOT NULL,
        PRIMARY KEY (content_hash, type, peer_id)
      );

      CREATE TABLE peers (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        manager_address TEXT NOT NULL,
        seen_at         INTEGER NOT NULL
      );

      CREATE TABLE outbox (
        id              TEXT PRIMARY KEY,
        peer_id         TEXT NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('contract', 'signature', 'announce')),
        payload         TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        leased_until    INTEGER
      );
      CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
      CREATE INDEX outbox_peer ON outbox (peer_id, next_attempt_at, id);

      CREATE TABLE services (
        name          TEXT PRIMARY KEY,
        endpoint_url  TEXT NOT NULL,
        inway_address TEXT NOT NULL,
        protocol      TEXT NOT NULL,
        updated_at    INTEGER NOT NULL
      );

      CREATE TABLE kv (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        expires_at INTEGER
      );
      CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;

export function applyMigrations(db: Database.Database, clock: Clock): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const current = db.prepare<[], number | null>('SELECT max(version) FROM schema_migrations').pluck().get() ?? 0;
  if (current > SQLITE_SCHEMA_VERSION) {
    throw new StoreError(
      'STORE_SCHEMA_TOO_NEW',
      `the database has schema version ${current}; this Koppel knows up to ${SQLITE_SCHEMA_VERSION}`,
    );
  }
  const record = db.prepare<[number, number]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    // BEGIN IMMEDIATE: two processes opening a fresh file must not both run the same migration.
    db.transaction(() => {
      const again = db
        .prepare<[number], 1>('SELECT 1 FROM schema_migrations WHERE version = ?')
        .pluck()
        .get(migration.version);
      if (again !== undefined) return;
      db.exec(migration.sql);
      record.run(migration.version, clock());
    }).immediate();
  }
}
