// The transaction log: the FSC Logging record (fsc-logging "Log record", logging.yaml `logRecord`), the
// local chain fields that make the log tamper-evident, and the TxLog interface both stores implement.
// Field names of the FSC record stay snake_case exactly as on the wire, so a record can be returned by
// GET /v1/logs without mapping; our own local fields are snake_case too because they are hashed together
// with the record (docs/transaction-log.md "Canonical form").

export type Direction = 'DIRECTION_INCOMING' | 'DIRECTION_OUTGOING';

/** logging.yaml `source`: the peer whose outway sent the request. */
export interface PlainSource {
  type: 'SOURCE_TYPE_SOURCE';
  outway_peer_id: string;
}

/** logging.yaml `sourceDelegated`: the outway's peer acts on behalf of `delegator_peer_id` (token `cdi`). */
export interface DelegatedSource {
  type: 'SOURCE_TYPE_DELEGATED_SOURCE';
  outway_peer_id: string;
  delegator_peer_id: string;
}

export type LogSource = PlainSource | DelegatedSource;

/** logging.yaml `destination`: the peer offering the service. */
export interface PlainDestination {
  type: 'DESTINATION_TYPE_DESTINATION';
  service_peer_id: string;
}

/** logging.yaml `destinationDelegated`: the service is offered on behalf of `delegator_peer_id` (token `pdi`). */
export interface DelegatedDestination {
  type: 'DESTINATION_TYPE_DELEGATED_DESTINATION';
  service_peer_id: string;
  delegator_peer_id: string;
}

export type LogDestination = PlainDestination | DelegatedDestination;

/**
 * Keys of `additional_data` under which the outway keeps the NLX purpose metadata (the same keys as
 * gateway/protocol `purposeHeaders`). `data_subject` holds the header value as sent, e.g.
 * `bsn=123456789,kenteken=AB-12-CD`; every `type=value` part is indexed for the data-subject search.
 */
export type AdditionalData = Record<string, string>;

/**
 * One FSC Logging record (fsc-logging "Log record"). `created_at` is a Unix timestamp in SECONDS:
 * logging.yaml `timestamp` is `integer/int64`, example 1672527600, and the spec's table says uint64.
 */
export interface LogRecord {
  /** UUID (v7 when Koppel's outway creates it; the inway takes the outway's `Fsc-Transaction-Id`). */
  transaction_id: string;
  direction: Direction;
  grant_hash: string;
  source: LogSource;
  destination: LogDestination;
  service_name: string;
  /** Unix seconds. */
  created_at: number;
  /** W3C trace-id from `traceparent`, 32 lower-case hex characters (16 bytes). */
  trace_id?: string;
  /** W3C parent-id from `traceparent`, 16 lower-case hex characters (8 bytes). */
  span_id?: string;
  additional_data?: AdditionalData;
}

/**
 * How a logged call ended. Written as a SEPARATE chained entry after the response, because the record
 * itself must be durable before the request is forwarded (fsc-logging: "MUST deny the request if the
 * record could not be written") and a chained entry is never changed afterwards.
 */
export interface CompletionInput {
  transaction_id: string;
  direction: Direction;
  /** HTTP status returned to the client (or 0 when the connection failed before a status). */
  status: number;
  duration_ms: number;
  /** `Fsc-Error-Code` when the gateway itself answered with an error, or of the failure that cut the answer. */
  error_code?: string;
  /** Response body bytes passed to the client (absent in entries written before it was recorded). */
  bytes?: number;
  /** Who ended the call before its answer was complete: the client, or the next hop (upstream). */
  aborted_by?: 'client' | 'upstream';
}

/** Chain fields every entry carries; hashed together with the content. */
export interface ChainFields {
  /** Format version of the canonical form; 1. */
  v: 1;
  /** The peer whose log this is (the writer); one chain per peer per store. */
  peer_id: string;
  /** 1, 2, 3, … without gaps within one peer's chain. */
  seq: number;
  /** `hash` of the entry with seq − 1, the pruning anchor's hash, or {@link GENESIS_HASH} for seq 1. */
  prev_hash: string;
  /** Writer's clock (Unix milliseconds) when the entry was accepted; used for retention. */
  at_ms: number;
}

export interface RecordEntryBody extends ChainFields, LogRecord {
  kind: 'record';
}

export interface CompletionEntryBody extends ChainFields, CompletionInput {
  kind: 'completion';
}

/** Exactly what is hashed: SHA-256 over the canonical JSON of this object. */
export type EntryBody = RecordEntryBody | CompletionEntryBody;

/** An entry as stored: the body plus its hash (lower-case hex SHA-256). */
export type StoredEntry = EntryBody & { hash: string };

