// The embedded transaction log: one SQLite file (WAL, synchronous=FULL) per data directory. A group of
// writes is one IMMEDIATE transaction on the writer thread (sqlite-writer-thread.js): handed over as one
// string, the entries are linked and hashed there onto the head read inside the transaction and appended
// to the journal table, and the commit's fsync makes all of them durable at once. Only then do the
// callers' promises resolve. Neither the fsync nor the hashing blocks this event loop. The writer thread
// indexes journaled entries in large batches; every read here first asks it to index what is journaled
// (#indexed), so a read sees every write committed before it. Reads (queries, verify, pruning) use this
// thread's own connection. The chain is per peer; another connection (or process) on the same file
// appends under the same write lock, so the chain never forks.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { BaseTxLog, type PrefixEntry } from '../../base-txlog.ts';
import type { ChainHead, PendingEntry } from '../../chain.ts';
import { recordOf } from '../../chain.ts';
import type { ChainSource, ScanEntry } from '../../chain-verify.ts';
import { readError, writeError } from '../../errors.ts';
import { partiesOf, subjectsOf } from '../../index-terms.ts';
import { encodeCursor, normaliseQuery, type NormalisedQuery } from '../../query-params.ts';
import { applySchema, ENTRY_COLUMNS, type EntryRow } from './sqlite-schema.ts';
import { rowToBody } from './sqlite-rows.ts';
import { SqliteWriter, type WriterAppended } from './sqlite-writer.ts';
import type {
  Anchor,
  CompletionInfo,
  SignedHead,
  CommonTxLogOptions,
  StoredEntry,
  StoredRecord,
  TxLogFilter,
  TxLogPage,
  TxLogQueryResult,
  WriteReceipt,
} from '../../types.ts';

const VERIFY_PAGE = 1000;
const MAX_CACHED_STATEMENTS = 200;
const NONE: readonly string[] = [];

/**
 * One entry as the writer thread takes it: the pending entry, its data subjects and parties (the index
 * rows; the thread adds the seq).
 */
function batchItem(p: PendingEntry): { p: PendingEntry; s: readonly string[]; q: readonly string[] } {
  return p.kind === 'record' ? { p, s: subjectsOf(p.record), q: partiesOf(p.record) } : { p, s: NONE, q: NONE };
}

type Params = Record<string, string | number>;

/** Opens (creating the data directory and file when new) the SQLite transaction log. */
export interface SqliteTxLogOptions extends CommonTxLogOptions {
  kind: 'sqlite';
  dataDir: string;
  /** Base name of `<dataDir>/<fileName>.sqlite`; default `txlog`. */
  fileName?: string;
  /** How long a commit waits for a lock held by another connection; default 1000. */
  busyTimeoutMs?: number;
}

export function openSqliteTxLog(options: SqliteTxLogOptions): SqliteTxLog {
  mkdirSync(options.dataDir, { recursive: true });
  return new SqliteTxLog(options);
}

export class SqliteTxLog extends BaseTxLog {
  readonly kind = 'sqlite' as const;
  /** Path of the database file. */
  readonly path: string;
  readonly #busyTimeoutMs: number;
  #db: Db | undefined;
  readonly #statements = new Map<string, Statement>();
  /** Appends run on the writer thread, so their fsync never blocks this thread's event loop. */
  readonly #writer: SqliteWriter;

