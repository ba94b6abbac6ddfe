// The face of gateway/admin: the peer's local admin API (operators' view of contracts and services),
// its bearer-token guard, the one admin contract view (AdminContract) and the one admin client used by
// the CLI and the demo, and the admin operations the console calls in-process.
export { createAdminApi, AdminBindError } from './create-admin-api.ts';
export type { AdminApi, CreateAdminApiOptions } from './create-admin-api.ts';
export type { AdminContract, AdminGrant } from './contract-view.ts';
export { createPeerNames, toAdminContract } from './contract-view.ts';
export type { GroupService, GroupServiceHealth, GroupServicesSource } from './group-services.ts';
export { ensureAdminToken, isLoopbackAddress } from './auth.ts';
export { AdminApiError, createAdminClient } from './client.ts';
export type { AdminClient, AdminClientOptions, AdminFailure, AdminPublishAnswer, AdminServicesAnswer } from './client.ts';
export { consoleAdminFrom } from './console-source.ts';
export type { ConsoleAdmin, ConsoleAdminFromOptions, ManagerServiceLike, SignAction } from './console-source.ts';
