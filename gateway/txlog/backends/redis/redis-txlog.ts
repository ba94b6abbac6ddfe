// The shared transaction log on Redis, for several outway/inway replicas of one peer. Each replica
// group-commits its writes into one append script call; the script is a compare-and-set on the chain
// head, so replicas that race extend one chain instead of forking it (docs/transaction-log.md). The
// client fails fast: no offline queue, no resending, a command timeout — a stopped Redis turns into a
// rejected write within about a second, and the next write after it is back succeeds.
import { Redis } from 'ioredis';
import { runRedisScript } from '../../../redis/index.ts';
import { BaseTxLog, errInfo, type PrefixEntry } from '../../base-txlog.ts';
import { canonicalJson, parseEntryBody } from '../../canonical.ts';
import type { ChainHead, PendingEntry } from '../../chain.ts';
import { recordOf } from '../../chain.ts';
import type { ChainSource, ScanEntry } from '../../chain-verify.ts';
import { readError, writeError } from '../../errors.ts';
import { matchesFilter, encodeCursor, type NormalisedQuery } from '../../query-params.ts';
import { TxLogKeys } from './redis-keys.ts';
import { appendScript, cutScript } from './redis-scripts.ts';
import type {
  Anchor,
  CompletionInfo,
  EntryBody,
  CommonTxLogOptions,
  SignedHead,
  StoredEntry,
  StoredRecord,
  TailListener,
  TxLogQueryResult,
} from '../../types.ts';
import { GENESIS_HASH } from '../../types.ts';

const PAGE = 1000;

interface RedisPrefixEntry extends PrefixEntry {
  member: string;
}

/** Connects (waiting at most connectTimeoutMs; a Redis that is down does not stop startup) and opens the log. */
export interface RedisTxLogOptions extends CommonTxLogOptions {
  kind: 'redis';
  url: string;
  groupId: string;
  /** Prefix of every key; default `koppel`. */
  keyPrefix?: string;
  /** A command without a reply fails after this long; default 1000. */
  commandTimeoutMs?: number;
  /** Connecting gives up after this long; default 1000. */
  connectTimeoutMs?: number;
  /** Attempts at an append when other replicas keep moving the head; default 50. */
  maxCasRetries?: number;
}

export async function openRedisTxLog(options: RedisTxLogOptions): Promise<RedisTxLog> {
  const log = new RedisTxLog(options);
  await log.connect();
  return log;
}

export class RedisTxLog extends BaseTxLog {
  readonly kind = 'redis' as const;
  readonly keys: TxLogKeys;
  readonly #client: Redis;
  readonly #maxCasRetries: number;
  #subscriber: Redis | undefined;
  #subscribing: Promise<void> | undefined;
  #cachedHead: ChainHead | undefined;

