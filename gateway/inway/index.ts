// The face of gateway/inway: the provider's reverse proxy (mTLS in from outways, HTTP(S) to services).
// Explicit named exports only.
export { createInway } from './create-inway.ts';
export type { CreateInwayOptions, Inway, InwayConfig } from './create-inway.ts';
export { createContractCheck } from './contract-check.ts';
export type { ContractCheck, ContractCheckOptions, ContractSource } from './contract-check.ts';
export { createServiceResolver } from './service-resolver.ts';
export type { InwayService, ServiceResolver, ServiceResolverOptions } from './service-resolver.ts';
export { tokenFromHeader } from './authorize.ts';
export { readTransactionId } from './transaction-id.ts';
export { certificateStep, tokenStep, serviceStep, transactionIdStep, targetStep, inwayLocals } from './steps.ts';
export type { InwayLocals, InwayStep, TokenStepOptions, TargetStepOptions } from './steps.ts';
export { parseEndpoint, upstreamTarget } from './upstream-target.ts';
export type { ParsedEndpoint, UpstreamTarget } from './upstream-target.ts';
