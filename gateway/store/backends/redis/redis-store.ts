// The shared store: several replicas of one peer's manager share its state in Redis (DESIGN.md "Storage").
// Every key of one peer is `<prefix>:{<groupId>:<peerId>}:…`; the braces are a Redis Cluster hash tag, so all
// of a peer's keys live in one slot and the Lua scripts may touch several of them atomically.
//
// Ordered lists use sorted sets whose members all have score 0 and are the sort key itself
// (`<createdAt, zero-padded>:<contentHash>`, or the peer id), so ZRANGEBYLEX pages through them in exactly
// the (createdAt, contentHash) order that the SQLite store's ORDER BY produces.
import { Redis } from 'ioredis';
import type { ContractContent, GrantType } from '../../../protocol/index.ts';
import { StoreError } from '../../errors.ts';
import {
  checkCreatedAt,
  checkLimit,
  compareContractPositions,
  compareStrings,
  contentHashOfSortKey,
  contractSortKey,
  decodeContractCursor,
  decodePeerCursor,
  encodeContractCursor,
  encodePeerCursor,
  isAscending,
} from '../../pagination.ts';
import {
  claimDueScript,
  completeScript,
  enqueueScript,
  putContractScript,
  putSignatureScript,
  retryScript,
} from './redis-scripts.ts';
import { runRedisScript } from '../../../redis/index.ts';
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
  CommonStoreOptions,
  ServiceRecord,
  StoreLogger,
  StoredContract,
  Unsubscribe,
} from '../../types.ts';
import { checkTtlMs, DEFAULT_OUTBOX_LEASE_MS, emptySignatures } from '../../values.ts';

/** Version of the key layout below; bumped when it changes incompatibly. */
const REDIS_SCHEMA_VERSION = 1;

/** Cap on one ZRANGEBYLEX batch while filtering a list. */
const SCAN_BATCH = 500;

const SIGNATURE_TYPES = ['accept', 'reject', 'revoke'] as const;

interface LoadedContract {
  contract: StoredContract;
  grantTypes: readonly GrantType[];
  peerIds: readonly string[];
}

interface OutboxHeader {
  id: string;
  peerId: string;
  kind: OutboxKind;
  payload: unknown;
  createdAt: number;
}

interface OutboxState {
  attempts: number;
  lastError: string;
}

class Keys {
  readonly base: string;

  constructor(prefix: string, groupId: string, peerId: string) {
    // A `{` or `}` inside the tag would move the hash tag and split a peer's keys over slots.
    if (/[{}]/.test(groupId) || /[{}]/.test(peerId)) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'groupId and peerId must not contain braces');
    }
    this.base = `${prefix}:{${groupId}:${peerId}}`;
  }

  get meta(): string {
    return `${this.base}:meta`;
  }
  contract(contentHash: string): string {
    return `${this.base}:contract:${contentHash}`;
  }
  get contracts(): string {
    return `${this.base}:contracts`;
  }
  contractsOfType(type: GrantType): string {
    return `${this.base}:contracts:type:${type}`;
  }
  contractsOfPeer(peerId: string): string {
    return `${this.base}:contracts:peer:${peerId}`;
  }
  grant(grantHash: string): string {
    return `${this.base}:grant:${grantHash}`;
  }
  get ivs(): string {
    return `${this.base}:ivs`;
  }
  get peers(): string {
    return `${this.base}:peers`;
  }
  get peerData(): string {
    return `${this.base}:peers:data`;
  }
  get outboxDue(): string {
    return `${this.base}:outbox:due`;
  }
  get outboxItems(): string {
    return `${this.base}:outbox:items`;
  }
  get outboxState(): string {
    return `${this.base}:outbox:state`;
  }
  get outboxLease(): string {
    return `${this.base}:outbox:lease`;
  }
  get outbox(): [string, string, string, string] {
    return [this.outboxDue, this.outboxItems, this.outboxState, this.outboxLease];
  }
  get services(): string {
    return `${this.base}:services`;
  }
  kv(key: string): string {
    return `${this.base}:kv:${key}`;
  }
  channel(channel: string): string {
    return `${this.base}:channel:${channel}`;
  }
}

