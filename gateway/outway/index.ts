// The face of gateway/outway: the consumer's forward proxy (applications → outway → mTLS → inway).
// Explicit named exports only.
export { createOutway, DEFAULT_OUTWAY_TUNING } from './create-outway.ts';
export type { CreateOutwayOptions, Outway, OutwayTuning } from './create-outway.ts';
export { CONTRACTS_CHANGED_CHANNEL } from './grant-resolver.ts';
export type { GrantEntry } from './grant-table.ts';
export type { ReachableService } from './reachable-services.ts';
export { MAX_LISTED_SERVICES } from './reachable-services.ts';
export { parseServiceAddress, parseFriendlyTarget, originForm } from './service-address.ts';
export type { ServiceAddress } from './service-address.ts';
export { connectRefusal } from './connect-method.ts';
