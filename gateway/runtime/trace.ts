/**
 * W3C Trace Context propagation without an SDK: the outway continues (or starts) a trace and hands
 * a child `traceparent` to the inway, the inway to the service (STYLE.md "Logs and telemetry";
 * fsc-logging: the record's `trace_id`/`span_id` come from `traceparent`). Parsing lives in
 * gateway/protocol (`parseTraceparent`); this file makes new ids and writes the header.
 */
import { randomFillSync } from 'node:crypto';
import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import type { TraceParent } from '../protocol/index.ts';

// Ids are drawn from a pool refilled 4 KiB at a time: one randomBytes call per id (two per request
// per hop) was a measurable share of the data path's CPU. The bytes are the same CSPRNG output.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomHex(bytes);
    // All-zero ids are invalid (W3C Trace Context §3.2.2.3/§3.2.2.4); 2^-64 odds, still checked.
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A new random trace-id: 32 lower-case hex characters, never all zero. */
export function newTraceId(): string {
  return nonZeroHex(16);
}

/** A new random span (parent) id: 16 lower-case hex characters, never all zero. */
export function newSpanId(): string {
  return nonZeroHex(8);
}

/**
 * The `traceparent` value for `tp`. Always version `00`: a receiver of a higher version that
 * forwards the trace MUST send the version it knows (W3C Trace Context §3.2.4).
 */
export function formatTraceparent(tp: Pick<TraceParent, 'traceId' | 'spanId' | 'flags'>): string {
  return `00-${tp.traceId}-${tp.spanId}-${tp.flags}`;
}

/**
 * The context for the next hop: same trace and flags as `parent` with a new span id, or a new trace
 * when there is no (valid) parent. `sampled` sets the flags of a new trace only (default false).
 */
export function childTraceparent(parent: TraceParent | undefined, options: { sampled?: boolean } = {}): TraceParent {
  if (parent !== undefined) return { version: '00', traceId: parent.traceId, spanId: newSpanId(), flags: parent.flags };
  return { version: '00', traceId: newTraceId(), spanId: newSpanId(), flags: options.sampled === true ? '01' : '00' };
}

/** The same context as an OpenTelemetry API `SpanContext` (remote), for code that uses the API. */
export function toSpanContext(tp: TraceParent): SpanContext {
  const flags = Number.parseInt(tp.flags, 16);
  return {
    traceId: tp.traceId,
    spanId: tp.spanId,
    // Only the sampled bit is defined (W3C Trace Context §3.2.2.5).
    traceFlags: (flags & 0x01) === 0x01 ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
}