/** The completion of a record, joined at query time (it is its own chained entry). */
export interface CompletionInfo {
  status: number;
  duration_ms: number;
  error_code?: string;
  bytes?: number;
  aborted_by?: 'client' | 'upstream';
  seq: number;
  at_ms: number;
}

/** A record as returned by query/stream: the FSC record, where it sits in the chain, and its completion. */
export interface StoredRecord {
  record: LogRecord;
  peer_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
  at_ms: number;
  completion?: CompletionInfo;
}

/** What `write` resolves with once the entry is durable. */
export interface WriteReceipt {
  seq: number;
  hash: string;
  at_ms: number;
}

/** prev_hash of the first entry of a chain that was never pruned: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

// --- query ---

export type SortOrder = 'SORT_ORDER_ASCENDING' | 'SORT_ORDER_DESCENDING';

/**
 * Filters of a log query. The FSC ones (logging.yaml GET /logs) and our console's extras combine with
 * AND; the values inside one array combine with OR (logging.yaml: "records where either condition is
 * true"). `transactionIds` overrides every other filter and pagination, `visibleTo` excepted.
 */
export interface TxLogFilter {
  /**
   * fsc-logging Manager "Providing TransactionLog records": only records where this peer is
   * `source.outway_peer_id`, `source.delegator_peer_id`, `destination.service_peer_id` or
   * `destination.delegator_peer_id`. The manager MUST set it to the calling peer for GET /v1/logs;
   * leave it out only for the operator's own console.
   */
  visibleTo?: string;
  /** Records with created_at strictly after this Unix time (seconds). */
  after?: number;
  /** Records with created_at strictly before this Unix time (seconds). */
  before?: number;
  grantHashes?: readonly string[];
  serviceNames?: readonly string[];
  /** Overrides all other filters (except visibleTo) and the pagination (logging.yaml `transaction_ids`). */
  transactionIds?: readonly string[];
  // --- console extras ---
  /** One data subject `type=value`, e.g. `bsn=123456789` (type compared case-insensitively). */
  dataSubject?: string;
  processId?: string;
  /** Records where this peer is a party (source, destination or a delegator). */
  peerId?: string;
  direction?: Direction;
}

export interface TxLogPage {
  /** `next_cursor` of the previous page; absent or empty for the first page. */
  cursor?: string;
  /** 1–1000, default 25 (logging.yaml queryPaginationLimit). */
  limit?: number;
  /** Default ascending (oldest first). */
  order?: SortOrder;
}

export interface TxLogQueryResult {
  records: StoredRecord[];
  /** Empty when there are no more records (logging.yaml paginationResult). */
  nextCursor: string;
}

// --- tamper evidence ---

/** The signed statement "peer X's chain had entry seq with this hash at this time". */
export interface HeadPayload {
  typ: 'koppel-txlog-head';
  v: 1;
  peer_id: string;
  seq: number;
  hash: string;
  /** Unix milliseconds (writer's clock) when the head was signed. */
  at_ms: number;
}

/** The signed statement "peer X's entries up to seq were removed by retention; the last had this hash". */
export interface AnchorPayload {
  typ: 'koppel-txlog-anchor';
  v: 1;
  peer_id: string;
  /** Last removed seq; the chain continues at seq + 1 with prev_hash = hash. */
  seq: number;
  hash: string;
  /** Unix milliseconds when the cut was made. */
  at_ms: number;
  /** Entries older than this (Unix milliseconds) were due for removal. */
  cutoff_ms: number;
}

/** Signs a head or anchor payload; returns a JWS in compact serialisation (header with `x5t#S256`). */
export type HeadSigner = (payload: HeadPayload | AnchorPayload) => Promise<string>;

/** Checks a compact JWS made by a {@link HeadSigner}; resolves with its payload (parsed JSON), rejects when invalid. */
export type HeadVerifier = (jws: string) => Promise<unknown>;

export interface SignedHead {
  seq: number;
  hash: string;
  at_ms: number;
  /** Absent when the store runs without a signer. */
  jws?: string;
}

export interface Anchor {
  seq: number;
  hash: string;
  at_ms: number;
  cutoff_ms: number;
  jws?: string;
}

/** What kind of break `verify` found. */
export type ChainBreakKind =
  /** The entry's content does not hash to its stored hash: it was altered. */
  | 'hash-mismatch'
  /** The entry's prev_hash is not the hash of the entry before it (that one was replaced or rehashed). */
  | 'prev-hash-mismatch'
  /** A seq is absent: the entry was deleted (or the end of the log was cut off). */
  | 'missing-seq'
  /** Entries are out of order: this one belongs at another seq. */
  | 'reordered'
  /** An entry was added that the writer never wrote. */
  | 'inserted'
  /** A signed head or anchor has an invalid signature, or its payload differs from what is stored with it. */
  | 'head-signature-invalid'
  /** A correctly signed head names a hash that the entry at that seq does not have. */
  | 'head-mismatch';

