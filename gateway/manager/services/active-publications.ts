// The publication grants that list a service (fsc-core "Service listing": "The Manager MUST list a Service
// when a valid Contract containing a ServicePublicationGrant or DelegatedServicePublicationGrant for the
// Service exists"). The manager's GET /services and the directory's own listing both read them from here,
// so the rule of which contracts count is written once.
import { isActive } from '../../protocol/index.ts';
import type { DelegatedServicePublicationGrantData, ServicePublicationGrantData } from '../../protocol/index.ts';
import type { ManagerStore, StoredContract } from '../../store/index.ts';

export type PublicationGrantData = ServicePublicationGrantData | DelegatedServicePublicationGrantData;

/** One publication grant of a contract that is valid now. */
export interface ActivePublication {
  contract: StoredContract;
  grant: PublicationGrantData;
}

const PAGE = 1000;

/**
 * Every publication grant of every publication contract that is active at `now` (Unix seconds), in ascending
 * `(created_at, content hash)` order of their contracts, so a later publication of the same service comes later.
 */
export async function* activePublications(store: ManagerStore, now: number): AsyncGenerator<ActivePublication> {
  let cursor: string | undefined;
  do {
    const page = await store.listContracts({
      grantTypes: ['GRANT_TYPE_SERVICE_PUBLICATION', 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION'],
      limit: PAGE,
      sortOrder: 'SORT_ORDER_ASCENDING',
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const contract of page.items) {
      if (!isActive(contract.content, contract.signatures, now)) continue;
      for (const { data } of contract.content.grants) {
        if (data.type === 'GRANT_TYPE_SERVICE_PUBLICATION' || data.type === 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION')
          yield { contract, grant: data };
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}
