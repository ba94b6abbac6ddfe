// The face of gateway/txlog: the transaction-log stores (FSC Logging) with tamper evidence.
// Explicit named exports only.
export { createTxLog, txlogBackends } from './backends/index.ts';
export type { TxLogOptions } from './backends/index.ts';
export type { SqliteTxLogOptions } from './backends/sqlite/sqlite-txlog.ts';
export type { RedisTxLogOptions } from './backends/redis/redis-txlog.ts';

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
export { HeadVerifierError, writeError } from './errors.ts';
export type { JwsHeadSignerOptions, JwsHeadVerifierOptions } from './head-signing.ts';
export { createJwsHeadSigner, createJwsHeadVerifier } from './head-signing.ts';
export {
  validateRecord,
  validateCompletion,
  MAX_ADDITIONAL_DATA_KEYS,
  MAX_ADDITIONAL_DATA_VALUE,
} from './validation.ts';
export { SqliteTxLog, openSqliteTxLog } from './backends/sqlite/sqlite-txlog.ts';
export { RedisTxLog, openRedisTxLog } from './backends/redis/redis-txlog.ts';
export { parseTimeInput, toLocalInputValue, TimeInputError } from './time-input.ts';
export {
  CSV_COLUMNS,
  csvField,
  csvHeader,
  csvLine,
  exportContentType,
  exportLines,
  exportRow,
  isExportFormat,
  jsonlLine,
} from './export-format.ts';
export type { ExportFormat, ExportRow } from './export-format.ts';
