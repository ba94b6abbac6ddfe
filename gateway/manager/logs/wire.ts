// A stored transaction-log record as GET /v1/logs hands it to another peer: exactly the fields of
// logging.yaml `logRecord`. `additional_data` (purpose metadata such as data subjects) is personal data
// that stays inside the organisation (DESIGN.md "Transaction log": "never forwarded across
// organisations"), and trace/span ids are not part of the schema, so neither leaves through this API.
import type { LogDestination, LogRecord, LogSource } from '../../txlog/index.ts';

/** logging.yaml `logRecord`. */
export interface WireLogRecord {
  transaction_id: string;
  direction: LogRecord['direction'];
  grant_hash: string;
  source: LogSource;
  destination: LogDestination;
  service_name: string;
  created_at: number;
}

function wireSource(s: LogSource): LogSource {
  return s.type === 'SOURCE_TYPE_DELEGATED_SOURCE'
    ? { type: s.type, outway_peer_id: s.outway_peer_id, delegator_peer_id: s.delegator_peer_id }
    : { type: s.type, outway_peer_id: s.outway_peer_id };
}

function wireDestination(d: LogDestination): LogDestination {
  return d.type === 'DESTINATION_TYPE_DELEGATED_DESTINATION'
    ? { type: d.type, service_peer_id: d.service_peer_id, delegator_peer_id: d.delegator_peer_id }
    : { type: d.type, service_peer_id: d.service_peer_id };
}

export function toWireLogRecord(record: LogRecord): WireLogRecord {
  return {
    transaction_id: record.transaction_id,
    direction: record.direction,
    grant_hash: record.grant_hash,
    source: wireSource(record.source),
    destination: wireDestination(record.destination),
    service_name: record.service_name,
    created_at: record.created_at,
  };
}
