// Contracts as the admin API shows them to an operator: camelCase, one line of facts per grant, who
// is on the contract (with names), who signed what and who still has to accept.
import { peersOnContract } from '../protocol/index.ts';
import type { ContractState, GrantData, GrantType, Protocol } from '../protocol/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { ContractView } from '../manager/index.ts';

export interface AdminGrant {
  type: GrantType;
  hash: string;
  service: { peerId: string; name: string; protocol?: Protocol; delegatorPeerId?: string };
  outway?: { peerId: string; publicKeyThumbprint: string };
  directory?: { peerId: string };
  delegator?: { peerId: string };
  properties?: Record<string, unknown>;
}

export interface AdminContract {
  hash: string;
  state: ContractState;
  /** Unix seconds. */
  createdAt: number;
  validity: { notBefore: number; notAfter: number };
  grants: AdminGrant[];
  peers: { id: string; name: string }[];
  signatures: { accept: string[]; reject: string[]; revoke: string[] };
  /** Required signers that have not accepted yet. */
  missingSigners: string[];
  /** This peer still has to accept or reject it. */
  pendingForMe: boolean;
}

function grantOf(data: GrantData, hash: string): AdminGrant {
  const base = { type: data.type, hash, ...(data.properties === undefined ? {} : { properties: data.properties }) };
  switch (data.type) {
    case 'GRANT_TYPE_SERVICE_PUBLICATION':
      return {
        ...base,
        directory: { peerId: data.directory.peer_id },
        service: { peerId: data.service.peer_id, name: data.service.name, protocol: data.service.protocol },
      };
    case 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION':
      return {
        ...base,
        directory: { peerId: data.directory.peer_id },
        delegator: { peerId: data.delegator.peer_id },
        service: { peerId: data.service.peer_id, name: data.service.name, protocol: data.service.protocol },
      };
    case 'GRANT_TYPE_SERVICE_CONNECTION':
    case 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION': {
      const service: AdminGrant['service'] = { peerId: data.service.peer_id, name: data.service.name };
      if (data.service.type === 'SERVICE_TYPE_DELEGATED_SERVICE')
        service.delegatorPeerId = data.service.delegator.peer_id;
      const grant: AdminGrant = {
        ...base,
        outway: { peerId: data.outway.peer_id, publicKeyThumbprint: data.outway.public_key_thumbprint },
        service,
      };
      if (data.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') grant.delegator = { peerId: data.delegator.peer_id };
      return grant;
    }
  }
}

/**
 * Peer names for the ids on contracts, looked up once per request ('' for a peer the store does not know).
 * Without `peerName` this peer's own id is looked up like any other (we are not in our own peer list, so '').
 */
export function createPeerNames(
  store: Pick<ManagerStore, 'getPeer'>,
  self: { peerId: string; peerName?: string | undefined },
): (id: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  if (self.peerName !== undefined) cache.set(self.peerId, Promise.resolve(self.peerName));
  return (id) => {
    let hit = cache.get(id);
    if (hit === undefined) {
      hit = store.getPeer(id).then((p) => p?.name ?? '');
      cache.set(id, hit);
    }
    return hit;
  };
}

export async function toAdminContract(
  view: ContractView,
  selfPeerId: string,
  nameOf: (id: string) => Promise<string>,
): Promise<AdminContract> {
  const peerIds = peersOnContract(view.content);
  return {
    hash: view.contentHash,
    state: view.state,
    createdAt: view.content.created_at,
    validity: { notBefore: view.content.validity.not_before, notAfter: view.content.validity.not_after },
    grants: view.content.grants.map((g, i) => grantOf(g.data, view.grantHashes[i] ?? '')),
    peers: await Promise.all(peerIds.map(async (id) => ({ id, name: await nameOf(id) }))),
    signatures: {
      accept: Object.keys(view.signatures.accept),
      reject: Object.keys(view.signatures.reject),
      revoke: Object.keys(view.signatures.revoke),
    },
    missingSigners: view.missingSigners,
    pendingForMe: view.state === 'proposed' && view.missingSigners.includes(selfPeerId),
  };
}
