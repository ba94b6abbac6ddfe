// The TxLog contract against real SQLite files in temp directories, plus what only SQLite has: the file
// settings, failing closed when the data directory vanishes or another connection holds the write lock,
// and the data-subject lookup being an index range scan.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTxLog,
  hashEntry,
  SqliteTxLog,
  type RecordEntryBody,
  type StoredEntry,
  type TxLog,
} from '../../gateway/txlog/index.ts';
import { describeTxLogContract, PEER, record, type TxLogHarness } from './txlog.contract.ts';

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koppel-txlog-'));
  dirs.push(dir);
  return dir;
}

function sqlite(log: TxLog): SqliteTxLog {
  if (!(log instanceof SqliteTxLog)) throw new Error('not a SQLite log');
  return log;
}

/** Runs fn on a separate connection to the log's file (the attacker's, or an independent reader's). */
function withDb<T>(log: TxLog, fn: (db: Database.Database) => T): T {
  const db = new Database(sqlite(log).path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * Like withDb, after the log has indexed what it journaled: tampering edits the indexed tables, where
 * entries live once the writer thread has moved them out of the journal.
 */
async function withIndexedDb<T>(log: TxLog, fn: (db: Database.Database) => T): Promise<T> {
  await sqlite(log).index();
  return withDb(log, fn);
}

function insertRow(db: Database.Database, e: StoredEntry & { kind: 'record' }): void {
  db.prepare(
    `INSERT INTO txlog_entries (peer_id, seq, v, kind, prev_hash, hash, at_ms, transaction_id, direction, grant_hash,
       service_name, created_at, source_type, source_outway_peer_id, destination_type, destination_service_peer_id)
     VALUES (?, ?, 1, 'record', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    e.peer_id,
    e.seq,
    e.prev_hash,
    e.hash,
    e.at_ms,
    e.transaction_id,
    e.direction,
    e.grant_hash,
    e.service_name,
    e.created_at,
    e.source.type,
    e.source.outway_peer_id,
    e.destination.type,
    e.destination.service_peer_id,
  );
}

function sqliteHarness(): TxLogHarness {
  const dataDir = join(tempDir(), 'data');
  return {
    open: (options = {}) => createTxLog({ kind: 'sqlite', dataDir, peerId: PEER, ...options }),
    // Durable means in the file: journaled (not yet indexed) or indexed.
    seenIndependently: (log, transactionId) =>
      Promise.resolve(
        withDb(
          log,
          (db) =>
            db
              .prepare(
                `SELECT 1 FROM txlog_entries WHERE transaction_id = ?
                 UNION ALL SELECT 1 FROM txlog_journal WHERE json_extract(entry, '$.transaction_id') = ?`,
              )
              .get(transactionId, transactionId) !== undefined,
        ),
      ),
    tamper: {
      alter: (log, seq, serviceName) =>
        withIndexedDb(log, (db) => {
          db.prepare('UPDATE txlog_entries SET service_name = ? WHERE peer_id = ? AND seq = ?').run(
            serviceName,
            PEER,
            seq,
          );
        }),
      alterAndRehash: async (log, seq, serviceName) => {
        const txid = (await withIndexedDb(log, (db) =>
          db.prepare('SELECT transaction_id FROM txlog_entries WHERE seq = ?').pluck().get(seq),
        )) as string;
        const [stored] = (await log.query({ transactionIds: [txid] })).records;
        if (!stored) throw new Error('record not found');
        const body: RecordEntryBody = {
          ...stored.record,
          service_name: serviceName,
          v: 1,
          kind: 'record',
          peer_id: stored.peer_id,
          seq: stored.seq,
          prev_hash: stored.prev_hash,
          at_ms: stored.at_ms,
        };
        withDb(log, (db) => {
          db.prepare('UPDATE txlog_entries SET service_name = ?, hash = ? WHERE seq = ?').run(
            serviceName,
            hashEntry(body),
            seq,
          );
        });
      },
      remove: (log, seq) =>
        withIndexedDb(log, (db) => {
          db.prepare('DELETE FROM txlog_entries WHERE peer_id = ? AND seq = ?').run(PEER, seq);
        }),
      swap: (log, a, b) =>
        withIndexedDb(log, (db) => {
          const move = db.prepare('UPDATE txlog_entries SET seq = ? WHERE peer_id = ? AND seq = ?');
          db.transaction(() => {
            move.run(-1, PEER, a);
            move.run(a, PEER, b);
            move.run(b, PEER, -1);
          })();
        }),
      insert: (log, forged) =>
        withIndexedDb(log, (db) => {
          if (forged.kind !== 'record') throw new Error('records only');
          db.transaction(() => {
            // make room: every entry from forged.seq on moves one up (via negative seqs, for the UNIQUE index)
            db.prepare('UPDATE txlog_entries SET seq = -seq WHERE peer_id = ? AND seq >= ?').run(PEER, forged.seq);
            db.prepare('UPDATE txlog_entries SET seq = 1 - seq WHERE peer_id = ? AND seq < 0').run(PEER);
            db.prepare('UPDATE txlog_head SET seq = seq + 1 WHERE peer_id = ?').run(PEER);
            insertRow(db, forged);
          })();
        }),
      truncateLast: (log) =>
        withIndexedDb(log, (db) => {
          db.transaction(() => {
            const last = db.prepare('SELECT MAX(seq) FROM txlog_entries WHERE peer_id = ?').pluck().get(PEER) as number;
            db.prepare('DELETE FROM txlog_entries WHERE peer_id = ? AND seq = ?').run(PEER, last);
            const prev = db
              .prepare('SELECT hash FROM txlog_entries WHERE peer_id = ? AND seq = ?')
              .pluck()
              .get(PEER, last - 1);
            db.prepare('UPDATE txlog_head SET seq = ?, hash = ? WHERE peer_id = ?').run(last - 1, prev, PEER);
          })();
        }),
      forgeHeadHash: (log, hash) =>
        withIndexedDb(log, (db) => {
          db.prepare(
            'UPDATE txlog_heads SET hash = ? WHERE peer_id = ? AND seq = (SELECT MAX(seq) FROM txlog_heads)',
          ).run(hash, PEER);
        }),
    },
    cleanup: () => {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeTxLogContract('sqlite', () => Promise.resolve(sqliteHarness()));

describe('sqlite txlog specifics', () => {
  const opened: TxLog[] = [];
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
  });

  async function open(dataDir: string, extra: { busyTimeoutMs?: number } = {}): Promise<SqliteTxLog> {
    const log = sqlite(await createTxLog({ kind: 'sqlite', dataDir, peerId: PEER, headIntervalMs: 0, ...extra }));
    opened.push(log);
    return log;
  }

  it('keeps the file in WAL mode', async () => {
    const log = await open(join(tempDir(), 'data'));
    await log.write(record());
    expect(withDb(log, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  it('rejects writes promptly once the data directory is gone, stores none of them, and recovers', async () => {
    const dataDir = join(tempDir(), 'data');
    const log = await open(dataDir);
    await log.write(record());
    rmSync(dataDir, { recursive: true, force: true });

    const lost = Array.from({ length: 10 }, () => record());
    const started = performance.now();
    const results = await Promise.allSettled(lost.map((r) => log.write(r)));
    expect(performance.now() - started).toBeLessThan(1000);
    for (const r of results) {
      expect(r).toMatchObject({
        status: 'rejected',
        reason: { code: 'TRANSACTION_LOG_WRITE_ERROR', reason: 'store-unavailable' },
      });
    }
    // still gone: the log does not recreate the directory on its own (a vanished volume is not "durable")
    await expect(log.write(record())).rejects.toMatchObject({ code: 'TRANSACTION_LOG_WRITE_ERROR' });

    mkdirSync(dataDir);
    const back = record();
    expect((await log.write(back)).seq).toBe(1);
    expect(
      (await log.query({ transactionIds: [...lost.map((r) => r.transaction_id), back.transaction_id] })).records,
    ).toHaveLength(1);
    expect(await log.verify()).toMatchObject({ ok: true, records: 1 });
  });

  it('rejects a whole group when another connection holds the write lock, and recovers when it is released', async () => {
    const log = await open(join(tempDir(), 'data'), { busyTimeoutMs: 100 });
    await log.write(record());
    const locker = new Database(log.path);
    try {
      locker.exec('BEGIN EXCLUSIVE');
      const failedBefore = log.stats().failedCommits;
      const blocked = Array.from({ length: 10 }, () => record());
      const started = performance.now();
      const results = await Promise.allSettled(blocked.map((r) => log.write(r)));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      expect(log.stats().failedCommits - failedBefore).toBe(1);
      locker.exec('ROLLBACK');

      expect((await log.write(record())).seq).toBe(2);
      expect((await log.query({ transactionIds: blocked.map((r) => r.transaction_id) })).records).toEqual([]);
      expect(await log.verify()).toMatchObject({ ok: true, records: 2 });
    } finally {
      locker.close();
    }
  });

  it('lets a completion ride along with the next record instead of costing a commit of its own', async () => {
    const log = await open(join(tempDir(), 'data'));
    const first = record();
    await log.write(first);
    const before = log.stats().commits;
    const completion = log.writeCompletion({
      transaction_id: first.transaction_id,
      direction: first.direction,
      status: 200,
      duration_ms: 3,
    });
    const second = log.write(record());
    const [c, r] = await Promise.all([completion, second]);
    expect(log.stats().commits - before).toBe(1);
    expect(r.seq).toBe(c.seq + 1);
    // On its own a completion still commits, after a short wait.
    const alone = await log.writeCompletion({
      transaction_id: first.transaction_id,
      direction: first.direction,
      status: 200,
      duration_ms: 1,
    });
    expect(alone.seq).toBe(r.seq + 1);
    expect(log.stats().commits - before).toBe(2);
    expect(await log.verify()).toMatchObject({ ok: true, records: 4 });
  });

  it('commits on the writer thread: the event loop keeps running while a group is being committed', async () => {
    const log = await open(join(tempDir(), 'data'));
    await log.write(record());
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const locker = new Database(log.path);
      locker.exec('BEGIN EXCLUSIVE');
      // The writer thread waits for the lock (busy timeout 1 s); this thread must not.
      const blocked = log.write(record());
      let settled = false;
      void blocked.then(
        () => (settled = true),
        () => (settled = true),
      );
      // The loop turns (no fixed wait) while the write is still waiting for the lock.
      await expect.poll(() => ticks).toBeGreaterThan(20);
      expect(settled).toBe(false);
      locker.exec('ROLLBACK');
      locker.close();
      await blocked;
    } finally {
      clearInterval(timer);
    }
  });

  it('answers a data-subject query from the subject index, not by scanning the records', async () => {
    const log = await open(join(tempDir(), 'data'));
    await log.write(record({ additional_data: { data_subject: 'bsn=999993653' } }));
    for (const filter of [
      { dataSubject: 'bsn=999993653' },
      { dataSubject: 'bsn=999993653', visibleTo: PEER, after: 1 },
    ]) {
      const { sql, params } = log.querySql(filter, { limit: 25 });
      const plan = withDb(log, (db) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail),
      );
      expect(plan[0]).toMatch(/^SEARCH d USING PRIMARY KEY \(peer_id=\? AND subject=\?/);
      expect(plan.join('\n')).not.toMatch(/SCAN e\b/);
    }
  });

  describe('the journal', () => {
    /**
     * A separate process writes `count` records (each with its completion) and exits without closing
     * the log, the way a killed gateway leaves it: every write was acknowledged, so it is durable, and
     * none was indexed yet (indexing waits for a batch or a quarter of a second).
     */
    function journaledByAnotherProcess(dataDir: string, count: number): string[] {
      const script = join(import.meta.dirname, 'fixtures', 'txlog-write-and-exit.ts');
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, dataDir, PEER, String(count)], {
        encoding: 'utf8',
      });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      return JSON.parse(child.stdout) as string[];
    }

    function journalRows(path: string): number {
      const db = new Database(path);
      try {
        return db.prepare('SELECT count(*) FROM txlog_journal').pluck().get() as number;
      } finally {
        db.close();
      }
    }

    it('keeps what a process acknowledged and did not index; the next opener indexes it and the chain verifies', async () => {
      const dataDir = join(tempDir(), 'data');
      const ids = journaledByAnotherProcess(dataDir, 10);
      const path = join(dataDir, 'txlog.sqlite');
      // unindexed (all 20, unless a very slow machine let the quarter-second indexing timer fire first)
      expect(journalRows(path)).toBeGreaterThan(0);

      const log = await open(dataDir);
      const found = await log.query({ transactionIds: ids });
      expect(found.records.map((r) => r.record.transaction_id).sort()).toEqual([...ids].sort());
      expect(found.records.every((r) => r.completion?.status === 200)).toBe(true);
      expect((await log.query({ dataSubject: 'bsn=999993653' })).records).toHaveLength(10);
      expect(journalRows(path)).toBe(0);
      // the chain goes on where the other process left it
      expect((await log.write(record())).seq).toBe(21);
      expect(await log.verify()).toMatchObject({ ok: true, records: 21 });
    });

    it('finds an entry altered while it waited in the journal', async () => {
      const dataDir = join(tempDir(), 'data');
      journaledByAnotherProcess(dataDir, 5);
      const attacker = new Database(join(dataDir, 'txlog.sqlite'));
      // the last record still waiting in the journal
      const seq = attacker
        .prepare(`SELECT max(seq) FROM txlog_journal WHERE entry LIKE '%"kind":"record"%'`)
        .pluck()
        .get() as number | null;
      const changed = attacker
        .prepare(
          `UPDATE txlog_journal SET entry = replace(entry, '"service_name":"basisregistratie"', '"service_name":"elders"') WHERE seq = ?`,
        )
        .run(seq).changes;
      attacker.close();
      expect(changed).toBe(1);

      const log = await open(dataDir);
      expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { what: 'hash-mismatch', seq } });
    });

    it('upgrades a file of schema 1 (no journal) and an older Koppel then refuses it', async () => {
      const dataDir = join(tempDir(), 'data');
      const first = await open(dataDir);
      await first.write(record());
      await first.close();
      const path = join(dataDir, 'txlog.sqlite');
      const old = new Database(path);
      old.exec(`DROP TABLE txlog_journal; UPDATE txlog_meta SET value = '1' WHERE key = 'schema'`);
      old.close();

      const log = await open(dataDir);
      expect((await log.write(record())).seq).toBe(2);
      expect(await log.verify()).toMatchObject({ ok: true, records: 2 });
      expect(withDb(log, (db) => db.prepare(`SELECT value FROM txlog_meta WHERE key = 'schema'`).pluck().get())).toBe(
        '2',
      );
    });
  });
});