  constructor(options: RedisTxLogOptions) {
    super(options);
    this.keys = new TxLogKeys(options.keyPrefix ?? 'koppel', options.groupId, options.peerId);
    this.#maxCasRetries = options.maxCasRetries ?? 50;
    const timeout = options.commandTimeoutMs ?? 1000;
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      // Fail closed and fast: a command while disconnected errors at once instead of waiting in a queue,
      // and a command in flight when the connection drops is rejected, never silently resent.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: timeout,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      retryStrategy: (times: number) => Math.min(50 * times, 500),
    });
    // Without a listener ioredis prints connection errors itself; ours go to the logger (no URL in them).
    this.#client.on('error', (err: Error) => this.logger?.warn({ err: { message: err.message } }, 'txlog redis error'));
    this.startTimers(options);
  }

  /** First connection; failures are logged, not thrown: writes fail closed until Redis answers. */
  async connect(): Promise<void> {
    try {
      await this.#client.connect();
    } catch (err) {
      this.logger?.warn({ err: errInfo(err) }, 'txlog redis not reachable at start');
    }
  }

  // --- writes ---

  protected async commitBatch(items: PendingEntry[]): Promise<StoredEntry[]> {
    let head = this.#cachedHead;
    if (!head) {
      try {
        head = await this.#fetchHead();
      } catch (err) {
        throw writeError('store-unavailable', err);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const entries = this.link(head, items);
      let reply: unknown;
      try {
        reply = await this.#append(head, entries);
      } catch (err) {
        this.#cachedHead = undefined;
        const message = err instanceof Error ? err.message : '';
        const corrupt = message.startsWith('TXLOG_HEAD_MISSING') || message.startsWith('TXLOG_ENTRY_EXISTS');
        this.logger?.error({ err: errInfo(err) }, 'txlog append failed');
        throw writeError(corrupt ? 'chain-corrupt' : 'store-unavailable', err);
      }
      const r = reply as [number, string?, string?];
      if (r[0] === 1) {
        const last = entries[entries.length - 1] as StoredEntry;
        this.#cachedHead = { seq: last.seq, hash: last.hash };
        return entries;
      }
      // Another replica appended first: link onto its head and try again.
      this.casRetries++;
      head = { seq: Number(r[1]), hash: String(r[2]) };
      if (attempt >= this.#maxCasRetries) {
        this.#cachedHead = undefined;
        throw writeError('chain-contention');
      }
    }
  }

  async #fetchHead(): Promise<ChainHead> {
    const [seq, hash] = await this.#client.hmget(this.keys.head, 'seq', 'hash');
    return typeof seq === 'string' && typeof hash === 'string'
      ? { seq: Number(seq), hash }
      : { seq: 0, hash: GENESIS_HASH };
  }

  #append(head: ChainHead, entries: StoredEntry[]): Promise<unknown> {
    const k = this.keys;
    const keys = [k.head, k.chain, k.anchors];
    const index = new Map<string, number>();
    const ref = (key: string): number => {
      let i = index.get(key);
      if (i === undefined) {
        keys.push(key);
        i = keys.length; // Lua KEYS are 1-based
        index.set(key, i);
      }
      return i;
    };
    const plan = entries.map((e) => {
      const { hash, ...body } = e;
      const step: { k: number; s: string; j: string; h: string; z: number[]; d?: number } = {
        k: ref(k.entry(String(e.seq))),
        s: String(e.seq),
        j: canonicalJson(body),
        h: hash,
        z: k.indexesOf(body).map(ref),
      };
      const pointer = k.pointerOf(body);
      if (pointer !== undefined) step.d = ref(pointer);
      return step;
    });
    const last = entries[entries.length - 1] as StoredEntry;
    const tail = JSON.stringify(plan.map((p) => [p.j, p.h]));
    return runRedisScript(this.#client, appendScript, keys, [
      String(head.seq),
      head.hash,
      String(last.seq),
      last.hash,
      JSON.stringify(plan),
      k.tail,
      tail,
      GENESIS_HASH,
    ]);
  }

  // --- live tail ---

  override async tail(listener: TailListener): Promise<() => void> {
    this.#subscribing ??= this.#subscribe().catch((err: unknown) => {
      this.#subscribing = undefined;
      throw readError(err);
    });
    await this.#subscribing;
    return super.tail(listener);
  }

  async #subscribe(): Promise<void> {
    // A subscribed connection cannot run other commands; it may queue while reconnecting (tail is best effort).
    const sub = this.#client.duplicate({ lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
    sub.on('error', (err: Error) =>
      this.logger?.warn({ err: { message: err.message } }, 'txlog redis subscriber error'),
    );
    this.#subscriber = sub;
    sub.on('message', (_channel: string, message: string) => this.#onTail(message));
    await sub.connect();
    await sub.subscribe(this.keys.tail);
  }

  #onTail(message: string): void {
    let pairs: unknown;
    try {
      pairs = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(pairs)) return;
    const entries: StoredEntry[] = [];
    for (const pair of pairs as unknown[]) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') continue;
      const body = parseEntryBody(pair[0]);
      if (body) entries.push({ ...body, hash: pair[1] });
    }
    this.emit(entries);
  }

  // --- reads ---

  async #load(members: readonly string[]): Promise<(ScanEntry & { member: string })[]> {
    if (members.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const m of members) pipeline.hmget(this.keys.entry(m), 'j', 'h');
    const replies = (await pipeline.exec()) ?? [];
    const out: (ScanEntry & { member: string })[] = [];
    members.forEach((member, i) => {
      const [err, value] = replies[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      const [j, h] = value as [string | null, string | null];
      if (j === null || h === null) return; // deleted entry: verify reports the gap
      out.push({ member, body: parseEntryBody(j), hash: h });
    });
    return out;
  }

  protected async queryStore(q: NormalisedQuery): Promise<TxLogQueryResult> {
    try {
      return await this.#query(q);
    } catch (err) {
      throw readError(err);
    }
  }

  async #query(q: NormalisedQuery): Promise<TxLogQueryResult> {
    const f = q.filter;
    const k = this.keys;
    const hits: { body: EntryBody & { kind: 'record' }; hash: string }[] = [];

    if (f.transactionIds) {
      const pipeline = this.#client.pipeline();
      for (const id of f.transactionIds) pipeline.zrange(k.transaction(id), '0', '-1');
      const members = ((await pipeline.exec()) ?? []).flatMap(([err, v]) => {
        if (err) throw err;
        return v as string[];
      });
      for (const e of await this.#load([...new Set(members)])) {
        if (
          e.body?.kind === 'record' &&
          matchesFilter(e.body, { ...(f.visibleTo === undefined ? {} : { visibleTo: f.visibleTo }) })
        ) {
          hits.push({ body: e.body, hash: e.hash });
        }
      }
      hits.sort((a, b) => (q.ascending ? a.body.seq - b.body.seq : b.body.seq - a.body.seq));
      return { records: await this.#withCompletions(hits), nextCursor: '' };
    }

    if ((f.grantHashes && f.grantHashes.length === 0) || (f.serviceNames && f.serviceNames.length === 0)) {
      return { records: [], nextCursor: '' };
    }
    // The most selective index drives the walk in seq order; matchesFilter applies the rest.
    const driver =
      f.dataSubject !== undefined
        ? k.subject(f.dataSubject)
        : f.processId !== undefined
          ? k.process(f.processId)
          : f.grantHashes?.length === 1
            ? k.grant(f.grantHashes[0] as string)
            : f.serviceNames?.length === 1
              ? k.service(f.serviceNames[0] as string)
              : f.peerId !== undefined
                ? k.party(f.peerId)
                : f.visibleTo !== undefined
                  ? k.party(f.visibleTo)
                  : k.records;
    const chunk = Math.min(PAGE, Math.max(100, (q.limit + 1) * 2));
    let bound = q.after;
    for (;;) {
      const members = q.ascending
        ? await this.#client.zrangebyscore(
            driver,
            bound === undefined ? '-inf' : `(${bound}`,
            '+inf',
            'LIMIT',
            0,
            chunk,
          )
        : await this.#client.zrevrangebyscore(
            driver,
            bound === undefined ? '+inf' : `(${bound}`,
            '-inf',
            'LIMIT',
            0,
            chunk,
          );
      for (const e of await this.#load(members)) {
        if (e.body?.kind !== 'record' || !matchesFilter(e.body, f)) continue;
        hits.push({ body: e.body, hash: e.hash });
        if (hits.length > q.limit) break;
      }
      if (hits.length > q.limit || members.length < chunk) break;
      bound = Number(members[members.length - 1]);
    }
    let nextCursor = '';
    if (hits.length > q.limit) {
      hits.length = q.limit;
      nextCursor = encodeCursor((hits[hits.length - 1] as (typeof hits)[number]).body.seq);
    }
    return { records: await this.#withCompletions(hits), nextCursor };
  }

  async #withCompletions(hits: { body: EntryBody & { kind: 'record' }; hash: string }[]): Promise<StoredRecord[]> {
    const completions = new Map<string, CompletionInfo>();
    if (hits.length > 0) {
      const pointers = await this.#client.mget(
        ...hits.map((h) => this.keys.done(h.body.transaction_id, h.body.direction)),
      );
      const members = pointers.filter((p): p is string => p !== null);
      for (const c of await this.#load(members)) {
        if (c.body?.kind !== 'completion') continue;
        const info: CompletionInfo = {
          status: c.body.status,
          duration_ms: c.body.duration_ms,
          seq: c.body.seq,
          at_ms: c.body.at_ms,
        };
        if (c.body.error_code !== undefined) info.error_code = c.body.error_code;
        if (c.body.bytes !== undefined) info.bytes = c.body.bytes;
        if (c.body.aborted_by !== undefined) info.aborted_by = c.body.aborted_by;
        completions.set(`${c.body.transaction_id} ${c.body.direction}`, info);
      }
    }
    return hits.map(({ body, hash }) => {
      const r: StoredRecord = {
        record: recordOf(body),
        peer_id: body.peer_id,
        seq: body.seq,
        prev_hash: body.prev_hash,
        hash,
        at_ms: body.at_ms,
      };
      const c = completions.get(`${body.transaction_id} ${body.direction}`);
      if (c) r.completion = c;
      return r;
    });
  }

  // --- chain ---

  protected async readHead(): Promise<ChainHead | undefined> {
    try {
      const [seq, hash] = await this.#client.hmget(this.keys.head, 'seq', 'hash');
      return typeof seq === 'string' && typeof hash === 'string' ? { seq: Number(seq), hash } : undefined;
    } catch (err) {
      throw readError(err);
    }
  }

  async #signedHeads(minExclusive: number): Promise<SignedHead[]> {
    const members = await this.#client.zrangebyscore(this.keys.heads, `(${minExclusive}`, '+inf');
    return members.flatMap((m) => {
      const h = parseJsonObject(m);
      if (!h || typeof h.seq !== 'number' || typeof h.hash !== 'string' || typeof h.at_ms !== 'number') return [];
      const head: SignedHead = { seq: h.seq, hash: h.hash, at_ms: h.at_ms };
      if (typeof h.jws === 'string') head.jws = h.jws;
      return [head];
    });
  }

  protected async latestSignedHead(): Promise<SignedHead | undefined> {
    try {
      const [member] = await this.#client.zrevrangebyscore(this.keys.heads, '+inf', '-inf', 'LIMIT', 0, 1);
      if (member === undefined) return undefined;
      const h = parseJsonObject(member);
      return h && typeof h.seq === 'number' ? { seq: h.seq, hash: String(h.hash), at_ms: Number(h.at_ms) } : undefined;
    } catch (err) {
      throw readError(err);
    }
  }

  protected async storeSignedHead(head: SignedHead): Promise<void> {
    try {
      await this.#client.zadd(this.keys.heads, head.seq, canonicalJson(head));
    } catch (err) {
      throw readError(err);
    }
  }

  protected async newestAnchor(): Promise<Anchor | undefined> {
    try {
      const [member] = await this.#client.zrevrange(this.keys.anchors, 0, 0);
      return member === undefined ? undefined : toAnchor(member);
    } catch (err) {
      throw readError(err);
    }
  }

  protected async chainSource(): Promise<ChainSource> {
    try {
      const anchor = await this.newestAnchor();
      const heads = await this.#signedHeads(anchor?.seq ?? 0);
      const head = await this.readHead();
      return {
        peerId: this.peerId,
        anchor,
        head,
        heads,
        entries: (afterSeq, endSeq) => this.#scan(afterSeq, endSeq),
        hashAt: async (seq) => (await this.#client.hget(this.keys.entry(String(seq)), 'h')) ?? undefined,
      };
    } catch (err) {
      throw readError(err);
    }
  }

  /**
   * The chain in storage order (score order of the chain set), paged by score. Members that share the
   * last score of a page are remembered so an inserted duplicate score is neither skipped nor repeated.
   */
  async *#scan(afterSeq: number, endSeq: number): AsyncGenerator<ScanEntry> {
    let min = `(${afterSeq}`;
    let seenAtMin = new Set<string>();
    for (;;) {
      const flat = await this.#client.zrangebyscore(this.keys.chain, min, endSeq, 'WITHSCORES', 'LIMIT', 0, PAGE);
      const page: { member: string; score: string }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2)
        page.push({ member: flat[i] as string, score: flat[i + 1] as string });
      const fresh = page.filter((p) => !(p.score === min.replace('(', '') && seenAtMin.has(p.member)));
      const loaded = await this.#load(fresh.map((p) => p.member));
      for (const e of loaded) yield { body: e.body, hash: e.hash };
      if (page.length < PAGE) return;
      const lastScore = (page[page.length - 1] as { score: string }).score;
      const atLast = page.filter((p) => p.score === lastScore).map((p) => p.member);
      seenAtMin = lastScore === min ? new Set([...seenAtMin, ...atLast]) : new Set(atLast);
      if (fresh.length === 0) return; // a page made only of members already seen: nothing further
      min = lastScore;
    }
  }

  protected async readPrefix(afterSeq: number, limit: number): Promise<PrefixEntry[]> {
    try {
      const flat = await this.#client.zrangebyscore(
        this.keys.chain,
        `(${afterSeq}`,
        '+inf',
        'WITHSCORES',
        'LIMIT',
        0,
        limit,
      );
      const members: string[] = [];
      const scores = new Map<string, number>();
      for (let i = 0; i + 1 < flat.length; i += 2) {
        members.push(flat[i] as string);
        scores.set(flat[i] as string, Number(flat[i + 1]));
      }
      const loaded = new Map((await this.#load(members)).map((e) => [e.member, e]));
      // A member without its entry stays in the list (body undefined), so pruning sees the gap and refuses.
      return members.map((m): RedisPrefixEntry => {
        const e = loaded.get(m);
        return { member: m, seq: scores.get(m) ?? Number.NaN, body: e?.body, hash: e?.hash ?? '' };
      });
    } catch (err) {
      throw readError(err);
    }
  }

  protected async cutPrefix(previous: Anchor | undefined, anchor: Anchor, entries: PrefixEntry[]): Promise<boolean> {
    const k = this.keys;
    const keys = [k.anchors, k.chain, k.heads];
    const index = new Map<string, number>();
    const ref = (key: string): number => {
      let i = index.get(key);
      if (i === undefined) {
        keys.push(key);
        i = keys.length;
        index.set(key, i);
      }
      return i;
    };
    const plan = (entries as RedisPrefixEntry[]).map((e) => {
      const body = e.body as EntryBody; // the prefix was verified, so every body is there
      const step: { k: number; m: string; z: number[]; d?: number } = {
        k: ref(k.entry(e.member)),
        m: e.member,
        z: k.indexesOf(body).map(ref),
      };
      const pointer = k.pointerOf(body);
      if (pointer !== undefined) step.d = ref(pointer);
      return step;
    });
    try {
      const done = await runRedisScript(this.#client, cutScript, keys, [
        String(previous?.seq ?? 0),
        String(anchor.seq),
        canonicalJson(anchor),
        JSON.stringify(plan),
      ]);
      return done === 1;
    } catch (err) {
      throw readError(err);
    }
  }

  protected async closeStore(): Promise<void> {
    for (const c of [this.#subscriber, this.#client]) {
      if (!c) continue;
      if (c.status === 'ready') {
        await c.quit().catch(() => c.disconnect());
      } else {
        c.disconnect();
      }
    }
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toAnchor(member: string): Anchor | undefined {
  const a = parseJsonObject(member);
  if (!a || typeof a.seq !== 'number' || typeof a.hash !== 'string') return undefined;
  const anchor: Anchor = { seq: a.seq, hash: a.hash, at_ms: Number(a.at_ms), cutoff_ms: Number(a.cutoff_ms) };
  if (typeof a.jws === 'string') anchor.jws = a.jws;
  return anchor;
}