export interface ChainBreak {
  what: ChainBreakKind;
  /** The seq stored on the offending entry (or the missing seq). */
  seq: number;
  /** The seq at which the chain expected an entry here. */
  expectedSeq?: number;
  /** transaction_id of the offending entry, when there is one. */
  transactionId?: string;
  /** A sentence for the operator; never contains record data beyond ids. */
  detail: string;
}

export interface VerifyOptions {
  /** First seq to check; default: just after the newest anchor. */
  from?: number;
  /** Last seq to check; default: the head when verify starts. */
  to?: number;
}

export interface VerifyOk {
  ok: true;
  /** Entries checked (records and completions). */
  records: number;
  /** Signed heads checked. */
  heads: number;
  /** False when no verifier was configured: heads were compared by hash only. */
  signaturesChecked: boolean;
  /** The anchor verification started from, if the log was pruned. */
  anchor?: Anchor;
  /** Seq and hash of the last entry checked (0 and the start hash for an empty log). */
  lastSeq: number;
  lastHash: string;
  /** Entries after the newest signed head: their integrity rests on the chain alone until the next head. */
  unsignedTail: number;
}

export interface VerifyBroken {
  ok: false;
  records: number;
  heads: number;
  firstBroken: ChainBreak;
}

export type VerifyResult = VerifyOk | VerifyBroken;

export interface PruneResult {
  /** Entries removed. */
  removed: number;
  /** The new anchor, when anything was removed. */
  anchor?: Anchor;
  /** Why nothing (more) was removed, when the chain below the cutoff did not verify. */
  refused?: string;
}

export interface TxLogStats {
  /** Store transactions (SQLite) or append scripts (Redis) that committed; one per group commit. */
  commits: number;
  failedCommits: number;
  /** Entries committed (records and completions). */
  entries: number;
  /** Redis only: appends retried because another replica moved the head first. */
  casRetries: number;
  /** Writes waiting for the next commit. */
  pending: number;
}

export type TailListener = (entry: StoredEntry) => void;

/** A transaction log store: one peer's chain in SQLite or Redis. */
export interface TxLog {
  /** The backend's name, as in `txlog.kind` (backends/index.ts). */
  readonly kind: string;
  readonly peerId: string;
  /**
   * Append a record. Resolves only when it is durable (committed; SQLite: fsynced). Rejects with an
   * FscError `TRANSACTION_LOG_WRITE_ERROR` when it is not, and then nothing of it is stored; the caller
   * must refuse the request (fsc-logging Outway/Inway "MUST deny the request").
   */
  write(record: LogRecord): Promise<WriteReceipt>;
  /** Append the completion of a record (status, duration). Same durability; the caller only logs a failure. */
  writeCompletion(completion: CompletionInput): Promise<WriteReceipt>;
  query(filter: TxLogFilter, page?: TxLogPage): Promise<TxLogQueryResult>;
  /** Every record matching the filter, in pages, for exports. */
  stream(filter?: TxLogFilter, options?: { order?: SortOrder; batchSize?: number }): AsyncIterable<StoredRecord>;
  /** Live tail: the listener sees every entry committed after the returned promise resolves (best effort). */
  tail(listener: TailListener): Promise<() => void>;
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /** Sign the current head now (also runs on an interval and at close). Null when nothing new to sign. */
  signHead(): Promise<SignedHead | null>;
  /** Remove entries older than the retention period, leaving a signed anchor. */
  prune(nowMs?: number): Promise<PruneResult>;
  stats(): TxLogStats;
  /** Waits for pending writes, signs the head, releases the store. Idempotent. */
  close(): Promise<void>;
}

// --- construction ---

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

/** Minimal logger (pino-compatible) for failures nobody awaits (timers, listeners). */
export interface TxLogLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CommonTxLogOptions {
  /** The peer whose log this is (OIN). */
  peerId: string;
  signer?: HeadSigner;
  verifier?: HeadVerifier;
  clock?: Clock;
  logger?: TxLogLogger;
  /** Keep entries this many days (fractional allowed); default: forever. */
  retentionDays?: number;
  /** Same in milliseconds; wins over retentionDays. */
  retentionMs?: number;
  /** Interval of head signing; default 60 000; 0 switches the timer off (close still signs). */
  headIntervalMs?: number;
  /** Interval of retention pruning when a retention is set; default 3 600 000; 0 switches the timer off. */
  pruneIntervalMs?: number;
  /** How long the first write of a group waits for company before its commit; default 0 (next macrotask). */
  groupCommitWindowMs?: number;
  /** Most entries in one commit; default 1000. */
  maxBatchSize?: number;
  /**
   * Longest a completion entry waits to share the next group commit before it is committed on its own;
   * default 20, 0 commits it like a record. Records are never delayed.
   */
  completionDelayMs?: number;
}

