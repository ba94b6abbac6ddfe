// Entry body ↔ SQLite row. rowToBody takes EVERY non-null column into the body, so a value written into a
// column that the original entry did not have (a delegator on a plain source, a status on a record)
// changes the canonical form and breaks the hash just like a changed value does.
import { canonicalJson } from '../../canonical.ts';
import type { EntryRow } from './sqlite-schema.ts';
import type { EntryBody, StoredEntry } from '../../types.ts';

export function entryToRow(e: StoredEntry): EntryRow {
  const row: EntryRow = {
    peer_id: e.peer_id,
    seq: e.seq,
    v: e.v,
    kind: e.kind,
    prev_hash: e.prev_hash,
    hash: e.hash,
    at_ms: e.at_ms,
    transaction_id: e.transaction_id,
    direction: e.direction,
    grant_hash: null,
    service_name: null,
    created_at: null,
    source_type: null,
    source_outway_peer_id: null,
    source_delegator_peer_id: null,
    destination_type: null,
    destination_service_peer_id: null,
    destination_delegator_peer_id: null,
    trace_id: null,
    span_id: null,
    additional_data: null,
    status: null,
    duration_ms: null,
    error_code: null,
  };
  if (e.kind === 'record') {
    row.grant_hash = e.grant_hash;
    row.service_name = e.service_name;
    row.created_at = e.created_at;
    row.source_type = e.source.type;
    row.source_outway_peer_id = e.source.outway_peer_id;
    if (e.source.type === 'SOURCE_TYPE_DELEGATED_SOURCE') row.source_delegator_peer_id = e.source.delegator_peer_id;
    row.destination_type = e.destination.type;
    row.destination_service_peer_id = e.destination.service_peer_id;
    if (e.destination.type === 'DESTINATION_TYPE_DELEGATED_DESTINATION') {
      row.destination_delegator_peer_id = e.destination.delegator_peer_id;
    }
    row.trace_id = e.trace_id ?? null;
    row.span_id = e.span_id ?? null;
    row.additional_data = e.additional_data === undefined ? null : canonicalJson(e.additional_data);
  } else {
    row.status = e.status;
    row.duration_ms = e.duration_ms;
    row.error_code = e.error_code ?? null;
  }
  return row;
}

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
