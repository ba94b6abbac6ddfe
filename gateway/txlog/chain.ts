// Linking new entries onto a chain head. Pure: both stores call it inside their commit, with the head
// they read (SQLite, inside the write transaction) or the head they expect (Redis, checked by the script).
import type { CompletionInput, EntryBody, LogRecord } from './types.ts';

/** A write waiting for its commit: the validated content and the time it was accepted. */
export type PendingEntry =
  | { kind: 'record'; record: LogRecord; at_ms: number }
  | { kind: 'completion'; completion: CompletionInput; at_ms: number };

export interface ChainHead {
  seq: number;
  hash: string;
}

export { linkEntries } from './chain-core.js';

/** The FSC record inside a record entry (without the chain fields). */
export function recordOf(entry: EntryBody & { kind: 'record' }): LogRecord {
  const r: LogRecord = {
    transaction_id: entry.transaction_id,
    direction: entry.direction,
    grant_hash: entry.grant_hash,
    source: entry.source,
    destination: entry.destination,
    service_name: entry.service_name,
    created_at: entry.created_at,
  };
  if (entry.trace_id !== undefined) r.trace_id = entry.trace_id;
  if (entry.span_id !== undefined) r.span_id = entry.span_id;
  if (entry.additional_data !== undefined) r.additional_data = entry.additional_data;
  return r;
}
