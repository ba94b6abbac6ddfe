// The outway's FSC Logging record of one request. fsc-logging "Log record > Access token": the fields
// come from the access token — `gth` → grant_hash, `sub` → source.outway_peer_id, `iss` →
// destination.service_peer_id, `svc` → service_name; the connection delegator (our `act.sub`, the
// spec's `cdi`) makes the source a delegated source, the publication delegator (`pdi`) makes the
// destination a delegated destination (fsc-logging Outway "Delegation").
import type { AccessTokenClaims, Purpose, TraceParent } from '../protocol/index.ts';
import type { AdditionalData, LogRecord } from '../txlog/index.ts';

export interface TransactionRecordInput {
  transactionId: string;
  claims: AccessTokenClaims;
  /** Unix milliseconds. */
  now: number;
  /** The trace context sent to the inway (fsc-logging: trace_id and parent-id of that header). */
  trace?: TraceParent;
  /** NLX purpose headers, kept in additional_data under their purpose keys. */
  purpose: Purpose;
}

export function transactionRecord(input: TransactionRecordInput): LogRecord {
  const { claims } = input;
  const delegator = claims.act?.sub;
  const record: LogRecord = {
    transaction_id: input.transactionId,
    direction: 'DIRECTION_OUTGOING',
    grant_hash: claims.gth,
    source:
      delegator === undefined
        ? { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: claims.sub }
        : { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: claims.sub, delegator_peer_id: delegator },
    destination:
      claims.pdi === undefined
        ? { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: claims.iss }
        : { type: 'DESTINATION_TYPE_DELEGATED_DESTINATION', service_peer_id: claims.iss, delegator_peer_id: claims.pdi },
    service_name: claims.svc,
    created_at: Math.floor(input.now / 1000),
  };
  if (input.trace !== undefined) {
    record.trace_id = input.trace.traceId;
    record.span_id = input.trace.spanId;
  }
  const data: AdditionalData = {};
  for (const [key, value] of Object.entries(input.purpose)) if (value !== undefined) data[key] = value;
  if (Object.keys(data).length > 0) record.additional_data = data;
  return record;
}
