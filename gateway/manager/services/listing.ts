// GET /services (manager.yaml getServices; fsc-core "Service listing": "The Manager MUST list a
// Service when a valid Contract containing a ServicePublicationGrant or
// DelegatedServicePublicationGrant for the Service exists"). The same rule serves both roles: a
// directory holds the publication contracts of the whole group, a peer only its own.
import { FscError } from '../../protocol/index.ts';
import type { Protocol } from '../../protocol/index.ts';
import type { ManagerStore, PeerRecord, SortOrder } from '../../store/index.ts';
import { activePublications } from './active-publications.ts';
import type { Clock } from '../types.ts';
import { toWirePeer } from '../wire.ts';

type WirePeer = ReturnType<typeof toWirePeer>;

export interface ServiceListingData {
  type: 'SERVICE_TYPE_SERVICE' | 'SERVICE_TYPE_DELEGATED_SERVICE';
  peer: WirePeer;
  name: string;
  protocol: Protocol;
  delegator?: { peer_id: string; peer_name: string };
}

/**
 * manager.yaml `serviceListing`. Its `required` names `type` next to `data` although only `data` is
 * described, so `type` is given at both levels: readers of either interpretation find it.
 */
export interface ServiceListing {
  type: ServiceListingData['type'];
  data: ServiceListingData;
}

export interface ServiceQuery {
  peerId?: string;
  serviceName?: string;
  cursor?: string;
  limit: number;
  sortOrder: SortOrder;
}

export interface ServiceListingOptions {
  store: ManagerStore;
  clock: Clock;
  /** Ourselves, for services we publish (we are not in our own peer list). */
  self: PeerRecord;
}

function sortKey(l: ServiceListingData): string {
  return [l.peer.id, l.name, l.delegator?.peer_id ?? ''].join('\u0000');
}

function encodeCursor(key: string): string {
  return Buffer.from(`s:${key}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith('s:'))
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'the pagination cursor is not valid', { reason: 'invalid-cursor' });
  return text.slice(2);
}

export function createServiceListing(options: ServiceListingOptions) {
  const { store, clock, self } = options;

  async function peerOf(id: string, cache: Map<string, WirePeer>): Promise<WirePeer> {
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    const record = id === self.id ? self : await store.getPeer(id);
    // A publisher always sent its contract with its address, so this fallback is for damaged state only.
    const peer = record === undefined ? { id, name: id, manager_address: '' } : toWirePeer(record);
    cache.set(id, peer);
    return peer;
  }

  /** Every service of a valid publication contract, de-duplicated, in ascending key order. */
  async function all(): Promise<ServiceListingData[]> {
    const now = Math.floor(clock() / 1000);
    const peers = new Map<string, WirePeer>();
    const found = new Map<string, ServiceListingData>();
    for await (const { grant } of activePublications(store, now)) {
      let listing: ServiceListingData;
      if (grant.type === 'GRANT_TYPE_SERVICE_PUBLICATION') {
        listing = {
          type: 'SERVICE_TYPE_SERVICE',
          peer: await peerOf(grant.service.peer_id, peers),
          name: grant.service.name,
          protocol: grant.service.protocol,
        };
      } else {
        const delegator = await peerOf(grant.delegator.peer_id, peers);
        listing = {
          type: 'SERVICE_TYPE_DELEGATED_SERVICE',
          delegator: { peer_id: delegator.id, peer_name: delegator.name },
          peer: await peerOf(grant.service.peer_id, peers),
          name: grant.service.name,
          protocol: grant.service.protocol,
        };
      }
      found.set(sortKey(listing), listing);
    }
    return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l);
  }

  return {
    all,
    async list(query: ServiceQuery): Promise<{ services: ServiceListing[]; nextCursor?: string }> {
      let items = await all();
      // manager.yaml: "When multiple filters are used the Services where either condition is true should be returned".
      const name = query.serviceName?.toLowerCase();
      if (query.peerId !== undefined || name !== undefined) {
        items = items.filter(
          (l) =>
            (query.peerId !== undefined && l.peer.id === query.peerId) ||
            (name !== undefined && l.name.toLowerCase().includes(name)),
        );
      }
      if (query.sortOrder === 'SORT_ORDER_DESCENDING') items.reverse();
      if (query.cursor !== undefined) {
        const after = decodeCursor(query.cursor);
        const desc = query.sortOrder === 'SORT_ORDER_DESCENDING';
        items = items.filter((l) => (desc ? sortKey(l) < after : sortKey(l) > after));
      }
      const pageItems = items.slice(0, query.limit);
      const result: { services: ServiceListing[]; nextCursor?: string } = {
        services: pageItems.map((data) => ({ type: data.type, data })),
      };
      const last = pageItems[pageItems.length - 1];
      if (items.length > query.limit && last !== undefined) result.nextCursor = encodeCursor(sortKey(last));
      return result;
    },
  };
}

export type ServiceListingApi = ReturnType<typeof createServiceListing>;
