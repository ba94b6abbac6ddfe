// The directory's view of the group's services: every service of a valid publication contract
// (fsc-core "Service listing": "The Manager MUST list a Service when a valid Contract containing a
// ServicePublicationGrant or DelegatedServicePublicationGrant for the Service exists"), with the
// inway address its publisher signed (see inway-address.ts). A contract that is revoked, rejected or
// past `not_after` is not active, so its service drops out of the next listing by itself.
import { activePublications } from '../gateway/manager/index.ts';
import type { Protocol } from '../gateway/protocol/index.ts';
import type { ManagerStore, PeerRecord } from '../gateway/store/index.ts';
import { inwayAddressOfGrant } from './inway-address.ts';

export interface DirectoryPeer {
  id: string;
  name: string;
  managerAddress: string;
}

export interface DirectoryEntry {
  type: 'SERVICE_TYPE_SERVICE' | 'SERVICE_TYPE_DELEGATED_SERVICE';
  peer: DirectoryPeer;
  name: string;
  protocol: Protocol;
  delegator?: DirectoryPeer;
  /** From the newest active publication of this service; absent when its publisher did not sign one. */
  inwayAddress?: string;
  /** Content hash of that publication contract. */
  contractHash: string;
  /** Its `created_at` (Unix seconds). */
  publishedAt: number;
}

export interface DirectoryEntriesOptions {
  store: ManagerStore;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** The directory itself (it is not in its own peer list). */
  self: DirectoryPeer;
}

export function entryKey(e: Pick<DirectoryEntry, 'peer' | 'name' | 'delegator'>): string {
  return [e.peer.id, e.name, e.delegator?.id ?? ''].join('\u0000');
}

export function createDirectoryEntries(options: DirectoryEntriesOptions): { list(): Promise<DirectoryEntry[]> } {
  const { store, clock, self } = options;

  async function peerOf(id: string, cache: Map<string, DirectoryPeer>): Promise<DirectoryPeer> {
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    const record: PeerRecord | undefined = id === self.id ? undefined : await store.getPeer(id);
    const peer = id === self.id ? self : { id, name: record?.name ?? id, managerAddress: record?.managerAddress ?? '' };
    cache.set(id, peer);
    return peer;
  }

  return {
    /** Every listed service, one entry per (peer, name, delegator), sorted by that key. */
    async list() {
      const now = Math.floor(clock() / 1000);
      const peers = new Map<string, DirectoryPeer>();
      const found = new Map<string, DirectoryEntry>();
      for await (const { contract, grant } of activePublications(store, now)) {
        const entry: DirectoryEntry = {
          type:
            grant.type === 'GRANT_TYPE_SERVICE_PUBLICATION' ? 'SERVICE_TYPE_SERVICE' : 'SERVICE_TYPE_DELEGATED_SERVICE',
          peer: await peerOf(grant.service.peer_id, peers),
          name: grant.service.name,
          protocol: grant.service.protocol,
          contractHash: contract.contentHash,
          publishedAt: contract.content.created_at,
        };
        if (grant.type === 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION')
          entry.delegator = await peerOf(grant.delegator.peer_id, peers);
        const address = inwayAddressOfGrant(grant.properties);
        if (address.kind === 'valid') entry.inwayAddress = address.address;
        // Ascending by creation: a later publication of the same service (a new inway) wins.
        const key = entryKey(entry);
        const previous = found.get(key);
        if (previous === undefined || previous.publishedAt <= entry.publishedAt) found.set(key, entry);
      }
      return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
    },
  };
}
