/**
 * The one FSC Logging record builder of both hops (fsc-logging "Log record > Access token"): the
 * fields come from the access token — `gth` → grant_hash, `sub` → source.outway_peer_id, `iss` →
 * destination.service_peer_id, `svc` → service_name; the connection delegator (`act.sub`, spelled
 * `cdi` in the logging text) makes the source a delegated source (Outway/Inway-TransactionLog-4), the
 * publication delegator `pdi` makes the destination a delegated destination (-5). trace_id/span_id
 * are those of the traceparent sent to the next hop; purpose metadata goes to additional_data.
 */
import type { AccessTokenClaims, Purpose, TraceParent } from '../protocol/index.ts';
import type { AdditionalData, LogDestination, LogRecord, LogSource } from '../txlog/index.ts';

function nonEmpty(x: unknown): x is string {
  return typeof x === 'string' && x !== '';
}

/** The connection delegator of a token: `act.sub` (Koppel, fsc-core claim list) or `cdi` (fsc-logging's name). */
export function connectionDelegatorOf(claims: AccessTokenClaims): string | undefined {
  if (nonEmpty(claims.act?.sub)) return claims.act.sub;
  const cdi = (claims as unknown as Record<string, unknown>).cdi;
  return nonEmpty(cdi) ? cdi : undefined;
}

/** Source of the record: plain, or delegated when the outway's peer acts for another peer. */
export function sourceOf(claims: AccessTokenClaims): LogSource {
  const delegator = connectionDelegatorOf(claims);
  return delegator === undefined
    ? { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: claims.sub }
    : { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: claims.sub, delegator_peer_id: delegator };
}

/** Destination of the record: plain, or delegated when the service is offered on behalf of another peer. */
export function destinationOf(claims: AccessTokenClaims): LogDestination {
  return nonEmpty(claims.pdi)
    ? { type: 'DESTINATION_TYPE_DELEGATED_DESTINATION', service_peer_id: claims.iss, delegator_peer_id: claims.pdi }
    : { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: claims.iss };
}

/** Input of {@link logRecordFor}. */
export interface LogRecordInput {
  direction: LogRecord['direction'];
  transactionId: string;
  claims: AccessTokenClaims;
  /** Unix milliseconds. */
  nowMs: number;
  trace?: Pick<TraceParent, 'traceId' | 'spanId'> | undefined;
  /** NLX purpose headers, kept in additional_data under their purpose keys. */
  purpose?: Purpose | undefined;
}

/** The record a hop writes, durably, before it forwards. */
export function logRecordFor(input: LogRecordInput): LogRecord {
  const { claims } = input;
  const record: LogRecord = {
    transaction_id: input.transactionId,
    direction: input.direction,
    grant_hash: claims.gth,
    source: sourceOf(claims),
    destination: destinationOf(claims),
    service_name: claims.svc,
    created_at: Math.floor(input.nowMs / 1000),
  };
  if (input.trace !== undefined) {
    record.trace_id = input.trace.traceId;
    record.span_id = input.trace.spanId;
  }
  if (input.purpose !== undefined) {
    let data: AdditionalData | undefined;
    for (const key in input.purpose) {
      const value = input.purpose[key as keyof Purpose];
      if (value !== undefined) (data ??= {})[key] = value;
    }
    if (data !== undefined) record.additional_data = data;
  }
  return record;
}
