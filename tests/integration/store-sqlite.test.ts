// The ManagerStore contract against real SQLite files in a temp directory, plus what only SQLite has:
// pragmas, versioned schema, refusing a database written by a newer Koppel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, StoreError } from '../../gateway/store/index.ts';
import { describeStoreContract, type StoreHarness } from './store.contract.ts';

function sqliteHarness(): StoreHarness {
  const dataDir = mkdtempSync(join(tmpdir(), 'koppel-store-'));
  return {
    open: (options = {}) => createStore({ kind: 'sqlite', dataDir, fileName: 'manager', ...options }),
    cleanup: () => {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

describeStoreContract('sqlite', () => Promise.resolve(sqliteHarness()), { crossHandlePubSub: false });

describe('sqlite store specifics', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'koppel-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes <dataDir>/<fileName>.sqlite in WAL mode with synchronous=FULL and a recorded schema version', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = await createStore({ kind: 'sqlite', dataDir, fileName: 'peer-a' });
    await store.close();
    const db = new Database(join(dataDir, 'peer-a.sqlite'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
      expect(versions).toEqual([1]);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(
        expect.arrayContaining([
          'contracts',
          'contract_grants',
          'contract_peers',
          'signatures',
          'peers',
          'outbox',
          'services',
          'kv',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('defaults the file name to manager.sqlite and migrates an existing file only once', async () => {
    const dataDir = tempDir();
    await (await createStore({ kind: 'sqlite', dataDir })).close();
    await (await createStore({ kind: 'sqlite', dataDir })).close();
    const db = new Database(join(dataDir, 'manager.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('refuses a database whose schema is newer than this code', async () => {
    const dataDir = tempDir();
    await (await createStore({ kind: 'sqlite', dataDir })).close();
    const db = new Database(join(dataDir, 'manager.sqlite'));
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)').run();
    db.close();
    const err: unknown = await createStore({ kind: 'sqlite', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_SCHEMA_TOO_NEW');
  });

  it('answers listContracts from indexes, not table scans', async () => {
    const dataDir = tempDir();
    await (await createStore({ kind: 'sqlite', dataDir })).close();
    const db = new Database(join(dataDir, 'manager.sqlite'), { readonly: true });
    try {
      const plan = (sql: string): string =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all()
          .map((r) => (r as { detail: string }).detail)
          .join(' | ');
      expect(plan('SELECT * FROM contracts c ORDER BY c.created_at, c.content_hash LIMIT 10')).toMatch(
        /contracts_created/,
      );
      expect(
        plan(
          `SELECT c.* FROM contract_peers p JOIN contracts c ON c.content_hash = p.content_hash WHERE p.peer_id = 'x'
           ORDER BY p.created_at DESC, p.content_hash DESC LIMIT 10`,
        ),
      ).toMatch(/contract_peers_order/);
      expect(plan("SELECT * FROM contract_grants WHERE grant_hash = 'x'")).toMatch(/INDEX/);
    } finally {
      db.close();
    }
  });
});
