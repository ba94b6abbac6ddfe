// The face of gateway/manager: the FSC Core Manager (contracts, signatures, access tokens, peers).
export { createManager } from './create-manager.ts';
export type { CreateManagerOptions, Manager, ManagerService, OutboxSettings } from './create-manager.ts';
export type {
  CallerIdentity,
  Clock,
  ContractDraft,
  ContractReceivedEvent,
  ContractView,
  ManagerHooks,
  SelfIdentity,
  SignatureReceivedEvent,
} from './types.ts';
export type { ManagerEnv } from './http-context.ts';
export type { ServiceListing, ServiceListingData, ServiceQuery } from './services/listing.ts';
export { activePublications } from './services/active-publications.ts';
export type { ActivePublication, PublicationGrantData } from './services/active-publications.ts';
export type { JsonWebKeySet, JsonWebKey } from './peers/jwks.ts';
export type { PeerClient, PeerResponse, ContractMessage } from './peers/peer-client.ts';
export { isManagerAddress } from './peers/manager-address.ts';
export { chainsToTrustAnchor, trustAnchorsFromPem, parsePemCertificates } from '../protocol/index.ts';
export type { TrustAnchors } from '../protocol/index.ts';
export { FSC_VERSION, ENABLED_EXTENSIONS } from './peers/routes.ts';