export interface RedisStoreOptions extends CommonStoreOptions {
  kind: 'redis';
  url: string;
  groupId: string;
  peerId: string;
  /** First key segment; default `koppel`. Keys are `<keyPrefix>:{<groupId>:<peerId>}:…`. */
  keyPrefix?: string;
}

export async function openRedisStore(options: RedisStoreOptions): Promise<ManagerStore> {
  const keys = new Keys(options.keyPrefix ?? 'koppel', options.groupId, options.peerId);
  const client = new Redis(options.url, { lazyConnect: true });
  // Without a listener ioredis prints connection errors itself; they go to our logger instead (no URL in them).
  client.on('error', (err: Error) => options.logger?.warn({ err: { message: err.message } }, 'store redis error'));
  try {
    await client.connect();
    await client.hsetnx(keys.meta, 'schema', REDIS_SCHEMA_VERSION);
    const schema = Number(await client.hget(keys.meta, 'schema'));
    if (schema > REDIS_SCHEMA_VERSION) {
      throw new StoreError(
        'STORE_SCHEMA_TOO_NEW',
        `the Redis keys have schema version ${schema}; this Koppel knows up to ${REDIS_SCHEMA_VERSION}`,
      );
    }
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return new RedisStore(client, keys, options);
}

class RedisStore implements ManagerStore {
  readonly kind = 'redis' as const;
  readonly #client: Redis;
  readonly #keys: Keys;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #logger: StoreLogger | undefined;
  /** Dedicated connection for SUBSCRIBE (a subscribed connection cannot run other commands). */
  #subscriber: Redis | undefined;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  #closing: Promise<void> | undefined;

  constructor(client: Redis, keys: Keys, options: RedisStoreOptions) {
    this.#client = client;
    this.#keys = keys;
    this.#clock = options.clock ?? Date.now;
    this.#leaseMs = options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
    this.#logger = options.logger;
  }

  // --- contracts and signatures ---

  async putContract(input: PutContractInput): Promise<PutContractOutcome> {
    this.#assertOpen();
    const createdAt = checkCreatedAt(input.createdAt);
    const k = this.#keys;
    const grantTypes = [...new Set(input.grants.map((g) => g.type))];
    const peerIds = [...new Set(input.peerIds)];
    const indexes = [
      k.contracts,
      ...grantTypes.map((t) => k.contractsOfType(t)),
      ...peerIds.map((p) => k.contractsOfPeer(p)),
    ];
    const grantSets = [...new Set(input.grants.map((g) => k.grant(g.hash)))];
    const outcome = await runRedisScript(
      this.#client,
      putContractScript,
      [k.contract(input.contentHash), k.ivs, ...indexes, ...grantSets],
      [
        indexes.length,
        ivField(input.content.group_id, input.content.iv),
        input.contentHash,
        contractSortKey(createdAt, input.contentHash),
        JSON.stringify(input.content),
        createdAt,
        JSON.stringify(grantTypes),
        JSON.stringify(peerIds),
      ],
    );
    return outcome as PutContractOutcome;
  }

  async getContract(contentHash: string): Promise<StoredContract | undefined> {
    this.#assertOpen();
    const [loaded] = await this.#load([contentHash]);
    return loaded?.contract;
  }

  async getContractByIv(groupId: string, iv: string): Promise<StoredContract | undefined> {
    this.#assertOpen();
    const contentHash = await this.#client.hget(this.#keys.ivs, ivField(groupId, iv));
    return contentHash === null ? undefined : this.getContract(contentHash);
  }

  async listContracts(options: ListContractsOptions): Promise<Page<StoredContract>> {
    this.#assertOpen();
    const limit = checkLimit(options.limit);
    const ascending = isAscending(options.sortOrder);
    const after = options.cursor === undefined ? undefined : decodeContractCursor(options.cursor);
    const types = options.grantTypes && options.grantTypes.length > 0 ? new Set(options.grantTypes) : undefined;
    const peerId = options.peerId;
    let found: StoredContract[];

    if (options.grantHashes && options.grantHashes.length > 0) {
      // A grant hash names (almost always) one contract: gather, filter and order them here.
      const pipeline = this.#client.pipeline();
      for (const hash of options.grantHashes) pipeline.smembers(this.#keys.grant(hash));
      const hashes = new Set((await execPipeline<string[]>(pipeline)).flat());
      const direction = ascending ? 1 : -1;
      found = (await this.#load([...hashes]))
        .filter((c) => matches(c, types, peerId))
        .map((c) => c.contract)
        .filter((c) => after === undefined || direction * compareContractPositions(c, after) > 0)
        .sort((a, b) => direction * compareContractPositions(a, b))
        .slice(0, limit + 1);
    } else {
      // Walk the most selective index in order, checking the other filters on the loaded contracts.
      const onlyType = types?.size === 1 ? [...types][0] : undefined;
      const index =
        peerId !== undefined
          ? this.#keys.contractsOfPeer(peerId)
          : onlyType !== undefined
            ? this.#keys.contractsOfType(onlyType)
            : this.#keys.contracts;
      const indexCoversFilters = types === undefined || (peerId === undefined && onlyType !== undefined);
      const start = after === undefined ? undefined : contractSortKey(after.createdAt, after.contentHash);
      found = [];
      await this.#scanLex(index, ascending, start, indexCoversFilters ? limit + 1 : SCAN_BATCH, async (members) => {
        const loaded = await this.#load(members.map(contentHashOfSortKey));
        for (const c of loaded) {
          if (!matches(c, types, peerId)) continue;
          found.push(c.contract);
          if (found.length > limit) return false;
        }
        return true;
      });
    }

    const more = found.length > limit;
    const items = more ? found.slice(0, limit) : found;
    const last = items[items.length - 1];
    return more && last
      ? { items, nextCursor: encodeContractCursor({ createdAt: last.createdAt, contentHash: last.contentHash }) }
      : { items };
  }

  async findByGrantHash(grantHash: string): Promise<StoredContract[]> {
    this.#assertOpen();
    const hashes = await this.#client.smembers(this.#keys.grant(grantHash));
    return (await this.#load(hashes)).map((c) => c.contract).sort(compareContractPositions);
  }

  async putSignature(input: PutSignatureInput): Promise<PutSignatureOutcome> {
    this.#assertOpen();
    const outcome = await runRedisScript(
      this.#client,
      putSignatureScript,
      [this.#keys.contract(input.contentHash)],
      [`sig:${input.type}:${input.peerId}`, input.jws, `sigAt:${input.type}:${input.peerId}`, input.signedAt],
    );
    return outcome as PutSignatureOutcome;
  }

  // --- peers ---

  async upsertPeer(peer: PeerRecord): Promise<boolean> {
    this.#assertOpen();
    const record: PeerRecord = {
      id: peer.id,
      name: peer.name,
      managerAddress: peer.managerAddress,
      seenAt: peer.seenAt,
    };
    const [, added] = await execPipeline<number>(
      this.#client
        .multi()
        .hset(this.#keys.peerData, peer.id, JSON.stringify(record))
        .zadd(this.#keys.peers, 0, peer.id),
    );
    return added === 1;
  }

  async getPeer(id: string): Promise<PeerRecord | undefined> {
    this.#assertOpen();
    const json = await this.#client.hget(this.#keys.peerData, id);
    return json === null ? undefined : (JSON.parse(json) as PeerRecord);
  }

  async listPeers(options: ListPeersOptions): Promise<Page<PeerRecord>> {
    this.#assertOpen();
    const limit = checkLimit(options.limit);
    const ascending = isAscending(options.sortOrder);
    const after = options.cursor === undefined ? undefined : decodePeerCursor(options.cursor);
    const needle = options.nameContains ? options.nameContains.toLowerCase() : undefined;
    const accept = (p: PeerRecord): boolean => needle === undefined || p.name.toLowerCase().includes(needle);
    let found: PeerRecord[];

    if (options.peerIds && options.peerIds.length > 0) {
      const direction = ascending ? 1 : -1;
      found = (await this.#loadPeers([...new Set(options.peerIds)]))
        .filter(accept)
        .filter((p) => after === undefined || direction * compareStrings(p.id, after) > 0)
        .sort((a, b) => direction * compareStrings(a.id, b.id))
        .slice(0, limit + 1);
    } else {
      found = [];
      await this.#scanLex(
        this.#keys.peers,
        ascending,
        after,
        needle === undefined ? limit + 1 : SCAN_BATCH,
        async (ids) => {
          for (const peer of await this.#loadPeers(ids)) {
            if (!accept(peer)) continue;
            found.push(peer);
            if (found.length > limit) return false;
          }
          return true;
        },
      );
    }

    const more = found.length > limit;
    const items = more ? found.slice(0, limit) : found;
    const last = items[items.length - 1];
    return more && last ? { items, nextCursor: encodePeerCursor(last.id) } : { items };
  }

  // --- outbox ---

  async enqueue(item: EnqueueInput): Promise<boolean> {
    this.#assertOpen();
    const header: OutboxHeader = {
      id: item.id,
      peerId: item.peerId,
      kind: item.kind,
      payload: item.payload,
      createdAt: this.#clock(),
    };
    const added = await runRedisScript(
      this.#client,
      enqueueScript,
      [this.#keys.outboxItems, this.#keys.outboxDue],
      [item.id, JSON.stringify(header), item.nextAttemptAt],
    );
    return added === 1;
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    this.#assertOpen();
    checkLimit(limit);
    const leasedUntil = now + this.#leaseMs;
    const flat = (await runRedisScript(this.#client, claimDueScript, this.#keys.outbox, [
      now,
      leasedUntil,
      limit,
    ])) as string[];
    const items: OutboxItem[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const header = flat[i + 1];
      if (!header) continue;
      items.push(toOutboxItem(JSON.parse(header) as OutboxHeader, parseState(flat[i + 2]), leasedUntil, leasedUntil));
    }
    return items;
  }

  async complete(id: string): Promise<boolean> {
    this.#assertOpen();
    return (await runRedisScript(this.#client, completeScript, this.#keys.outbox, [id])) === 1;
  }

  async retry(id: string, nextAttemptAt: number, attempts: number, lastError: string): Promise<boolean> {
    this.#assertOpen();
    const state: OutboxState = { attempts, lastError };
    const updated = await runRedisScript(this.#client, retryScript, this.#keys.outbox, [
      id,
      nextAttemptAt,
      JSON.stringify(state),
    ]);
    return updated === 1;
  }

  async pending(peerId?: string): Promise<OutboxItem[]> {
    this.#assertOpen();
    const k = this.#keys;
    const [scored, headers, states, leases] = await execPipeline<unknown>(
      this.#client
        .multi()
        .zrangebyscore(k.outboxDue, '-inf', '+inf', 'WITHSCORES')
        .hgetall(k.outboxItems)
        .hgetall(k.outboxState)
        .hgetall(k.outboxLease),
    );
    const scoredList = scored as string[];
    const headerMap = headers as Record<string, string>;
    const stateMap = states as Record<string, string>;
    const leaseMap = leases as Record<string, string>;
    const items: OutboxItem[] = [];
    for (let i = 0; i + 1 < scoredList.length; i += 2) {
      const id = scoredList[i] ?? '';
      const header = headerMap[id];
      if (header === undefined) continue;
      const parsed = JSON.parse(header) as OutboxHeader;
      if (peerId !== undefined && parsed.peerId !== peerId) continue;
      const lease = leaseMap[id];
      items.push(
        toOutboxItem(
          parsed,
          parseState(stateMap[id]),
          Number(scoredList[i + 1]),
          lease === undefined ? undefined : Number(lease),
        ),
      );
    }
    // ZRANGE already orders by (score, member) = (nextAttemptAt, id).
    return items;
  }

  // --- services ---

  async putService(service: ServiceRecord): Promise<boolean> {
    this.#assertOpen();
    const record: ServiceRecord = {
      name: service.name,
      endpointUrl: service.endpointUrl,
      inwayAddress: service.inwayAddress,
      protocol: service.protocol,
    };
    return (await this.#client.hset(this.#keys.services, service.name, JSON.stringify(record))) === 1;
  }

  async getService(name: string): Promise<ServiceRecord | undefined> {
    this.#assertOpen();
    const json = await this.#client.hget(this.#keys.services, name);
    return json === null ? undefined : (JSON.parse(json) as ServiceRecord);
  }

  async listServices(): Promise<ServiceRecord[]> {
    this.#assertOpen();
    const all = await this.#client.hvals(this.#keys.services);
    return all.map((json) => JSON.parse(json) as ServiceRecord).sort((a, b) => compareStrings(a.name, b.name));
  }

  async deleteService(name: string): Promise<boolean> {
    this.#assertOpen();
    return (await this.#client.hdel(this.#keys.services, name)) === 1;
  }

  // --- key-value ---
  // The value carries its expiry by the store clock (so tests can move time); Redis' own PX expiry, set to the
  // same TTL, only reclaims memory.

  async kvGet(key: string): Promise<string | undefined> {
    this.#assertOpen();
    return this.#liveValue(await this.#client.get(this.#keys.kv(key)));
  }

  async kvSet(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#assertOpen();
    if (ttlMs === undefined) {
      await this.#client.set(this.#keys.kv(key), `|${value}`);
    } else {
      const expiresAt = this.#clock() + checkTtlMs(ttlMs);
      await this.#client.set(this.#keys.kv(key), `${expiresAt}|${value}`, 'PX', ttlMs);
    }
  }

  async kvDelete(key: string): Promise<boolean> {
    this.#assertOpen();
    return this.#liveValue(await this.#client.getdel(this.#keys.kv(key))) !== undefined;
  }

  // --- pub/sub ---

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.#assertOpen();
    const full = this.#keys.channel(channel);
    let handlers = this.#handlers.get(full);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(full, handlers);
    }
    handlers.add(handler);
    // SUBSCRIBE resolves when Redis confirmed it, so a publish that starts after this returns is delivered.
    try {
      await this.#subscriberConnection().subscribe(full);
    } catch (err) {
      handlers.delete(handler);
      throw err;
    }
    return async () => {
      const current = this.#handlers.get(full);
      if (!current?.delete(handler) || current.size > 0) return;
      this.#handlers.delete(full);
      if (this.#closing === undefined) await this.#subscriber?.unsubscribe(full);
    };
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#assertOpen();
    await this.#client.publish(this.#keys.channel(channel), message);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#handlers.clear();
      const clients = [this.#client, this.#subscriber].filter((c): c is Redis => c !== undefined);
      await Promise.all(
        clients.map(async (c) => {
          try {
            await c.quit();
          } catch {
            // Already disconnected: nothing left to release.
            c.disconnect();
          }
        }),
      );
    })();
    return this.#closing;
  }

  // --- helpers ---

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }

  #subscriberConnection(): Redis {
    if (!this.#subscriber) {
      const sub = this.#client.duplicate();
      sub.on('error', (err: Error) => this.#logger?.warn({ err: { message: err.message } }, 'store redis error'));
      sub.on('message', (channel: string, message: string) => {
        for (const handler of this.#handlers.get(channel) ?? []) {
          void Promise.resolve()
            .then(() => handler(message))
            .catch((err: unknown) => this.#logger?.warn({ err, channel }, 'store subscriber failed'));
        }
      });
      this.#subscriber = sub;
    }
    return this.#subscriber;
  }

  #liveValue(raw: string | null): string | undefined {
    if (raw === null) return undefined;
    const bar = raw.indexOf('|');
    const expiresAt = raw.slice(0, bar);
    if (expiresAt !== '' && Number(expiresAt) <= this.#clock()) return undefined;
    return raw.slice(bar + 1);
  }

  /**
   * Pages through a score-0 sorted set in lexicographic order, strictly after `after`, handing each batch to
   * `visit` until it returns false or the set is exhausted.
   */
  async #scanLex(
    key: string,
    ascending: boolean,
    after: string | undefined,
    batch: number,
    visit: (members: string[]) => Promise<boolean>,
  ): Promise<void> {
    let from = after === undefined ? (ascending ? '-' : '+') : `(${after}`;
    for (;;) {
      const members = ascending
        ? await this.#client.zrangebylex(key, from, '+', 'LIMIT', 0, batch)
        : await this.#client.zrevrangebylex(key, from, '-', 'LIMIT', 0, batch);
      const last = members[members.length - 1];
      if (last === undefined || !(await visit(members)) || members.length < batch) return;
      from = `(${last}`;
    }
  }

  async #load(contentHashes: readonly string[]): Promise<LoadedContract[]> {
    if (contentHashes.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const hash of contentHashes) pipeline.hgetall(this.#keys.contract(hash));
    const rows = await execPipeline<Record<string, string>>(pipeline);
    const loaded: LoadedContract[] = [];
    rows.forEach((fields, i) => {
      const contentHash = contentHashes[i];
      if (contentHash === undefined || fields.content === undefined) return;
      loaded.push(parseContract(contentHash, fields));
    });
    return loaded;
  }

  async #loadPeers(ids: readonly string[]): Promise<PeerRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#client.hmget(this.#keys.peerData, ...ids);
    return rows.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as PeerRecord);
  }
}

function ivField(groupId: string, iv: string): string {
  return `${groupId}\n${iv}`;
}

function matches(c: LoadedContract, types: ReadonlySet<GrantType> | undefined, peerId: string | undefined): boolean {
  if (types !== undefined && !c.grantTypes.some((t) => types.has(t))) return false;
  return peerId === undefined || c.peerIds.includes(peerId);
}

function parseContract(contentHash: string, fields: Record<string, string>): LoadedContract {
  const signatures = emptySignatures();
  for (const [field, value] of Object.entries(fields)) {
    if (!field.startsWith('sig:')) continue;
    for (const type of SIGNATURE_TYPES) {
      const prefix = `sig:${type}:`;
      if (field.startsWith(prefix)) signatures[type][field.slice(prefix.length)] = value;
    }
  }
  return {
    contract: {
      contentHash,
      content: JSON.parse(fields.content ?? 'null') as ContractContent,
      createdAt: Number(fields.createdAt),
      signatures,
    },
    grantTypes: JSON.parse(fields.grantTypes ?? '[]') as GrantType[],
    peerIds: JSON.parse(fields.peerIds ?? '[]') as string[],
  };
}

function parseState(json: string | undefined): OutboxState | undefined {
  return json ? (JSON.parse(json) as OutboxState) : undefined;
}

function toOutboxItem(
  header: OutboxHeader,
  state: OutboxState | undefined,
  nextAttemptAt: number,
  leasedUntil: number | undefined,
): OutboxItem {
  const item: OutboxItem = {
    id: header.id,
    peerId: header.peerId,
    kind: header.kind,
    payload: header.payload,
    createdAt: header.createdAt,
    nextAttemptAt,
    attempts: state?.attempts ?? 0,
  };
  if (state) item.lastError = state.lastError;
  if (leasedUntil !== undefined) item.leasedUntil = leasedUntil;
  return item;
}

/** Runs a pipeline or MULTI and returns its results, rejecting with the first command error. */
async function execPipeline<T>(pipeline: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<T[]> {
  const results = await pipeline.exec();
  if (results === null) throw new StoreError('STORE_CLOSED', 'the Redis transaction was aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value as T;
  });
}
