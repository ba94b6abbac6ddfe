// Checks a record before it is queued, so one bad record is refused on its own instead of failing the
// whole group commit. Returns a clean copy with only the known fields: whatever the caller's object
// carries besides them is not stored and not hashed.
import { isUuid } from '../protocol/index.ts';
import type { AdditionalData, CompletionInput, Direction, LogDestination, LogRecord, LogSource } from './types.ts';

/** Largest number of additional_data entries per record. */
export const MAX_ADDITIONAL_DATA_KEYS = 32;
/** Longest additional_data value in characters (purpose headers are at most 1024). */
export const MAX_ADDITIONAL_DATA_VALUE = 4096;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const DATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export class RecordValidationError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'RecordValidationError';
  }
}

function fail(message: string): never {
  throw new RecordValidationError(message);
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL.test(value)) {
    fail(`${name} must be a string of 1 to ${max} characters without control characters`);
  }
  return value;
}

function direction(value: unknown): Direction {
  if (value !== 'DIRECTION_INCOMING' && value !== 'DIRECTION_OUTGOING') fail('direction is not valid');
  return value;
}

function source(value: unknown): LogSource {
  if (typeof value !== 'object' || value === null) fail('source must be an object');
  const s = value as Record<string, unknown>;
  const outway = text(s.outway_peer_id, 'source.outway_peer_id', 255);
  if (s.type === 'SOURCE_TYPE_SOURCE') {
    if (s.delegator_peer_id !== undefined) fail('a SOURCE_TYPE_SOURCE has no delegator');
    return { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: outway };
  }
  if (s.type === 'SOURCE_TYPE_DELEGATED_SOURCE') {
    return {
      type: 'SOURCE_TYPE_DELEGATED_SOURCE',
      outway_peer_id: outway,
      delegator_peer_id: text(s.delegator_peer_id, 'source.delegator_peer_id', 255),
    };
  }
  return fail('source.type is not valid');
}

function destination(value: unknown): LogDestination {
  if (typeof value !== 'object' || value === null) fail('destination must be an object');
  const d = value as Record<string, unknown>;
  const service = text(d.service_peer_id, 'destination.service_peer_id', 255);
  if (d.type === 'DESTINATION_TYPE_DESTINATION') {
    if (d.delegator_peer_id !== undefined) fail('a DESTINATION_TYPE_DESTINATION has no delegator');
    return { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: service };
  }
  if (d.type === 'DESTINATION_TYPE_DELEGATED_DESTINATION') {
    return {
      type: 'DESTINATION_TYPE_DELEGATED_DESTINATION',
      service_peer_id: service,
      delegator_peer_id: text(d.delegator_peer_id, 'destination.delegator_peer_id', 255),
    };
  }
  return fail('destination.type is not valid');
}

function additionalData(value: unknown): AdditionalData | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('additional_data must be an object');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_ADDITIONAL_DATA_KEYS) fail(`additional_data has more than ${MAX_ADDITIONAL_DATA_KEYS} keys`);
  if (entries.length === 0) return undefined;
  const out: AdditionalData = {};
  for (const [k, v] of entries) {
    if (!DATA_KEY.test(k)) fail('additional_data keys are 1 to 64 characters of A-Z a-z 0-9 _ . -');
    if (typeof v !== 'string' || v.length > MAX_ADDITIONAL_DATA_VALUE) {
      fail(`additional_data values are strings of at most ${MAX_ADDITIONAL_DATA_VALUE} characters`);
    }
    out[k] = v;
  }
  return out;
}

/** A clean, valid copy of a log record; throws a {@link RecordValidationError} naming the field. */
export function validateRecord(input: LogRecord): LogRecord {
  if (typeof input !== 'object' || input === null) fail('a record must be an object');
  if (!isUuid(input.transaction_id)) fail('transaction_id must be a UUID');
  const created = input.created_at;
  if (!Number.isSafeInteger(created) || created < 0) fail('created_at must be a non-negative integer (Unix seconds)');
  const record: LogRecord = {
    transaction_id: input.transaction_id.toLowerCase(),
    direction: direction(input.direction),
    grant_hash: text(input.grant_hash, 'grant_hash', 1024),
    source: source(input.source),
    destination: destination(input.destination),
    service_name: text(input.service_name, 'service_name', 255),
    created_at: created,
  };
  if (input.trace_id !== undefined) {
    if (typeof input.trace_id !== 'string' || !HEX32.test(input.trace_id))
      fail('trace_id must be 32 lower-case hex characters');
    record.trace_id = input.trace_id;
  }
  if (input.span_id !== undefined) {
    if (typeof input.span_id !== 'string' || !HEX16.test(input.span_id))
      fail('span_id must be 16 lower-case hex characters');
    record.span_id = input.span_id;
  }
  const data = additionalData(input.additional_data);
  if (data) record.additional_data = data;
  return record;
}

/** A clean, valid copy of a completion. */
export function validateCompletion(input: CompletionInput): CompletionInput {
  if (typeof input !== 'object' || input === null) fail('a completion must be an object');
  if (!isUuid(input.transaction_id)) fail('transaction_id must be a UUID');
  if (!Number.isSafeInteger(input.status) || input.status < 0 || input.status > 999) fail('status must be 0 to 999');
  if (!Number.isSafeInteger(input.duration_ms) || input.duration_ms < 0)
    fail('duration_ms must be a non-negative integer');
  const out: CompletionInput = {
    transaction_id: input.transaction_id.toLowerCase(),
    direction: direction(input.direction),
    status: input.status,
    duration_ms: input.duration_ms,
  };
  if (input.error_code !== undefined) out.error_code = text(input.error_code, 'error_code', 128);
  if (input.bytes !== undefined) {
    if (!Number.isSafeInteger(input.bytes) || input.bytes < 0) fail('bytes must be a non-negative integer');
    out.bytes = input.bytes;
  }
  if (input.aborted_by !== undefined) {
    if (input.aborted_by !== 'client' && input.aborted_by !== 'upstream') fail('aborted_by must be client or upstream');
    out.aborted_by = input.aborted_by;
  }
  return out;
}
