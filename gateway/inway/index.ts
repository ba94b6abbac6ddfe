// The face of gateway/inway: the provider's reverse proxy (mTLS in from outways, HTTP(S) to services).
// Explicit named exports only.
export { createInway } from './create-inway.ts';
export type { CreateInwayOptions, Inway, InwayConfig, InwayEnv } from './create-inway.ts';
export { createServiceResolver } from './service-resolver.ts';
export type { InwayService, ServiceResolver, ServiceResolverOptions } from './service-resolver.ts';
export { authorizeRequest, tokenFromHeader } from './authorize.ts';
export { readTransactionId } from './transaction-id.ts';
export { incomingLogRecord, sourceOf, destinationOf, connectionDelegatorOf } from './log-record.ts';
export type { IncomingRecordInput } from './log-record.ts';
export { parseEndpoint, upstreamTarget } from './upstream-target.ts';
export type { ParsedEndpoint, UpstreamTarget } from './upstream-target.ts';
