// SQLite row → entry body (the writer thread, sqlite-writer-thread.js, maps entries to rows). rowToBody takes EVERY non-null column into the body, so a value written into a
// column that the original entry did not have (a delegator on a plain source, a status on a record)
// changes the canonical form and breaks the hash just like a changed value does.
import type { EntryRow } from './sqlite-schema.ts';
import type { EntryBody, StoredEntry } from '../../types.ts';

function put(o: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== null && value !== undefined) o[key] = value;
}

/** The body exactly as stored (what verify hashes). */
export function rowToBody(r: EntryRow): EntryBody {
  const o: Record<string, unknown> = {};
  for (const k of ['v', 'peer_id', 'seq', 'prev_hash', 'at_ms', 'kind', 'transaction_id', 'direction'] as const)
    put(o, k, r[k]);
  for (const k of [
    'grant_hash',
    'service_name',
    'created_at',
    'trace_id',
    'span_id',
    'status',
    'duration_ms',
    'error_code',
    'bytes',
    'aborted_by',
  ] as const) {
    put(o, k, r[k]);
  }
  if (r.source_type !== null || r.source_outway_peer_id !== null || r.source_delegator_peer_id !== null) {
    const s: Record<string, unknown> = {};
    put(s, 'type', r.source_type);
    put(s, 'outway_peer_id', r.source_outway_peer_id);
    put(s, 'delegator_peer_id', r.source_delegator_peer_id);
    o.source = s;
  }
  if (
    r.destination_type !== null ||
    r.destination_service_peer_id !== null ||
    r.destination_delegator_peer_id !== null
  ) {
    const d: Record<string, unknown> = {};
    put(d, 'type', r.destination_type);
    put(d, 'service_peer_id', r.destination_service_peer_id);
    put(d, 'delegator_peer_id', r.destination_delegator_peer_id);
    o.destination = d;
  }
  if (r.additional_data !== null) {
    try {
      o.additional_data = JSON.parse(r.additional_data) as unknown;
    } catch {
      o.additional_data = r.additional_data; // unparseable: kept as text, so the hash no longer matches
    }
  }
  return o as unknown as EntryBody;
}

export function rowToEntry(r: EntryRow): StoredEntry {
  return { ...rowToBody(r), hash: r.hash };
}