  constructor(options: SqliteTxLogOptions) {
    super(options);
    this.path = join(options.dataDir, `${options.fileName ?? 'txlog'}.sqlite`);
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 1000;
    this.#open();
    this.#writer = new SqliteWriter({
      path: this.path,
      peerId: this.peerId,
      busyTimeoutMs: this.#busyTimeoutMs,
      columns: ENTRY_COLUMNS,
      onIndexFailure: (error, retryMs) =>
        this.logger?.warn(
          { err: error, retryMs },
          'txlog indexing failed; the entries stay journaled (durable) and are indexed on the next try',
        ),
    });
    this.startTimers(options);
  }

  /** Opens (or reopens) the file. Never creates the data directory: a vanished volume must fail writes. */
  #open(): void {
    const db = new Database(this.path, { timeout: this.#busyTimeoutMs });
    try {
      db.pragma('journal_mode = WAL');
      // DESIGN.md "Durability": a record is on durable storage before the call is forwarded.
      db.pragma('synchronous = FULL');
      applySchema(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.#statements.clear();
  }

  #discard(): void {
    try {
      this.#db?.close();
    } catch {
      // the handle is being dropped because it is unusable; closing it may fail the same way
    }
    this.#db = undefined;
    this.#statements.clear();
  }

  #usable(): Db {
    if (!this.#db) {
      if (this.closed) throw new Error('the transaction log is closed');
      this.logger?.warn({}, 'txlog reopening the database');
      this.#open();
    }
    return this.#db as Db;
  }

  #stmt(sql: string): Statement {
    const db = this.#db;
    if (!db) throw new Error('the transaction log database is not open');
    let s = this.#statements.get(sql);
    if (!s) {
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear();
      s = db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  #read<T>(fn: () => T): T {
    try {
      this.#usable();
      return fn();
    } catch (err) {
      throw readError(err);
    }
  }

  // --- writes ---

  protected async commitBatch(items: PendingEntry[]): Promise<readonly WriteReceipt[]> {
    let appended: WriterAppended;
    try {
      // The main thread's handle: reopened (schema applied) here when the file was lost, which also
      // refuses a vanished data directory before anything is sent to the writer thread. The writer
      // thread checks after its commit that the file it wrote is still the one at our path.
      this.#usable();
      appended = await this.#writer.append(JSON.stringify(items.map(batchItem)));
    } catch (err) {
      const code = (err as { code?: unknown } | undefined)?.code;
      // A lock held by someone else is transient; anything else may have broken the handles: reopen next time.
      if (code !== 'SQLITE_BUSY') {
        this.#discard();
        this.#writer.discard();
      }
      this.logger?.error({ err: { message: (err as Error).message, code } }, 'txlog commit failed');
      throw writeError(code === 'SQLITE_CONSTRAINT_UNIQUE' ? 'chain-corrupt' : 'store-unavailable', err);
    }
    const { first, hashes } = appended;
    const receipts: WriteReceipt[] = [];
    for (let i = 0; i < items.length; i++) {
      receipts.push({
        seq: first + i,
        hash: hashes.slice(i * 64, i * 64 + 64),
        at_ms: (items[i] as PendingEntry).at_ms,
      });
    }
    if (this.tailed) this.emit(this.#stored(items, appended));
    return receipts;
  }

  /** The stored entries of a committed batch, rebuilt from what the writer thread answered. */
  #stored(items: readonly PendingEntry[], { first, prev, hashes }: WriterAppended): StoredEntry[] {
    const entries: StoredEntry[] = [];
    let prevHash = prev;
    for (let i = 0; i < items.length; i++) {
      const p = items[i] as PendingEntry;
      const hash = hashes.slice(i * 64, i * 64 + 64);
      const chain = { v: 1 as const, peer_id: this.peerId, seq: first + i, prev_hash: prevHash, at_ms: p.at_ms };
      entries.push(
        p.kind === 'record'
          ? { ...p.record, ...chain, kind: 'record', hash }
          : { ...p.completion, ...chain, kind: 'completion', hash },
      );
      prevHash = hash;
    }
    return entries;
  }

  /** Moves every journaled entry into the indexed tables, so that the read that follows sees it. */
  async #indexed(): Promise<void> {
    try {
      this.#usable();
      await this.#writer.index();
    } catch (err) {
      throw readError(err);
    }
  }

  /** Indexes what is journaled now (as every read does first); for tools that open the file themselves. */
  index(): Promise<void> {
    return this.#indexed();
  }

  // --- queries ---

  protected async queryStore(q: NormalisedQuery): Promise<TxLogQueryResult> {
    await this.#indexed();
    return this.#read(() => this.#query(q));
  }

  /** The SQL of a query (for checking its plan: a data-subject lookup must be an index range scan). */
  querySql(filter: TxLogFilter, page?: TxLogPage): { sql: string; params: Params } {
    return this.#querySql(normaliseQuery(filter, page));
  }

  #querySql(q: NormalisedQuery): { sql: string; params: Params } {
    const f = q.filter;
    const params: Params = { peer: this.peerId };
    const where: string[] = [];
    let from = 'txlog_entries e';
    let seqCol = 'e.seq';
    const party = (name: string, value: string): string => {
      params[name] = value;
      return `EXISTS (SELECT 1 FROM txlog_parties x WHERE x.peer_id = @peer AND x.party = @${name} AND x.seq = e.seq)`;
    };
    const list = (prefix: string, values: readonly string[]): string =>
      values
        .map((v, i) => {
          params[`${prefix}${i}`] = v;
          return `@${prefix}${i}`;
        })
        .join(', ');

    if (f.transactionIds) {
      where.push('e.peer_id = @peer', `e.kind = 'record'`);
      where.push(f.transactionIds.length > 0 ? `e.transaction_id IN (${list('t', f.transactionIds)})` : '0');
      if (f.visibleTo !== undefined) where.push(party('visible', f.visibleTo));
      return {
        // Without statistics the planner would walk the seq index for the ORDER BY (a full scan); the
        // transaction-id index finds the few rows, which are then sorted.
        sql: `SELECT e.* FROM txlog_entries e INDEXED BY txlog_entries_tx WHERE ${where.join(' AND ')} ORDER BY e.seq ${q.ascending ? 'ASC' : 'DESC'}`,
        params,
      };
    }

    // The most selective index drives the scan in seq order; the other conditions filter.
    if (f.dataSubject !== undefined) {
      params.subject = f.dataSubject;
      from = 'txlog_subjects d CROSS JOIN txlog_entries e ON e.peer_id = d.peer_id AND e.seq = d.seq';
      where.push('d.peer_id = @peer', 'd.subject = @subject');
      seqCol = 'd.seq';
      if (f.peerId !== undefined) where.push(party('party', f.peerId));
      if (f.visibleTo !== undefined) where.push(party('visible', f.visibleTo));
    } else if (f.peerId !== undefined || f.visibleTo !== undefined) {
      params.driver = (f.peerId ?? f.visibleTo) as string;
      from = 'txlog_parties p CROSS JOIN txlog_entries e ON e.peer_id = p.peer_id AND e.seq = p.seq';
      where.push('p.peer_id = @peer', 'p.party = @driver');
      seqCol = 'p.seq';
      if (f.peerId !== undefined && f.visibleTo !== undefined && f.visibleTo !== f.peerId)
        where.push(party('visible', f.visibleTo));
    } else {
      where.push('e.peer_id = @peer');
    }
    where.push(`e.kind = 'record'`);
    if (f.after !== undefined) {
      params.after = f.after;
      where.push('e.created_at > @after');
    }
    if (f.before !== undefined) {
      params.before = f.before;
      where.push('e.created_at < @before');
    }
    if (f.grantHashes) where.push(f.grantHashes.length > 0 ? `e.grant_hash IN (${list('g', f.grantHashes)})` : '0');
    if (f.serviceNames)
      where.push(f.serviceNames.length > 0 ? `e.service_name IN (${list('s', f.serviceNames)})` : '0');
    if (f.processId !== undefined) {
      params.process = f.processId;
      where.push(`json_extract(e.additional_data, '$.process_id') = @process`);
    }
    if (f.direction !== undefined) {
      params.direction = f.direction;
      where.push('e.direction = @direction');
    }
    if (q.after !== undefined) {
      params.cursor = q.after;
      where.push(`${seqCol} ${q.ascending ? '>' : '<'} @cursor`);
    }
    params.limit = q.limit + 1;
    return {
      sql: `SELECT e.* FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${seqCol} ${q.ascending ? 'ASC' : 'DESC'} LIMIT @limit`,
      params,
    };
  }

  #query(q: NormalisedQuery): TxLogQueryResult {
    const { sql, params } = this.#querySql(q);
    const rows = this.#stmt(sql).all(params) as EntryRow[];
    let nextCursor = '';
    if (!q.filter.transactionIds && rows.length > q.limit) {
      rows.length = q.limit;
      nextCursor = encodeCursor((rows[rows.length - 1] as EntryRow).seq);
    }
    const completions = this.#completions(rows);
    const records: StoredRecord[] = [];
    for (const row of rows) {
      const body = rowToBody(row);
      if (body.kind !== 'record') continue;
      const r: StoredRecord = {
        record: recordOf(body),
        peer_id: row.peer_id,
        seq: row.seq,
        prev_hash: row.prev_hash,
        hash: row.hash,
        at_ms: row.at_ms,
      };
      const c = completions.get(`${row.transaction_id} ${row.direction}`);
      if (c) r.completion = c;
      records.push(r);
    }
    return { records, nextCursor };
  }

  #completions(rows: EntryRow[]): Map<string, CompletionInfo> {
    const out = new Map<string, CompletionInfo>();
    if (rows.length === 0) return out;
    const ids = [...new Set(rows.map((r) => r.transaction_id))];
    const found = this.#stmt(
      `SELECT * FROM txlog_entries INDEXED BY txlog_entries_tx WHERE peer_id = ? AND transaction_id IN (${ids.map(() => '?').join(', ')}) AND kind = 'completion' ORDER BY seq`,
    ).all(this.peerId, ...ids) as EntryRow[];
    for (const c of found) {
      const key = `${c.transaction_id} ${c.direction}`;
      if (out.has(key)) continue;
      const info: CompletionInfo = {
        status: c.status ?? 0,
        duration_ms: c.duration_ms ?? 0,
        seq: c.seq,
        at_ms: c.at_ms,
      };
      if (c.error_code !== null) info.error_code = c.error_code;
      if (c.bytes !== null) info.bytes = c.bytes;
      if (c.aborted_by === 'client' || c.aborted_by === 'upstream') info.aborted_by = c.aborted_by;
      out.set(key, info);
    }
    return out;
  }

  // --- chain ---

  #anchorRow(): Anchor | undefined {
    const row = this.#stmt(
      'SELECT seq, hash, at_ms, cutoff_ms, jws FROM txlog_anchors WHERE peer_id = ? ORDER BY seq DESC LIMIT 1',
    ).get(this.peerId) as (Omit<Anchor, 'jws'> & { jws: string | null }) | undefined;
    if (!row) return undefined;
    const { jws, ...rest } = row;
    return jws === null ? rest : { ...rest, jws };
  }

  protected async readHead(): Promise<ChainHead | undefined> {
    await this.#indexed();
    return settle(() =>
      this.#read(
        () =>
          this.#stmt('SELECT seq, hash FROM txlog_head WHERE peer_id = ?').get(this.peerId) as ChainHead | undefined,
      ),
    );
  }

  #heads(afterSeq: number): SignedHead[] {
    const rows = this.#stmt(
      'SELECT seq, hash, at_ms, jws FROM txlog_heads WHERE peer_id = ? AND seq > ? ORDER BY seq',
    ).all(this.peerId, afterSeq) as (Omit<SignedHead, 'jws'> & { jws: string | null })[];
    return rows.map(({ jws, ...rest }) => (jws === null ? rest : { ...rest, jws }));
  }

  protected latestSignedHead(): Promise<SignedHead | undefined> {
    return settle(() => this.#read(() => this.#heads(-1).pop()));
  }

  protected storeSignedHead(head: SignedHead): Promise<void> {
    return settle(() => {
      this.#read(() =>
        this.#stmt('INSERT OR REPLACE INTO txlog_heads (peer_id, seq, hash, at_ms, jws) VALUES (?, ?, ?, ?, ?)').run(
          this.peerId,
          head.seq,
          head.hash,
          head.at_ms,
          head.jws ?? null,
        ),
      );
    });
  }

  protected newestAnchor(): Promise<Anchor | undefined> {
    return settle(() => this.#read(() => this.#anchorRow()));
  }

  protected async chainSource(): Promise<ChainSource> {
    await this.#indexed();
    return settle(() =>
      this.#read(() => {
        const anchor = this.#anchorRow();
        const heads = this.#heads(anchor?.seq ?? 0);
        const head = this.#stmt('SELECT seq, hash FROM txlog_head WHERE peer_id = ?').get(this.peerId) as
          ChainHead | undefined;
        const source: ChainSource = {
          peerId: this.peerId,
          anchor,
          head,
          heads,
          entries: (afterSeq, endSeq) => this.#scan(afterSeq, endSeq),
          hashAt: (seq) =>
            settle(
              () =>
                this.#read(() =>
                  this.#stmt('SELECT hash FROM txlog_entries WHERE peer_id = ? AND seq = ?')
                    .pluck()
                    .get(this.peerId, seq),
                ) as string | undefined,
            ),
        };
        return source;
      }),
    );
  }

  /** Entries in seq order, one page per macrotask so writers get their turn during a long verify. */
  async *#scan(afterSeq: number, endSeq: number): AsyncGenerator<ScanEntry> {
    let after = afterSeq;
    for (;;) {
      const rows = this.#read(
        () =>
          this.#stmt('SELECT * FROM txlog_entries WHERE peer_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?').all(
            this.peerId,
            after,
            endSeq,
            VERIFY_PAGE,
          ) as EntryRow[],
      );
      for (const row of rows) yield { body: rowToBody(row), hash: row.hash };
      if (rows.length < VERIFY_PAGE) return;
      after = (rows[rows.length - 1] as EntryRow).seq;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  protected async readPrefix(afterSeq: number, limit: number): Promise<PrefixEntry[]> {
    await this.#indexed();
    return settle(() => {
      const rows = this.#read(
        () =>
          this.#stmt('SELECT * FROM txlog_entries WHERE peer_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
            this.peerId,
            afterSeq,
            limit,
          ) as EntryRow[],
      );
      return rows.map((row) => ({ seq: row.seq, body: rowToBody(row), hash: row.hash }));
    });
  }

  protected cutPrefix(previous: Anchor | undefined, anchor: Anchor, entries: PrefixEntry[]): Promise<boolean> {
    return settle(() => {
      const db = this.#read(() => this.#usable());
      const from = previous?.seq ?? 0;
      const done = db
        .transaction(() => {
          if ((this.#anchorRow()?.seq ?? 0) !== from) return false;
          const first = (entries[0] as PrefixEntry).seq;
          for (const table of ['txlog_entries', 'txlog_subjects', 'txlog_parties']) {
            this.#stmt(`DELETE FROM ${table} WHERE peer_id = ? AND seq >= ? AND seq <= ?`).run(
              this.peerId,
              first,
              anchor.seq,
            );
          }
          this.#stmt('DELETE FROM txlog_heads WHERE peer_id = ? AND seq <= ?').run(this.peerId, anchor.seq);
          this.#stmt(
            'INSERT INTO txlog_anchors (peer_id, seq, hash, at_ms, cutoff_ms, jws) VALUES (?, ?, ?, ?, ?, ?)',
          ).run(this.peerId, anchor.seq, anchor.hash, anchor.at_ms, anchor.cutoff_ms, anchor.jws ?? null);
          return true;
        })
        .immediate();
      return done;
    });
  }

  protected async closeStore(): Promise<void> {
    await this.#writer.close();
    this.#discard();
  }
}

/** Runs a synchronous body as a promise, so a throw becomes a rejection as in the Redis store. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
