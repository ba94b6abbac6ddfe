// GET /admin/contracts (filters: state, pending, type, peer; cursor pagination), GET
// /admin/contracts/{hash}, POST /admin/contracts/{hash}/accept|reject|revoke: the operator's side of
// contract negotiation. Signing goes through the manager, which sends the signature to every other
// peer on the contract (fsc-core "Signatures": "The Manager MUST propagate the signature").
import { Hono } from 'hono';
import { FscError, HashType, assertKnownHashAlgorithm, parseHash } from '../../protocol/index.ts';
import type { ContractState, GrantType, SignatureType } from '../../protocol/index.ts';
import type { ListContractsOptions } from '../../store/index.ts';
import type { AdminContext } from '../context.ts';
import { createPeerNames, toAdminContract } from '../contract-view.ts';
import type { ContractView } from '../../manager/index.ts';

const STATES: readonly ContractState[] = ['proposed', 'valid', 'rejected', 'revoked', 'expired'];

const TYPE_NAMES: Readonly<Record<string, GrantType>> = {
  publication: 'GRANT_TYPE_SERVICE_PUBLICATION',
  'delegated-publication': 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
  connection: 'GRANT_TYPE_SERVICE_CONNECTION',
  'delegated-connection': 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
  GRANT_TYPE_SERVICE_PUBLICATION: 'GRANT_TYPE_SERVICE_PUBLICATION',
  GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
  GRANT_TYPE_SERVICE_CONNECTION: 'GRANT_TYPE_SERVICE_CONNECTION',
  GRANT_TYPE_DELEGATED_SERVICE_CONNECTION: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
};

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Store page size while filtering on state: large enough that few round trips are needed. */
const SCAN_PAGE = 200;

function bad(message: string): FscError {
  return new FscError('ERROR_CODE_BAD_REQUEST', message, { reason: 'invalid-query' });
}

function list(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function single(values: string[] | undefined, name: string): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw bad(`query parameter ${name} may be given once`);
  return values[0];
}

/** The content hash from the URL path, checked before anything is looked up. */
export function contractHashParam(value: string): string {
  assertKnownHashAlgorithm(value);
  try {
    if (parseHash(value).type === HashType.Contract) return value;
  } catch {
    // reported below
  }
  throw new FscError('ERROR_CODE_BAD_REQUEST', 'the path must name a contract content hash ($1$1$…)', {
    reason: 'malformed-hash',
  });
}

interface ContractQuery {
  states: ContractState[];
  pendingOnly: boolean;
  filter: Omit<ListContractsOptions, 'limit' | 'cursor'>;
  limit: number;
  cursor?: string;
}

function parseQuery(q: (name: string) => string[] | undefined, selfPeerId: string): ContractQuery {
  const states = list(q('state'));
  for (const s of states)
    if (!(STATES as readonly string[]).includes(s)) throw bad(`state must be one of ${STATES.join(', ')}`);
  const types = list(q('type')).map((t) => {
    const type = TYPE_NAMES[t];
    if (type === undefined)
      throw bad('type must be publication, delegated-publication, connection or delegated-connection');
    return type;
  });
  const pending = single(q('pending'), 'pending');
  if (pending !== undefined && pending !== 'true' && pending !== 'false') throw bad('pending must be true or false');
  const limitText = single(q('limit'), 'limit');
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT)
      throw bad(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    limit = Number(limitText);
  }
  const order = single(q('sort_order'), 'sort_order') ?? 'SORT_ORDER_DESCENDING';
  if (order !== 'SORT_ORDER_ASCENDING' && order !== 'SORT_ORDER_DESCENDING')
    throw bad('sort_order must be SORT_ORDER_ASCENDING or SORT_ORDER_DESCENDING');
  const peer = single(q('peer'), 'peer');
  const filter: ContractQuery['filter'] = { sortOrder: order };
  if (types.length > 0) filter.grantTypes = types;
  // pending=true: contracts waiting for our accept, which are necessarily contracts we are on.
  if (peer !== undefined && peer !== '') filter.peerId = peer;
  else if (pending === 'true') filter.peerId = selfPeerId;
  const query: ContractQuery = { states: states as ContractState[], pendingOnly: pending === 'true', filter, limit };
  const cursor = single(q('cursor'), 'cursor');
  if (cursor !== undefined && cursor !== '') {
    if (cursor.length > 4096) throw bad('cursor is too long');
    query.cursor = cursor;
  }
  return query;
}

export function contractAdminRoutes(ctx: AdminContext): Hono {
  const app = new Hono();
  const { service, store } = ctx;

  function matches(contract: ContractView, query: ContractQuery): boolean {
    if (query.states.length > 0 && !query.states.includes(contract.state)) return false;
    if (query.pendingOnly && !(contract.state === 'proposed' && contract.missingSigners.includes(service.peerId)))
      return false;
    return true;
  }

  /**
   * One page of matching contracts. State and "pending" are computed, not indexed, so store pages are
   * scanned until the page is full; the cursor returned points just after the last contract handed
   * out (when that one sat inside a store page, the page is asked again up to it for that cursor).
   */
  async function page(query: ContractQuery): Promise<{ contracts: ContractView[]; nextCursor?: string }> {
    const out: ContractView[] = [];
    let cursor = query.cursor;
    for (;;) {
      const storePage = await service.listContracts({
        ...query.filter,
        limit: SCAN_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const [i, contract] of storePage.contracts.entries()) {
        if (!matches(contract, query)) continue;
        out.push(contract);
        if (out.length < query.limit) continue;
        if (i === storePage.contracts.length - 1) {
          return storePage.nextCursor === undefined
            ? { contracts: out }
            : { contracts: out, nextCursor: storePage.nextCursor };
        }
        const upTo = await service.listContracts({
          ...query.filter,
          limit: i + 1,
          ...(cursor === undefined ? {} : { cursor }),
        });
        return upTo.nextCursor === undefined ? { contracts: out } : { contracts: out, nextCursor: upTo.nextCursor };
      }
      if (storePage.nextCursor === undefined) return { contracts: out };
      cursor = storePage.nextCursor;
    }
  }

  app.get('/contracts', async (c) => {
    const query = parseQuery((name) => c.req.queries(name), service.peerId);
    const result = await page(query);
    const nameOf = createPeerNames(store, service);
    const contracts = await Promise.all(
      result.contracts.map((contract) => toAdminContract(contract, service.peerId, nameOf)),
    );
    return c.json({ contracts, nextCursor: result.nextCursor ?? null });
  });

  app.get('/contracts/:hash', async (c) => {
    const hash = contractHashParam(c.req.param('hash'));
    const contract = await service.getContract(hash);
    if (contract === undefined)
      throw new FscError('ERROR_CODE_CONTRACT_NOT_FOUND', 'no contract with this content hash');
    return c.json({ contract: await toAdminContract(contract, service.peerId, createPeerNames(store, service)) });
  });

  for (const type of ['accept', 'reject', 'revoke'] as const satisfies readonly SignatureType[]) {
    app.post(`/contracts/:hash/${type}`, async (c) => {
      const hash = contractHashParam(c.req.param('hash'));
      const contract = await service.sign(hash, type);
      ctx.logger.info({ contentHash: hash, type, state: contract.state }, 'contract signed by the operator');
      return c.json({ contract: await toAdminContract(contract, service.peerId, createPeerNames(store, service)) });
    });
  }

  return app;
}
