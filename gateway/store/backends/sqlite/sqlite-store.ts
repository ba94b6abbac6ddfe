// The embedded store: one SQLite file per manager (DESIGN.md "Storage": WAL, synchronous=FULL).
// better-sqlite3 is synchronous, so every write runs inside one transaction and a failure leaves nothing
// half-written; BEGIN IMMEDIATE takes the write lock up front, which also serialises outbox claims made by
// other processes that open the same file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ContractContent, ContractSignatures, GrantType, Protocol, SignatureType } from '../../../protocol/index.ts';
import { StoreError } from '../../errors.ts';
import {
  checkCreatedAt,
  checkLimit,
  decodeContractCursor,
  decodePeerCursor,
  encodeContractCursor,
  encodePeerCursor,
  isAscending,
} from '../../pagination.ts';
import { applyMigrations } from './sqlite-schema.ts';
import type {
  Clock,
  EnqueueInput,
  ListContractsOptions,
  ListPeersOptions,
  ManagerStore,
  MessageHandler,
  OutboxItem,
  OutboxKind,
  Page,
  PeerRecord,
  PutContractInput,
  PutContractOutcome,
  PutSignatureInput,
  PutSignatureOutcome,
  ServiceRecord,
  CommonStoreOptions,
  StoreLogger,
  StoredContract,
  Unsubscribe,
} from '../../types.ts';
import { checkTtlMs, DEFAULT_OUTBOX_LEASE_MS, emptySignatures } from '../../values.ts';

interface ContractRow {
  content_hash: string;
  created_at: number;
  content: string;
}

interface SignatureRow {
  content_hash: string;
  peer_id: string;
  type: SignatureType;
  jws: string;
}

interface PeerRow {
  id: string;
  name: string;
  manager_address: string;
  seen_at: number;
}

interface OutboxRow {
  id: string;
  peer_id: string;
  kind: OutboxKind;
  payload: string;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
  last_error: string | null;
  leased_until: number | null;
}

interface ServiceRow {
  name: string;
  endpoint_url: string;
  inway_address: string;
  protocol: Protocol;
}

