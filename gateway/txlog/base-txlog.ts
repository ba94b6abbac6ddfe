// What both stores share: validation, group commit, head signing, retention, streaming, tail fan-out and
// shutdown. A store supplies the storage primitives (commit a batch, query, read the chain, cut a prefix).
import { tryHashEntry } from './canonical.ts';
import { linkEntries, type ChainHead, type PendingEntry } from './chain.ts';
import { verifyChain, type ChainSource, type ScanEntry } from './chain-verify.ts';
import { writeError } from './errors.ts';
import { GroupCommitter } from './group-commit.ts';
import { normaliseQuery, type NormalisedQuery } from './query-params.ts';
import type {
  Anchor,
  AnchorPayload,
  Clock,
  CommonTxLogOptions,
  CompletionInput,
  HeadPayload,
  HeadSigner,
  HeadVerifier,
  LogRecord,
  PruneResult,
  SignedHead,
  SortOrder,
  StoredEntry,
  StoredRecord,
  TailListener,
  TxLog,
  TxLogFilter,
  TxLogLogger,
  TxLogPage,
  TxLogQueryResult,
  TxLogStats,
  VerifyOptions,
  VerifyResult,
  WriteReceipt,
} from './types.ts';
import { GENESIS_HASH } from './types.ts';
import { validateCompletion, validateRecord } from './validation.ts';

const DAY_MS = 86_400_000;
/** Entries removed per pruning step (one store transaction / script each), so writers are never held up long. */
export const PRUNE_BATCH = 500;

/** A prefix of the chain as read for pruning: entries in seq order from just after the anchor. */
export interface PrefixEntry extends ScanEntry {
  seq: number;
}

