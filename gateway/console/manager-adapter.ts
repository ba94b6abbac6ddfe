// Builds the console's admin operations from the manager's service API, without importing the manager
// (the console sits beside it): the shapes below are structural, and the manager's ManagerService,
// ContractView and the admin API's GroupServicesSource fit them as they are.
import { peersOnContract } from '../protocol/index.ts';
import type { ContractContent, ContractSignatures, GrantData, SignatureType } from '../protocol/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { ConsoleAdmin, ConsoleContract, ConsoleGrant, ConsoleGroupService, ContractStateName } from './types.ts';

/** The parts of the manager's ContractView the console reads. */
export interface ContractViewLike {
  contentHash: string;
  content: ContractContent;
  signatures: ContractSignatures;
  state: ContractStateName;
  grantHashes: string[];
  missingSigners: string[];
}

/** The parts of the manager's ManagerService the console calls. */
export interface ManagerServiceLike {
  readonly peerId: string;
  listContracts(options: { limit: number; cursor?: string; sortOrder?: 'SORT_ORDER_ASCENDING' | 'SORT_ORDER_DESCENDING' }): Promise<{
    contracts: ContractViewLike[];
    nextCursor?: string;
  }>;
  sign(contentHash: string, type: SignatureType): Promise<unknown>;
}

export interface ConsoleAdminFromOptions {
  service: ManagerServiceLike;
  store: Pick<ManagerStore, 'getPeer'>;
  /** The group's services (the directory's view, or the admin API's remote directory); absent: none. */
  groupServices?: { listServices(): Promise<ConsoleGroupService[]> } | undefined;
  /** This peer's name, for its own id on contracts. */
  peerName?: string;
}

const PAGE = 500;
/** Most contracts the console lists; an operator page with more is not usable anyway. */
const MAX_CONTRACTS = 5_000;

function grantOf(data: GrantData, hash: string): ConsoleGrant {
  switch (data.type) {
    case 'GRANT_TYPE_SERVICE_PUBLICATION':
      return { type: data.type, hash, directory: { peerId: data.directory.peer_id }, service: { peerId: data.service.peer_id, name: data.service.name, protocol: data.service.protocol } };
    case 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION':
      return {
        type: data.type,
        hash,
        directory: { peerId: data.directory.peer_id },
        delegator: { peerId: data.delegator.peer_id },
        service: { peerId: data.service.peer_id, name: data.service.name, protocol: data.service.protocol },
      };
    case 'GRANT_TYPE_SERVICE_CONNECTION':
    case 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION': {
      const service: ConsoleGrant['service'] = { peerId: data.service.peer_id, name: data.service.name };
      if (data.service.type === 'SERVICE_TYPE_DELEGATED_SERVICE') service.delegatorPeerId = data.service.delegator.peer_id;
      const grant: ConsoleGrant = { type: data.type, hash, outway: { peerId: data.outway.peer_id, publicKeyThumbprint: data.outway.public_key_thumbprint }, service };
      if (data.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') grant.delegator = { peerId: data.delegator.peer_id };
      return grant;
    }
  }
}

export function toConsoleContract(view: ContractViewLike, selfPeerId: string, names: ReadonlyMap<string, string>): ConsoleContract {
  return {
    hash: view.contentHash,
    state: view.state,
    createdAt: view.content.created_at,
    validity: { notBefore: view.content.validity.not_before, notAfter: view.content.validity.not_after },
    grants: view.content.grants.map((g, i) => grantOf(g.data, view.grantHashes[i] ?? '')),
    peers: peersOnContract(view.content).map((id) => ({ id, name: names.get(id) ?? '' })),
    signatures: {
      accept: Object.keys(view.signatures.accept),
      reject: Object.keys(view.signatures.reject),
      revoke: Object.keys(view.signatures.revoke),
    },
    missingSigners: view.missingSigners,
    pendingForMe: view.state === 'proposed' && view.missingSigners.includes(selfPeerId),
  };
}

/** The console's admin operations on top of the manager's service (in-process, no HTTP). */
export function consoleAdminFrom(options: ConsoleAdminFromOptions): ConsoleAdmin {
  const { service, store } = options;
  return {
    async listContracts() {
      const views: ContractViewLike[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.listContracts({ limit: PAGE, sortOrder: 'SORT_ORDER_DESCENDING', ...(cursor === undefined ? {} : { cursor }) });
        views.push(...page.contracts);
        cursor = page.nextCursor;
      } while (cursor !== undefined && views.length < MAX_CONTRACTS);
      const names = new Map<string, string>();
      if (options.peerName !== undefined) names.set(service.peerId, options.peerName);
      for (const view of views) {
        for (const id of peersOnContract(view.content)) {
          if (!names.has(id)) names.set(id, (await store.getPeer(id))?.name ?? '');
        }
      }
      return views.map((v) => toConsoleContract(v, service.peerId, names));
    },
    signContract: (hash, action) => service.sign(hash, action),
    listGroupServices: () => options.groupServices?.listServices() ?? Promise.resolve([]),
  };
}
