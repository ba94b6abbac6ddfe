// The face of directory/: the directory role (a manager in directory mode that co-signs service
// publications, lists services with their inway health, and shows a catalogue page).
export { createDirectory } from './create-directory.ts';
export type { CreateDirectoryOptions, Directory, DirectoryHealthSettings } from './create-directory.ts';
export { reviewPublication } from './publication-review.ts';
export type { PublicationDecision, PublicationReviewContext } from './publication-review.ts';
export type { PublicationSigner, SweepResult } from './publication-signer.ts';
export { INWAY_ADDRESS_PROPERTY, isInwayAddress, inwayAddressOfGrant } from './inway-address.ts';
export type { InwayAddressOfGrant } from './inway-address.ts';
export type { DirectoryEntry, DirectoryPeer } from './directory-entries.ts';
export { toKoppelServiceListing } from './directory-view.ts';
export type {
  DirectoryService,
  DirectoryView,
  HealthStatus,
  KoppelServiceListing,
  ServiceHealth,
} from './directory-view.ts';
export type { HealthMonitor, InwayHealth } from './health-monitor.ts';
export { createInwayProbe } from './inway-probe.ts';
export type { InwayProbe, InwayProbeOptions, ProbeResult } from './inway-probe.ts';
export { catalogueRoutes } from './catalogue-page.tsx';
export type { CatalogueOptions, CataloguePeer } from './catalogue-page.tsx';
