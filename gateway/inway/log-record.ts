/**
 * The FSC Logging record of an incoming request, filled from the verified access token
 * (fsc-logging "Log record > Access token"): `gth` → grant_hash, `sub` → source.outway_peer_id,
 * `iss` → destination.service_peer_id, `svc` → service_name; the connection delegator (`act.sub`,
 * spelled `cdi` in the logging text) → source.delegator_peer_id (Inway-TransactionLog-4) and the
 * publication delegator `pdi` → destination.delegator_peer_id (Inway-TransactionLog-5).
 */
import type { AccessTokenClaims, TraceParent } from '../protocol/index.ts';
import type { LogDestination, LogRecord, LogSource } from '../txlog/index.ts';

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

/** Input of {@link incomingLogRecord}. */
export interface IncomingRecordInput {
  transactionId: string;
  claims: AccessTokenClaims;
  /** Unix milliseconds. */
  nowMs: number;
  /**
   * The trace context sent to the service (fsc-logging: trace_id/span_id come from the
   * `traceparent` of the request sent to the Service, i.e. our child span).
   */
  trace?: Pick<TraceParent, 'traceId' | 'spanId'>;
}

/** The record the inway writes before it forwards (direction incoming). */
export function incomingLogRecord(input: IncomingRecordInput): LogRecord {
  const { claims } = input;
  const record: LogRecord = {
    transaction_id: input.transactionId,
    direction: 'DIRECTION_INCOMING',
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
  return record;
}
