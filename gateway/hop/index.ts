// The face of gateway/hop: the data-plane hop shared by the outway and the inway — a pipeline of named
// steps over node:http, forwarding with undici, one record builder, the fail-closed log write, the
// completion with the true outcome, the upstream-failure mapping and the header rules.
export { createHop } from './pipeline.ts';
export type { Hop, HopOptions, HopStep } from './pipeline.ts';
export { HopCall } from './call.ts';
export type { AbortedBy } from './call.ts';
export { forward } from './forward.ts';
export type { ForwardEnd, ForwardTarget } from './forward.ts';
export { sendFscError } from './respond.ts';
export { logRecordFor, sourceOf, destinationOf, connectionDelegatorOf } from './record.ts';
export type { LogRecordInput } from './record.ts';
export { UpstreamFailure, upstreamFailure } from './upstream-failure.ts';
export type { ForwardErrorCodes } from './upstream-failure.ts';
export { createUpstreamAgent, requestBodyOf } from './upstream-agent.ts';
export type { UpstreamAgentOptions } from './upstream-agent.ts';
export { upstreamRequestHeaders, downstreamResponseHeaders } from './headers.ts';
export type { ForwardedFor, UpstreamRequestHeaderOptions } from './headers.ts';
export { safeRequestTarget } from './request-target.ts';
export type { SafeTarget } from './request-target.ts';
export { createCircuitBreaker } from './circuit-breaker.ts';
export type { BreakerEntry, CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker.ts';
export { createConcurrencyLimit } from './concurrency.ts';
export type { ConcurrencyLimit, ConcurrencyLimitOptions } from './concurrency.ts';
export { createAccessLog } from './access-log.ts';
export type { AccessLog } from './access-log.ts';