export abstract class BaseTxLog implements TxLog {
  abstract readonly kind: 'sqlite' | 'redis';
  readonly peerId: string;
  protected readonly clock: Clock;
  protected readonly logger: TxLogLogger | undefined;
  protected readonly signer: HeadSigner | undefined;
  protected readonly verifier: HeadVerifier | undefined;
  protected readonly retentionMs: number | undefined;
  protected readonly listeners = new Set<TailListener>();
  protected closed = false;
  protected casRetries = 0;
  readonly #committer: GroupCommitter<PendingEntry, WriteReceipt>;
  readonly #timers: NodeJS.Timeout[] = [];
  #signing: Promise<SignedHead | null> | undefined;
  #pruning: Promise<PruneResult> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: CommonTxLogOptions) {
    if (typeof options.peerId !== 'string' || options.peerId.length === 0) throw new TypeError('peerId is required');
    this.peerId = options.peerId;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.signer = options.signer;
    this.verifier = options.verifier;
    const retentionMs =
      options.retentionMs ?? (options.retentionDays === undefined ? undefined : options.retentionDays * DAY_MS);
    if (retentionMs !== undefined && !(retentionMs > 0)) throw new TypeError('retention must be positive');
    this.retentionMs = retentionMs;
    this.#committer = new GroupCommitter((items) => this.commitBatch(items), {
      windowMs: options.groupCommitWindowMs ?? 0,
      maxBatchSize: options.maxBatchSize ?? 1000,
      lazyDelayMs: options.completionDelayMs ?? 20,
    });
  }

  /** Starts the head-signing and pruning timers; the store calls it once it is open. */
  protected startTimers(options: CommonTxLogOptions): void {
    const headMs = options.headIntervalMs ?? 60_000;
    if (this.signer && headMs > 0) {
      this.#timers.push(
        setInterval(() => {
          this.signHead().catch((err: unknown) =>
            this.logger?.warn({ err: errInfo(err) }, 'txlog head signing failed'),
          );
        }, headMs).unref(),
      );
    }
    const pruneMs = options.pruneIntervalMs ?? 3_600_000;
    if (this.retentionMs !== undefined && pruneMs > 0) {
      this.#timers.push(
        setInterval(() => {
          this.prune().catch((err: unknown) => this.logger?.warn({ err: errInfo(err) }, 'txlog pruning failed'));
        }, pruneMs).unref(),
      );
    }
  }

  // --- storage primitives ---

  /**
   * Link and commit the entries durably; resolve with their receipts (the stored entries will do) in
   * order, or throw (nothing stored). Emit the stored entries to tail listeners when there are any.
   */
  protected abstract commitBatch(items: PendingEntry[]): Promise<readonly WriteReceipt[]>;
  protected abstract queryStore(q: NormalisedQuery): Promise<TxLogQueryResult>;
  protected abstract chainSource(): Promise<ChainSource>;
  /** The head of the chain now (undefined for an empty, never-pruned log). */
  protected abstract readHead(): Promise<ChainHead | undefined>;
  protected abstract latestSignedHead(): Promise<SignedHead | undefined>;
  protected abstract storeSignedHead(head: SignedHead): Promise<void>;
  protected abstract newestAnchor(): Promise<Anchor | undefined>;
  /** Up to `limit` entries with seq above `afterSeq`, in seq order. */
  protected abstract readPrefix(afterSeq: number, limit: number): Promise<PrefixEntry[]>;
  /**
   * Atomically remove `entries` (a verified prefix directly after `previous`) with their indexes, store
   * `anchor`, drop signed heads up to it. Returns false when another replica moved the anchor first.
   */
  protected abstract cutPrefix(previous: Anchor | undefined, anchor: Anchor, entries: PrefixEntry[]): Promise<boolean>;
  protected abstract closeStore(): Promise<void>;

  // --- writes ---

  write(record: LogRecord): Promise<WriteReceipt> {
    if (this.closed) return Promise.reject(writeError('closed'));
    let clean: LogRecord;
    try {
      clean = validateRecord(record);
    } catch (err) {
      return Promise.reject(writeError('invalid-record', err));
    }
    return this.#submit({ kind: 'record', record: clean, at_ms: this.clock() });
  }

  writeCompletion(completion: CompletionInput): Promise<WriteReceipt> {
    if (this.closed) return Promise.reject(writeError('closed'));
    let clean: CompletionInput;
    try {
      clean = validateCompletion(completion);
    } catch (err) {
      return Promise.reject(writeError('invalid-record', err));
    }
    // Nobody waits for a completion before answering: it joins the next group commit (lazy).
    return this.#submit({ kind: 'completion', completion: clean, at_ms: this.clock() }, true);
  }

  async #submit(p: PendingEntry, lazy = false): Promise<WriteReceipt> {
    const e = await this.#committer.submit(p, { lazy });
    return { seq: e.seq, hash: e.hash, at_ms: e.at_ms };
  }

  /** Helper for stores: link `items` after `head`. */
  protected link(head: ChainHead | undefined, items: readonly PendingEntry[]): StoredEntry[] {
    return linkEntries(this.peerId, head ?? { seq: 0, hash: GENESIS_HASH }, items);
  }

  /** True when someone tails the log (only then are stored entries built for {@link emit}). */
  protected get tailed(): boolean {
    return this.listeners.size > 0;
  }

  protected emit(entries: readonly StoredEntry[]): void {
    for (const entry of entries) {
      for (const listener of this.listeners) {
        try {
          listener(entry);
        } catch (err) {
          this.logger?.warn({ err: errInfo(err) }, 'txlog tail listener failed');
        }
      }
    }
  }

  // --- reads ---

  query(filter: TxLogFilter, page?: TxLogPage): Promise<TxLogQueryResult> {
    let q: NormalisedQuery;
    try {
      q = normaliseQuery(filter, page);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.queryStore(q);
  }

  async *stream(
    filter: TxLogFilter = {},
    options: { order?: SortOrder; batchSize?: number } = {},
  ): AsyncIterable<StoredRecord> {
    let cursor = '';
    do {
      const page: TxLogPage = { limit: options.batchSize ?? 500 };
      if (cursor) page.cursor = cursor;
      if (options.order) page.order = options.order;
      const result = await this.query(filter, page);
      yield* result.records;
      cursor = result.nextCursor;
    } while (cursor);
  }

  tail(listener: TailListener): Promise<() => void> {
    this.listeners.add(listener);
    return Promise.resolve(() => {
      this.listeners.delete(listener);
    });
  }

  stats(): TxLogStats {
    const c = this.#committer;
    return {
      commits: c.commits,
      failedCommits: c.failedCommits,
      entries: c.entries,
      casRetries: this.casRetries,
      pending: c.pending,
    };
  }

  // --- tamper evidence ---

  async verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    return verifyChain(await this.chainSource(), { verifier: this.verifier, from: options.from, to: options.to });
  }

  signHead(): Promise<SignedHead | null> {
    this.#signing ??= this.#signHead().finally(() => {
      this.#signing = undefined;
    });
    return this.#signing;
  }

  async #signHead(): Promise<SignedHead | null> {
    const signer = this.signer;
    if (!signer) return null;
    const head = await this.readHead();
    if (!head || head.seq === 0) return null;
    const last = await this.latestSignedHead();
    if (last && last.seq >= head.seq) return null;
    const payload: HeadPayload = {
      typ: 'koppel-txlog-head',
      v: 1,
      peer_id: this.peerId,
      seq: head.seq,
      hash: head.hash,
      at_ms: this.clock(),
    };
    const signed: SignedHead = { seq: head.seq, hash: head.hash, at_ms: payload.at_ms, jws: await signer(payload) };
    await this.storeSignedHead(signed);
    return signed;
  }

  // --- retention ---

  prune(nowMs?: number): Promise<PruneResult> {
    this.#pruning ??= this.#prune(nowMs ?? this.clock()).finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async #prune(nowMs: number): Promise<PruneResult> {
    const result: PruneResult = { removed: 0 };
    if (this.retentionMs === undefined || this.closed) return result;
    const cutoff = nowMs - this.retentionMs;
    for (;;) {
      const previous = await this.newestAnchor();
      const prefix = await this.readPrefix(previous?.seq ?? 0, PRUNE_BATCH);
      let expired = 0;
      while (expired < prefix.length && (prefix[expired]?.body?.at_ms ?? Number.POSITIVE_INFINITY) < cutoff) expired++;
      if (expired === 0) return result;
      const cut = prefix.slice(0, expired);
      // Never let retention erase evidence: only a prefix that still verifies is removed.
      const problem = checkPrefix(this.peerId, previous, cut);
      if (problem) {
        this.logger?.error({ seq: problem.seq }, 'txlog pruning refused: the chain does not verify');
        result.refused = `the chain does not verify at seq ${problem.seq}: ${problem.detail}`;
        return result;
      }
      const last = cut[cut.length - 1] as PrefixEntry;
      const anchor: Anchor = { seq: last.seq, hash: last.hash, at_ms: nowMs, cutoff_ms: cutoff };
      if (this.signer) {
        const payload: AnchorPayload = { typ: 'koppel-txlog-anchor', v: 1, peer_id: this.peerId, ...anchor };
        anchor.jws = await this.signer(payload);
      }
      if (!(await this.cutPrefix(previous, anchor, cut))) return result; // another replica is pruning
      result.removed += cut.length;
      result.anchor = anchor;
      if (expired < prefix.length || prefix.length < PRUNE_BATCH) return result;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  // --- shutdown ---

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.closed = true;
    for (const t of this.#timers) clearInterval(t);
    await this.#committer.drain();
    await this.#pruning?.catch(() => undefined);
    try {
      await this.signHead();
    } catch (err) {
      this.logger?.warn({ err: errInfo(err) }, 'txlog head signing at close failed');
    }
    this.listeners.clear();
    await this.closeStore();
  }
}

/** Checks that `cut` continues the chain right after `previous` and that every entry hashes correctly. */
function checkPrefix(
  peerId: string,
  previous: Anchor | undefined,
  cut: PrefixEntry[],
): { seq: number; detail: string } | undefined {
  let seq = previous?.seq ?? 0;
  let hash = previous?.hash ?? GENESIS_HASH;
  for (const e of cut) {
    seq++;
    const b = e.body;
    if (!b || b.seq !== seq) return { seq, detail: 'an entry is missing or out of order' };
    if (b.peer_id !== peerId || b.prev_hash !== hash || tryHashEntry(b) !== e.hash)
      return { seq, detail: 'an entry was altered' };
    hash = e.hash;
  }
  return undefined;
}

/** Error fields for a log line: name, code and message, never the cause's data. */
export function errInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }) };
  }
  return { message: String(err) };
}
