// The face of gateway/txlog: the transaction-log stores (FSC Logging) with tamper evidence.
// Explicit named exports only.
import { openRedisTxLog } from './redis-txlog.ts';
import { openSqliteTxLog } from './sqlite-txlog.ts';
import type { TxLog, TxLogOptions } from './types.ts';

/**
 * Open the transaction log of one peer: `{kind: 'sqlite', dataDir, peerId, …}` (embedded default) or
 * `{kind: 'redis', url, groupId, peerId, …}` (shared by replicas). Close it with `close()`.
 */
export async function createTxLog(options: TxLogOptions): Promise<TxLog> {
  switch (options.kind) {
    case 'sqlite':
      return openSqliteTxLog(options);
    case 'redis':
      return openRedisTxLog(options);
  }
}

export type {
  Direction,
  PlainSource,
  DelegatedSource,
  LogSource,
  PlainDestination,
  DelegatedDestination,
  LogDestination,
  AdditionalData,
  LogRecord,
  CompletionInput,
  ChainFields,
  RecordEntryBody,
  CompletionEntryBody,
  EntryBody,
  StoredEntry,
  CompletionInfo,
  StoredRecord,
  WriteReceipt,
  SortOrder,
  TxLogFilter,
  TxLogPage,
  TxLogQueryResult,
  HeadPayload,
  AnchorPayload,
  HeadSigner,
  HeadVerifier,
  SignedHead,
  Anchor,
  ChainBreakKind,
  ChainBreak,
  VerifyOptions,
  VerifyOk,
  VerifyBroken,
  VerifyResult,
  PruneResult,
  TxLogStats,
  TailListener,
  TxLog,
  Clock,
  TxLogLogger,
  CommonTxLogOptions,
  SqliteTxLogOptions,
  RedisTxLogOptions,
  TxLogOptions,
} from './types.ts';
export { GENESIS_HASH } from './types.ts';
export { canonicalJson, hashEntry } from './canonical.ts';
export {
  DATA_SUBJECT_KEY,
  PROCESS_ID_KEY,
  MAX_SUBJECTS_PER_RECORD,
  normaliseDataSubject,
  parseDataSubjects,
  subjectsOf,
  partiesOf,
  isPartyTo,
} from './index-terms.ts';
export {
  matchesFilter,
  encodeCursor,
  decodeCursor,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  MAX_TRANSACTION_IDS,
} from './query-params.ts';
export type { TxLogWriteFailure } from './errors.ts';
export type { JwsHeadSignerOptions, JwsHeadVerifierOptions } from './head-signing.ts';
export { createJwsHeadSigner, createJwsHeadVerifier } from './head-signing.ts';
export {
  validateRecord,
  validateCompletion,
  MAX_ADDITIONAL_DATA_KEYS,
  MAX_ADDITIONAL_DATA_VALUE,
} from './validation.ts';
export { SqliteTxLog, openSqliteTxLog } from './sqlite-txlog.ts';
export { RedisTxLog, openRedisTxLog } from './redis-txlog.ts';
