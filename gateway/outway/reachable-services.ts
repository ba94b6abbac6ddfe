// The answer to "this outway cannot reach that": an FSC error (header `Fsc-Error-Code`, body
// `{message, domain, code}`, fsc-core "Error handling") that also lists what the outway CAN reach, so
// the developer of the calling application sees the right URL or grant hash at once.
import { FSC_ERROR_CODE, FSC_TRANSACTION_ID, errorBody, type FscError } from '../protocol/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { GrantEntry } from './grant-table.ts';

/** One reachable service in the listing. */
export interface ReachableService {
  provider_peer_id: string;
  /** From the peers this manager knows; absent when it knows none. */
  provider_name?: string;
  service_name: string;
  grant_hash: string;
  /** The friendly URL; absent for delegated connections, which need `Fsc-Grant-Hash`. */
  url?: string;
  /** DelegatedServiceConnectionGrant: the peer on whose behalf the call is made. */
  delegator_peer_id?: string;
}

/** Most services listed in one error body (a peer with thousands of contracts keeps its errors small). */
export const MAX_LISTED_SERVICES = 100;

function friendlyUrl(base: string, e: GrantEntry): string {
  return `${base}/${encodeURIComponent(e.providerPeerId)}/${encodeURIComponent(e.serviceName)}`;
}

/** The listing for `entries`, sorted by provider and service, at most {@link MAX_LISTED_SERVICES}. */
export async function listReachable(entries: readonly GrantEntry[], store: ManagerStore, baseUrl: string): Promise<ReachableService[]> {
  const sorted = [...entries].sort(
    (a, b) =>
      a.providerPeerId.localeCompare(b.providerPeerId) ||
      a.serviceName.localeCompare(b.serviceName) ||
      a.type.localeCompare(b.type) ||
      a.grantHash.localeCompare(b.grantHash),
  );
  const names = new Map<string, string | undefined>();
  const out: ReachableService[] = [];
  for (const e of sorted.slice(0, MAX_LISTED_SERVICES)) {
    if (!names.has(e.providerPeerId)) {
      const peer = await store.getPeer(e.providerPeerId).catch(() => undefined);
      names.set(e.providerPeerId, peer?.name);
    }
    const item: ReachableService = { provider_peer_id: e.providerPeerId, service_name: e.serviceName, grant_hash: e.grantHash };
    const name = names.get(e.providerPeerId);
    if (name !== undefined) item.provider_name = name;
    if (e.type === 'GRANT_TYPE_SERVICE_CONNECTION') item.url = friendlyUrl(baseUrl, e);
    if (e.delegatorPeerId !== undefined) item.delegator_peer_id = e.delegatorPeerId;
    out.push(item);
  }
  return out;
}

/** The error response with the listing under `reachable_services`. */
export function errorWithListing(err: FscError, services: ReachableService[], transactionId?: string): Response {
  const headers = new Headers({ 'content-type': 'application/json', [FSC_ERROR_CODE]: err.code });
  if (transactionId !== undefined) headers.set(FSC_TRANSACTION_ID, transactionId);
  const body = { ...errorBody(err, transactionId), reachable_services: services };
  return new Response(JSON.stringify(body), { status: err.status, headers });
}
