// The grants this outway may use, read from the consumer manager's store. A grant is usable when it
// is a (Delegated)ServiceConnectionGrant in a VALID contract (every required peer accepted, nobody
// rejected or revoked; fsc-core "Contracts"), names our peer as `outway.peer_id` and the public key of
// our certificate as `outway.public_key_thumbprint` (fsc-core "Certificate & Public key thumbprints"),
// and `now` lies within the contract's validity.
import { contractState, grantHashes } from '../protocol/index.ts';
import type { DelegatedServiceConnectionGrantData, HashScheme, ServiceConnectionGrantData } from '../protocol/index.ts';
import type { ManagerStore, StoredContract } from '../store/index.ts';

/** One usable connection grant. */
export interface GrantEntry {
  grantHash: string;
  contentHash: string;
  type: 'GRANT_TYPE_SERVICE_CONNECTION' | 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION';
  /** `grant.data.service.peer_id`: the peer whose manager issues the token and whose inway serves. */
  providerPeerId: string;
  serviceName: string;
  /** DelegatedServiceConnectionGrant: the peer on whose behalf this outway calls. */
  delegatorPeerId?: string;
  /** A service offered on behalf of another peer (SERVICE_TYPE_DELEGATED_SERVICE). */
  serviceDelegatorPeerId?: string;
  /** Contract validity, Unix seconds. */
  notBefore: number;
  notAfter: number;
  /** Contract `created_at`, Unix seconds (newer wins between equals). */
  createdAt: number;
}

export interface GrantTable {
  /** When it was read (clock milliseconds). */
  loadedAt: number;
  byHash: ReadonlyMap<string, GrantEntry>;
  entries: readonly GrantEntry[];
}

type ConnectionGrant = ServiceConnectionGrantData | DelegatedServiceConnectionGrantData;

export interface LoadGrantTableInput {
  store: ManagerStore;
  peerId: string;
  /** Hex SHA-256 of our certificate's SubjectPublicKeyInfo. */
  publicKeyThumbprint: string;
  hashScheme: HashScheme;
  /** Milliseconds. */
  now: number;
  /**
   * Grant hashes by content hash, kept between loads: contract content never changes (fsc-core
   * "Contracts"), so its grant hashes are computed once, not at every reload.
   */
  hashCache?: Map<string, string[]>;
}

function hashesOf(contract: StoredContract, input: Pick<LoadGrantTableInput, 'hashScheme' | 'hashCache'>): string[] {
  const cached = input.hashCache?.get(contract.contentHash);
  if (cached !== undefined) return cached;
  const hashes = grantHashes(contract.content, input.hashScheme);
  input.hashCache?.set(contract.contentHash, hashes);
  return hashes;
}

const PAGE = 1000;

/** Grants of one contract that this outway may use (time window not yet applied). */
export function grantsOfContract(contract: StoredContract, input: Omit<LoadGrantTableInput, 'store' | 'now'>, nowSeconds: number): GrantEntry[] {
  const { content, signatures } = contract;
  // `valid` only: proposed contracts are not signed by everybody yet, the others have ended for good.
  if (contractState(content, signatures, nowSeconds) !== 'valid') return [];
  let hashes: string[] | undefined;
  const out: GrantEntry[] = [];
  content.grants.forEach((grant, index) => {
    const data = grant.data;
    if (data.type !== 'GRANT_TYPE_SERVICE_CONNECTION' && data.type !== 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') return;
    const g: ConnectionGrant = data;
    if (g.outway.peer_id !== input.peerId) return;
    if (g.outway.public_key_thumbprint.toLowerCase() !== input.publicKeyThumbprint) return;
    hashes ??= hashesOf(contract, input);
    const grantHash = hashes[index];
    if (grantHash === undefined) return;
    const entry: GrantEntry = {
      grantHash,
      contentHash: contract.contentHash,
      type: g.type,
      providerPeerId: g.service.peer_id,
      serviceName: g.service.name,
      notBefore: content.validity.not_before,
      notAfter: content.validity.not_after,
      createdAt: content.created_at,
    };
    if (g.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') entry.delegatorPeerId = g.delegator.peer_id;
    if (g.service.type === 'SERVICE_TYPE_DELEGATED_SERVICE') entry.serviceDelegatorPeerId = g.service.delegator.peer_id;
    out.push(entry);
  });
  return out;
}

/** Read every usable grant from the store (all pages). */
export async function loadGrantTable(input: LoadGrantTableInput): Promise<GrantTable> {
  const nowSeconds = Math.floor(input.now / 1000);
  const entries: GrantEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await input.store.listContracts({
      grantTypes: ['GRANT_TYPE_SERVICE_CONNECTION', 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION'],
      peerId: input.peerId,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const contract of page.items) entries.push(...grantsOfContract(contract, input, nowSeconds));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  // Forget the hashes of contracts that are gone from the listing (ended, or removed).
  if (input.hashCache !== undefined) {
    const seen = new Set(entries.map((e) => e.contentHash));
    for (const key of input.hashCache.keys()) if (!seen.has(key)) input.hashCache.delete(key);
  }
  const byHash = new Map<string, GrantEntry>();
  for (const e of entries) if (!byHash.has(e.grantHash)) byHash.set(e.grantHash, e);
  return { loadedAt: input.now, byHash, entries };
}

/** True when the grant's contract is within its validity at `nowSeconds` (manager.yaml `validity`). */
export function inValidity(entry: GrantEntry, nowSeconds: number): boolean {
  return nowSeconds >= entry.notBefore && nowSeconds <= entry.notAfter;
}

/**
 * The grant the friendly form uses for (provider, service): a plain ServiceConnectionGrant only (acting
 * on behalf of another peer must be asked for explicitly, with `Fsc-Grant-Hash`); of several, the one
 * that stays valid longest, then the newest contract.
 */
export function pickForService(table: GrantTable, providerPeerId: string, serviceName: string, nowSeconds: number): GrantEntry | undefined {
  let best: GrantEntry | undefined;
  for (const e of table.entries) {
    if (e.type !== 'GRANT_TYPE_SERVICE_CONNECTION') continue;
    if (e.providerPeerId !== providerPeerId || e.serviceName !== serviceName || !inValidity(e, nowSeconds)) continue;
    if (best === undefined || e.notAfter > best.notAfter || (e.notAfter === best.notAfter && e.createdAt > best.createdAt)) best = e;
  }
  return best;
}