/** Every fixed statement, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    contractExists: db.prepare<[string], 1>('SELECT 1 FROM contracts WHERE content_hash = ?').pluck(),
    contractByHash: db.prepare<[string], ContractRow>(
      'SELECT content_hash, created_at, content FROM contracts WHERE content_hash = ?',
    ),
    contractByIv: db.prepare<[string, string], ContractRow>(
      'SELECT content_hash, created_at, content FROM contracts WHERE group_id = ? AND iv = ?',
    ),
    contractsByGrantHash: db.prepare<[string], ContractRow>(
      `SELECT c.content_hash, c.created_at, c.content FROM contract_grants g
       JOIN contracts c ON c.content_hash = g.content_hash
       WHERE g.grant_hash = ? ORDER BY c.created_at, c.content_hash`,
    ),
    insertContract: db.prepare<[string, string, string, number, string]>(
      'INSERT INTO contracts (content_hash, group_id, iv, created_at, content) VALUES (?, ?, ?, ?, ?)',
    ),
    insertGrant: db.prepare<[string, string, GrantType, number]>(
      'INSERT OR IGNORE INTO contract_grants (grant_hash, content_hash, grant_type, created_at) VALUES (?, ?, ?, ?)',
    ),
    insertContractPeer: db.prepare<[string, string, number]>(
      'INSERT OR IGNORE INTO contract_peers (peer_id, content_hash, created_at) VALUES (?, ?, ?)',
    ),
    signaturesOf: db.prepare<[string], SignatureRow>(
      'SELECT content_hash, peer_id, type, jws FROM signatures WHERE content_hash IN (SELECT value FROM json_each(?))',
    ),
    insertSignature: db.prepare<[string, string, SignatureType, string, number]>(
      'INSERT OR IGNORE INTO signatures (content_hash, peer_id, type, jws, signed_at) VALUES (?, ?, ?, ?, ?)',
    ),
    peerExists: db.prepare<[string], 1>('SELECT 1 FROM peers WHERE id = ?').pluck(),
    upsertPeer: db.prepare<[string, string, string, number]>(
      `INSERT INTO peers (id, name, manager_address, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, manager_address = excluded.manager_address,
         seen_at = excluded.seen_at`,
    ),
    peerById: db.prepare<[string], PeerRow>('SELECT id, name, manager_address, seen_at FROM peers WHERE id = ?'),
    insertOutbox: db.prepare<[string, string, OutboxKind, string, number, number]>(
      `INSERT OR IGNORE INTO outbox (id, peer_id, kind, payload, created_at, next_attempt_at, attempts)
       VALUES (?, ?, ?, ?, ?, ?, 0)`,
    ),
    dueOutbox: db.prepare<[number, number], OutboxRow>(
      'SELECT * FROM outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?',
    ),
    leaseOutbox: db.prepare<[number, number, string]>(
      'UPDATE outbox SET next_attempt_at = ?, leased_until = ? WHERE id = ?',
    ),
    completeOutbox: db.prepare<[string]>('DELETE FROM outbox WHERE id = ?'),
    retryOutbox: db.prepare<[number, number, string, string]>(
      'UPDATE outbox SET next_attempt_at = ?, attempts = ?, last_error = ?, leased_until = NULL WHERE id = ?',
    ),
    pendingAll: db.prepare<[], OutboxRow>('SELECT * FROM outbox ORDER BY next_attempt_at, id'),
    pendingOfPeer: db.prepare<[string], OutboxRow>(
      'SELECT * FROM outbox WHERE peer_id = ? ORDER BY next_attempt_at, id',
    ),
    serviceExists: db.prepare<[string], 1>('SELECT 1 FROM services WHERE name = ?').pluck(),
    upsertService: db.prepare<[string, string, string, Protocol, number]>(
      `INSERT INTO services (name, endpoint_url, inway_address, protocol, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET endpoint_url = excluded.endpoint_url,
         inway_address = excluded.inway_address, protocol = excluded.protocol, updated_at = excluded.updated_at`,
    ),
    serviceByName: db.prepare<[string], ServiceRow>(
      'SELECT name, endpoint_url, inway_address, protocol FROM services WHERE name = ?',
    ),
    allServices: db.prepare<[], ServiceRow>(
      'SELECT name, endpoint_url, inway_address, protocol FROM services ORDER BY name',
    ),
    deleteService: db.prepare<[string]>('DELETE FROM services WHERE name = ?'),
    kvGet: db.prepare<[string], { value: string; expires_at: number | null }>(
      'SELECT value, expires_at FROM kv WHERE key = ?',
    ),
    kvSet: db.prepare<[string, string, number | null]>(
      'INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)',
    ),
    kvDelete: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
    kvDeleteExpired: db.prepare<[string, number]>('DELETE FROM kv WHERE key = ? AND expires_at <= ?'),
    kvPurge: db.prepare<[number]>('DELETE FROM kv WHERE expires_at <= ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** Named parameters of the generated listContracts statements (only the ones a shape uses are bound). */
type ListParams = Record<string, string | number>;

export interface SqliteStoreOptions extends CommonStoreOptions {
  kind: 'sqlite';
  dataDir: string;
  /** Base name of the file `<dataDir>/<fileName>.sqlite`; default `manager`. */
  fileName?: string;
}

export function openSqliteStore(options: SqliteStoreOptions): ManagerStore {
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, `${options.fileName ?? 'manager'}.sqlite`);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // DESIGN.md: a contract or signature we acknowledged must survive a power cut.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Case-insensitive "contains" with JavaScript's Unicode lower-casing, so SQLite and Redis agree (SQLite's
    // lower() only folds ASCII). manager.yaml GET /peers `peer_name`: "The search is case insensitive".
    db.function('koppel_contains', { deterministic: true }, (haystack: unknown, needle: unknown) =>
      String(haystack).toLowerCase().includes(String(needle).toLowerCase()) ? 1 : 0,
    );
    applyMigrations(db, options.clock ?? Date.now);
    return new SqliteStore(db, options);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Turns a synchronous body into a promise, so a throw becomes a rejection like in the Redis store. */
function run<T>(fn: () => T): Promise<T> {
  // The executor runs synchronously; a throw inside it rejects the promise.
  return new Promise<T>((resolve) => resolve(fn()));
}

class SqliteStore implements ManagerStore {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #logger: StoreLogger | undefined;
  readonly #listStatements = new Map<string, Database.Statement<[ListParams], ContractRow>>();
  readonly #channels = new Map<string, Set<MessageHandler>>();
  #closed = false;
  #writesSincePurge = 0;

  readonly #s: Statements;

  constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.#db = db;
    this.#clock = options.clock ?? Date.now;
    this.#leaseMs = options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
    this.#logger = options.logger;
    this.#s = prepareStatements(db);
  }

  // --- contracts and signatures ---

  putContract(input: PutContractInput): Promise<PutContractOutcome> {
    return run(() => {
      this.#assertOpen();
      const createdAt = checkCreatedAt(input.createdAt);
      const content = JSON.stringify(input.content);
      const tx = this.#db.transaction((): PutContractOutcome => {
        if (this.#s.contractExists.get(input.contentHash) !== undefined) return 'exists';
        if (this.#s.contractByIv.get(input.content.group_id, input.content.iv) !== undefined) return 'iv-taken';
        this.#s.insertContract.run(input.contentHash, input.content.group_id, input.content.iv, createdAt, content);
        for (const grant of input.grants) {
          this.#s.insertGrant.run(grant.hash, input.contentHash, grant.type, createdAt);
        }
        for (const peerId of input.peerIds) this.#s.insertContractPeer.run(peerId, input.contentHash, createdAt);
        return 'created';
      });
      return tx.immediate();
    });
  }

  getContract(contentHash: string): Promise<StoredContract | undefined> {
    return run(() => {
      this.#assertOpen();
      const row = this.#s.contractByHash.get(contentHash);
      return row ? this.#withSignatures([row])[0] : undefined;
    });
  }

  getContractByIv(groupId: string, iv: string): Promise<StoredContract | undefined> {
    return run(() => {
      this.#assertOpen();
      const row = this.#s.contractByIv.get(groupId, iv);
      return row ? this.#withSignatures([row])[0] : undefined;
    });
  }

  listContracts(options: ListContractsOptions): Promise<Page<StoredContract>> {
    return run(() => {
      this.#assertOpen();
      const limit = checkLimit(options.limit);
      const ascending = isAscending(options.sortOrder);
      const after = options.cursor === undefined ? undefined : decodeContractCursor(options.cursor);
      const params: ListParams = { limit: limit + 1 };
      const byPeer = options.peerId !== undefined;
      // With a peer filter the peer index (peer_id, created_at, content_hash) drives the scan in order.
      const t = byPeer ? 'p' : 'c';
      const where: string[] = [];
      if (byPeer) {
        where.push('p.peer_id = @peerId');
        params.peerId = options.peerId ?? '';
      }
      if (after) {
        where.push(`(${t}.created_at, ${t}.content_hash) ${ascending ? '>' : '<'} (@afterCreatedAt, @afterHash)`);
        params.afterCreatedAt = after.createdAt;
        params.afterHash = after.contentHash;
      }
      if (options.grantTypes && options.grantTypes.length > 0) {
        where.push(
          `EXISTS (SELECT 1 FROM contract_grants gt WHERE gt.content_hash = c.content_hash
             AND gt.grant_type IN (SELECT value FROM json_each(@grantTypes)))`,
        );
        params.grantTypes = JSON.stringify(options.grantTypes);
      }
      if (options.grantHashes && options.grantHashes.length > 0) {
        where.push(
          `c.content_hash IN (SELECT gh.content_hash FROM contract_grants gh
             WHERE gh.grant_hash IN (SELECT value FROM json_each(@grantHashes)))`,
        );
        params.grantHashes = JSON.stringify(options.grantHashes);
      }
      const direction = ascending ? 'ASC' : 'DESC';
      const sql =
        `SELECT c.content_hash, c.created_at, c.content FROM ` +
        (byPeer ? 'contract_peers p JOIN contracts c ON c.content_hash = p.content_hash' : 'contracts c') +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY ${t}.created_at ${direction}, ${t}.content_hash ${direction} LIMIT @limit`;
      const rows = this.#listStatement(sql).all(params);
      const more = rows.length > limit;
      const contracts = this.#withSignatures(more ? rows.slice(0, limit) : rows);
      const last = contracts[contracts.length - 1];
      return more && last
        ? {
            items: contracts,
            nextCursor: encodeContractCursor({ createdAt: last.createdAt, contentHash: last.contentHash }),
          }
        : { items: contracts };
    });
  }

  findByGrantHash(grantHash: string): Promise<StoredContract[]> {
    return run(() => {
      this.#assertOpen();
      return this.#withSignatures(this.#s.contractsByGrantHash.all(grantHash));
    });
  }

  putSignature(input: PutSignatureInput): Promise<PutSignatureOutcome> {
    return run(() => {
      this.#assertOpen();
      const tx = this.#db.transaction((): PutSignatureOutcome => {
        if (this.#s.contractExists.get(input.contentHash) === undefined) return 'no-contract';
        const result = this.#s.insertSignature.run(
          input.contentHash,
          input.peerId,
          input.type,
          input.jws,
          input.signedAt,
        );
        return result.changes > 0 ? 'created' : 'exists';
      });
      return tx.immediate();
    });
  }

  // --- peers ---

  upsertPeer(peer: PeerRecord): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      const tx = this.#db.transaction((): boolean => {
        const known = this.#s.peerExists.get(peer.id) !== undefined;
        this.#s.upsertPeer.run(peer.id, peer.name, peer.managerAddress, peer.seenAt);
        return !known;
      });
      return tx.immediate();
    });
  }

  getPeer(id: string): Promise<PeerRecord | undefined> {
    return run(() => {
      this.#assertOpen();
      const row = this.#s.peerById.get(id);
      return row ? toPeer(row) : undefined;
    });
  }

  listPeers(options: ListPeersOptions): Promise<Page<PeerRecord>> {
    return run(() => {
      this.#assertOpen();
      const limit = checkLimit(options.limit);
      const ascending = isAscending(options.sortOrder);
      const params: ListParams = { limit: limit + 1 };
      const where: string[] = [];
      if (options.cursor !== undefined) {
        where.push(`id ${ascending ? '>' : '<'} @after`);
        params.after = decodePeerCursor(options.cursor);
      }
      if (options.peerIds && options.peerIds.length > 0) {
        where.push('id IN (SELECT value FROM json_each(@peerIds))');
        params.peerIds = JSON.stringify(options.peerIds);
      }
      if (options.nameContains !== undefined && options.nameContains !== '') {
        where.push('koppel_contains(name, @name)');
        params.name = options.nameContains;
      }
      const sql =
        'SELECT id, name, manager_address, seen_at FROM peers' +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY id ${ascending ? 'ASC' : 'DESC'} LIMIT @limit`;
      const rows = (this.#listStatement(sql) as unknown as Database.Statement<[ListParams], PeerRow>).all(params);
      const more = rows.length > limit;
      const peers = (more ? rows.slice(0, limit) : rows).map(toPeer);
      const last = peers[peers.length - 1];
      return more && last ? { items: peers, nextCursor: encodePeerCursor(last.id) } : { items: peers };
    });
  }

  // --- outbox ---

  enqueue(item: EnqueueInput): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      const payload = JSON.stringify(item.payload);
      const result = this.#s.insertOutbox.run(
        item.id,
        item.peerId,
        item.kind,
        payload,
        this.#clock(),
        item.nextAttemptAt,
      );
      return result.changes > 0;
    });
  }

  due(now: number, limit: number): Promise<OutboxItem[]> {
    return run(() => {
      this.#assertOpen();
      checkLimit(limit);
      const leasedUntil = now + this.#leaseMs;
      const tx = this.#db.transaction((): OutboxItem[] => {
        const rows = this.#s.dueOutbox.all(now, limit);
        for (const row of rows) this.#s.leaseOutbox.run(leasedUntil, leasedUntil, row.id);
        return rows.map((row) => toOutboxItem({ ...row, next_attempt_at: leasedUntil, leased_until: leasedUntil }));
      });
      return tx.immediate();
    });
  }

  complete(id: string): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      return this.#s.completeOutbox.run(id).changes > 0;
    });
  }

  retry(id: string, nextAttemptAt: number, attempts: number, lastError: string): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      return this.#s.retryOutbox.run(nextAttemptAt, attempts, lastError, id).changes > 0;
    });
  }

  pending(peerId?: string): Promise<OutboxItem[]> {
    return run(() => {
      this.#assertOpen();
      const rows = peerId === undefined ? this.#s.pendingAll.all() : this.#s.pendingOfPeer.all(peerId);
      return rows.map(toOutboxItem);
    });
  }

  // --- services ---

  putService(service: ServiceRecord): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      const tx = this.#db.transaction((): boolean => {
        const known = this.#s.serviceExists.get(service.name) !== undefined;
        this.#s.upsertService.run(
          service.name,
          service.endpointUrl,
          service.inwayAddress,
          service.protocol,
          this.#clock(),
        );
        return !known;
      });
      return tx.immediate();
    });
  }

  getService(name: string): Promise<ServiceRecord | undefined> {
    return run(() => {
      this.#assertOpen();
      const row = this.#s.serviceByName.get(name);
      return row ? toService(row) : undefined;
    });
  }

  listServices(): Promise<ServiceRecord[]> {
    return run(() => {
      this.#assertOpen();
      return this.#s.allServices.all().map(toService);
    });
  }

  deleteService(name: string): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      return this.#s.deleteService.run(name).changes > 0;
    });
  }

  // --- key-value ---

  kvGet(key: string): Promise<string | undefined> {
    return run(() => {
      this.#assertOpen();
      const row = this.#s.kvGet.get(key);
      if (!row) return undefined;
      const now = this.#clock();
      if (row.expires_at !== null && row.expires_at <= now) {
        this.#s.kvDeleteExpired.run(key, now);
        return undefined;
      }
      return row.value;
    });
  }

  kvSet(key: string, value: string, ttlMs?: number): Promise<void> {
    return run(() => {
      this.#assertOpen();
      const now = this.#clock();
      const expiresAt = ttlMs === undefined ? null : now + checkTtlMs(ttlMs);
      this.#s.kvSet.run(key, value, expiresAt);
      // Expired entries nobody reads again would otherwise stay forever; sweep now and then.
      if (++this.#writesSincePurge >= 100) {
        this.#writesSincePurge = 0;
        this.#s.kvPurge.run(now);
      }
    });
  }

  kvDelete(key: string): Promise<boolean> {
    return run(() => {
      this.#assertOpen();
      const row = this.#s.kvGet.get(key);
      this.#s.kvDelete.run(key);
      return row !== undefined && (row.expires_at === null || row.expires_at > this.#clock());
    });
  }

  // --- pub/sub: one process, so the replicas are the subscribers of this instance ---

  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    return run(() => {
      this.#assertOpen();
      let handlers = this.#channels.get(channel);
      if (!handlers) {
        handlers = new Set();
        this.#channels.set(channel, handlers);
      }
      handlers.add(handler);
      return () => {
        const current = this.#channels.get(channel);
        current?.delete(handler);
        if (current?.size === 0) this.#channels.delete(channel);
        return Promise.resolve();
      };
    });
  }

  publish(channel: string, message: string): Promise<void> {
    return run(() => {
      this.#assertOpen();
      // Delivered after publish returns, like Redis, so a handler never runs inside the publisher's call.
      for (const handler of this.#channels.get(channel) ?? []) {
        void Promise.resolve()
          .then(() => handler(message))
          .catch((err: unknown) => this.#logger?.warn({ err, channel }, 'store subscriber failed'));
      }
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#channels.clear();
      this.#listStatements.clear();
      this.#db.close();
    }
    return Promise.resolve();
  }

  // --- helpers ---

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }

  #listStatement(sql: string): Database.Statement<[ListParams], ContractRow> {
    let statement = this.#listStatements.get(sql);
    if (!statement) {
      statement = this.#db.prepare<[ListParams], ContractRow>(sql);
      this.#listStatements.set(sql, statement);
    }
    return statement;
  }

  #withSignatures(rows: readonly ContractRow[]): StoredContract[] {
    if (rows.length === 0) return [];
    const signatures = new Map<string, ContractSignatures>();
    for (const row of rows) signatures.set(row.content_hash, emptySignatures());
    for (const sig of this.#s.signaturesOf.all(JSON.stringify(rows.map((r) => r.content_hash)))) {
      const map = signatures.get(sig.content_hash);
      if (map) map[sig.type][sig.peer_id] = sig.jws;
    }
    return rows.map((row) => ({
      contentHash: row.content_hash,
      content: JSON.parse(row.content) as ContractContent,
      createdAt: row.created_at,
      signatures: signatures.get(row.content_hash) ?? emptySignatures(),
    }));
  }
}

function toPeer(row: PeerRow): PeerRecord {
  return { id: row.id, name: row.name, managerAddress: row.manager_address, seenAt: row.seen_at };
}

function toService(row: ServiceRow): ServiceRecord {
  return { name: row.name, endpointUrl: row.endpoint_url, inwayAddress: row.inway_address, protocol: row.protocol };
}

function toOutboxItem(row: OutboxRow): OutboxItem {
  const item: OutboxItem = {
    id: row.id,
    peerId: row.peer_id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    attempts: row.attempts,
  };
  if (row.last_error !== null) item.lastError = row.last_error;
  if (row.leased_until !== null) item.leasedUntil = row.leased_until;
  return item;
}
