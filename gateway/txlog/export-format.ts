// The operator's export of the transaction log, as JSON Lines or CSV: one line per record with its
// purpose metadata, outcome and place in the chain. Shared by the console's export link and
// `koppel logs export`, so both produce the same file for the same records.
import { DATA_SUBJECT_KEY, PROCESS_ID_KEY } from './index-terms.ts';
import type { StoredRecord } from './types.ts';

export type ExportFormat = 'jsonl' | 'csv';

export function isExportFormat(value: unknown): value is ExportFormat {
  return value === 'jsonl' || value === 'csv';
}

/** One export line as an object (the JSON Lines form). */
export interface ExportRow {
  transaction_id: string;
  created_at: number;
  direction: string;
  service_name: string;
  grant_hash: string;
  source: StoredRecord['record']['source'];
  destination: StoredRecord['record']['destination'];
  trace_id?: string;
  span_id?: string;
  additional_data?: Record<string, string>;
  status?: number;
  duration_ms?: number;
  error_code?: string;
  peer_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
}

export function exportRow(s: StoredRecord): ExportRow {
  const r = s.record;
  const row: ExportRow = {
    transaction_id: r.transaction_id,
    created_at: r.created_at,
    direction: r.direction,
    service_name: r.service_name,
    grant_hash: r.grant_hash,
    source: r.source,
    destination: r.destination,
    peer_id: s.peer_id,
    seq: s.seq,
    prev_hash: s.prev_hash,
    hash: s.hash,
  };
  if (r.trace_id !== undefined) row.trace_id = r.trace_id;
  if (r.span_id !== undefined) row.span_id = r.span_id;
  if (r.additional_data !== undefined) row.additional_data = r.additional_data;
  if (s.completion) {
    row.status = s.completion.status;
    row.duration_ms = s.completion.duration_ms;
    if (s.completion.error_code !== undefined) row.error_code = s.completion.error_code;
  }
  return row;
}

/** CSV columns, in order. `created_at` is given twice: Unix seconds and ISO 8601 UTC, for spreadsheets. */
export const CSV_COLUMNS = [
  'created_at',
  'created_at_iso',
  'transaction_id',
  'direction',
  'service_name',
  'source_peer_id',
  'source_delegator_peer_id',
  'destination_peer_id',
  'destination_delegator_peer_id',
  'grant_hash',
  'process_id',
  'data_subject',
  'status',
  'duration_ms',
  'error_code',
  'trace_id',
  'span_id',
  'seq',
  'hash',
] as const;

/**
 * RFC 4180 quoting (a field with a comma, quote, CR or LF is quoted, quotes doubled), and a leading
 * apostrophe for text a spreadsheet would run as a formula (OWASP "CSV Injection"): purpose metadata
 * comes from applications and must not become a formula on the operator's machine.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvLine(s: StoredRecord): string {
  const r = s.record;
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | undefined> = {
    created_at: r.created_at,
    created_at_iso: new Date(r.created_at * 1000).toISOString(),
    transaction_id: r.transaction_id,
    direction: r.direction,
    service_name: r.service_name,
    source_peer_id: r.source.outway_peer_id,
    source_delegator_peer_id: r.source.type === 'SOURCE_TYPE_DELEGATED_SOURCE' ? r.source.delegator_peer_id : undefined,
    destination_peer_id: r.destination.service_peer_id,
    destination_delegator_peer_id:
      r.destination.type === 'DESTINATION_TYPE_DELEGATED_DESTINATION' ? r.destination.delegator_peer_id : undefined,
    grant_hash: r.grant_hash,
    process_id: r.additional_data?.[PROCESS_ID_KEY],
    data_subject: r.additional_data?.[DATA_SUBJECT_KEY],
    status: s.completion?.status,
    duration_ms: s.completion?.duration_ms,
    error_code: s.completion?.error_code,
    trace_id: r.trace_id,
    span_id: r.span_id,
    seq: s.seq,
    hash: s.hash,
  };
  return `${CSV_COLUMNS.map((c) => csvField(values[c])).join(',')}\r\n`;
}

export function jsonlLine(s: StoredRecord): string {
  return `${JSON.stringify(exportRow(s))}\n`;
}

/** The export as text chunks: the CSV header first, then one line per record. */
export async function* exportLines(records: AsyncIterable<StoredRecord>, format: ExportFormat): AsyncGenerator<string, void, undefined> {
  if (format === 'csv') yield csvHeader();
  const line = format === 'csv' ? csvLine : jsonlLine;
  for await (const s of records) yield line(s);
}

export function exportContentType(format: ExportFormat): string {
  return format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8';
}
