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
export type { ServiceListing, ServiceListingData, ServiceQuery } from './services-listing.ts';
export { activePublications } from './active-publications.ts';
export type { ActivePublication, PublicationGrantData } from './active-publications.ts';
export type { JsonWebKeySet, JsonWebKey } from './jwks.ts';
export type { PeerClient, PeerResponse, ContractMessage } from './peer-client.ts';
export { isManagerAddress } from './manager-address.ts';
export { chainsToTrustAnchor, trustAnchorsFromPem, parsePemCertificates } from './certificate-chain.ts';
export type { TrustAnchors } from './certificate-chain.ts';
export { FSC_VERSION, ENABLED_EXTENSIONS } from './routes-peers.ts';
export { createAdminApi, AdminBindError } from './admin-api.ts';
export type { AdminApi, CreateAdminApiOptions } from './admin-api.ts';
export type { AdminContract, AdminGrant } from './admin-contract-view.ts';
export { createPeerNames, toAdminContract } from './admin-contract-view.ts';
export type { GroupService, GroupServicesSource } from './admin-group-services.ts';
export { ensureAdminToken, isLoopbackAddress } from './admin-auth.ts';
