// What a record is findable by, derived from its (hashed) content. Indexes are never a source of truth:
// both stores rebuild them from the record, and verify checks the record, not the index.
import type { LogRecord } from './types.ts';

/** additional_data key of the NLX `X-NLX-Request-Data-Subject` value (gateway/protocol purposeHeaders). */
export const DATA_SUBJECT_KEY = 'data_subject';
/** additional_data key of the NLX `X-NLX-Request-Process-Id` value. */
export const PROCESS_ID_KEY = 'process_id';

/** Most data subjects indexed per record; the rest stay in the record but are not searchable. */
export const MAX_SUBJECTS_PER_RECORD = 32;

/**
 * Normalise one data subject `type=value`: both parts trimmed, the type lower-cased (NLX sends
 * `bsn=…`, `kenteken=…`; an application writing `BSN=` means the same). Undefined when it is empty.
 */
export function normaliseDataSubject(subject: string): string | undefined {
  const trimmed = subject.trim();
  if (trimmed.length === 0) return undefined;
  const eq = trimmed.indexOf('=');
  if (eq < 0) return trimmed;
  const type = trimmed.slice(0, eq).trim().toLowerCase();
  const value = trimmed.slice(eq + 1).trim();
  return `${type}=${value}`;
}

/**
 * The data subjects of an NLX `X-NLX-Request-Data-Subject` value: a comma-separated list of
 * `type=value` pairs (NLX "data subject" header), e.g. `bsn=123456789, kenteken=AB-12-CD`.
 */
export function parseDataSubjects(value: string): string[] {
  const out = new Set<string>();
  for (const part of value.split(',')) {
    const s = normaliseDataSubject(part);
    if (s !== undefined) out.add(s);
    if (out.size >= MAX_SUBJECTS_PER_RECORD) break;
  }
  return [...out];
}

/** The data subjects a record is indexed under. */
export function subjectsOf(record: LogRecord): string[] {
  const raw = record.additional_data?.[DATA_SUBJECT_KEY];
  return raw === undefined ? [] : parseDataSubjects(raw);
}

export function processIdOf(record: LogRecord): string | undefined {
  return record.additional_data?.[PROCESS_ID_KEY];
}

/**
 * The peers party to a record (fsc-logging Manager "Providing TransactionLog records"): the source
 * outway's peer, the destination service's peer, and the delegators on either side.
 */
export function partiesOf(record: LogRecord): string[] {
  const parties = new Set<string>([record.source.outway_peer_id, record.destination.service_peer_id]);
  if (record.source.type === 'SOURCE_TYPE_DELEGATED_SOURCE') parties.add(record.source.delegator_peer_id);
  if (record.destination.type === 'DESTINATION_TYPE_DELEGATED_DESTINATION')
    parties.add(record.destination.delegator_peer_id);
  return [...parties];
}

/** True when `peerId` is party to the record. */
export function isPartyTo(record: LogRecord, peerId: string): boolean {
  return partiesOf(record).includes(peerId);
}
