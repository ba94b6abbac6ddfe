// POST /contracts, GET /contracts, PUT /contracts/{hash}/accept|reject|revoke (manager.yaml).
import { Hono } from 'hono';
import { FscError, parseHash } from '../../protocol/index.ts';
import type { GrantType, SignatureType } from '../../protocol/index.ts';
import type { ListContractsOptions } from '../../store/index.ts';
import type { ContractService } from './contract-service.ts';
import { managerAddressOf, readJsonBody, type ManagerEnv } from '../http-context.ts';
import { listParam, MAX_LIMIT, parsePageQuery, singleParam } from '../query-params.ts';
import { toWireContract } from '../wire.ts';

const GRANT_TYPES: readonly GrantType[] = [
  'GRANT_TYPE_SERVICE_PUBLICATION',
  'GRANT_TYPE_SERVICE_CONNECTION',
  'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
  'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
];

const MAX_GRANT_HASHES = 1000;

export interface ContractRoutesOptions {
  contracts: ContractService;
  maxBodyBytes: number;
}

export function contractRoutes(options: ContractRoutesOptions): Hono<ManagerEnv> {
  const { contracts, maxBodyBytes } = options;
  const app = new Hono<ManagerEnv>();

  app.post('/contracts', async (c) => {
    const managerAddress = managerAddressOf(c);
    const body = await readJsonBody(c, maxBodyBytes);
    await contracts.receiveContract({ caller: c.get('caller'), managerAddress, body });
    return c.body(null, 201);
  });

  for (const type of ['accept', 'reject', 'revoke'] as const satisfies readonly SignatureType[]) {
    app.put(`/contracts/:hash/${type}`, async (c) => {
      const managerAddress = managerAddressOf(c);
      const body = await readJsonBody(c, maxBodyBytes);
      await contracts.receiveSignature({
        caller: c.get('caller'),
        managerAddress,
        body,
        urlHash: c.req.param('hash'),
        type,
      });
      return c.body(null, 201);
    });
  }

  app.get('/contracts', async (c) => {
    const caller = c.get('caller');
    const query = (name: string): string[] | undefined => c.req.queries(name);
    const grantHashes = listParam(query('grant_hash'));
    // fsc-core "Providing contracts": only contracts the calling peer is on.
    let listOptions: ListContractsOptions;
    if (grantHashes.length > 0) {
      if (grantHashes.length > MAX_GRANT_HASHES) {
        throw new FscError('ERROR_CODE_BAD_REQUEST', `at most ${MAX_GRANT_HASHES} grant hashes`, { reason: 'invalid-query' });
      }
      for (const h of grantHashes) parseHash(h);
      // manager.yaml: with grant_hash "the pagination parameters and the GrantType filter should be ignored".
      const sortOrder = parsePageQuery(query).sortOrder;
      listOptions = { peerId: caller.peerId, grantHashes, limit: MAX_LIMIT, sortOrder };
    } else {
      const page = parsePageQuery(query);
      listOptions = { peerId: caller.peerId, limit: page.limit, sortOrder: page.sortOrder };
      if (page.cursor !== undefined) listOptions.cursor = page.cursor;
      const grantType = singleParam(query('grant_type'), 'grant_type');
      if (grantType !== undefined) {
        if (!(GRANT_TYPES as readonly string[]).includes(grantType)) {
          throw new FscError('ERROR_CODE_BAD_REQUEST', `grant_type must be one of ${GRANT_TYPES.join(', ')}`, {
            reason: 'invalid-query',
          });
        }
        listOptions.grantTypes = [grantType as GrantType];
      }
    }
    const result = await contracts.listContracts(listOptions);
    return c.json({
      contracts: result.contracts.map(toWireContract),
      pagination: { next_cursor: grantHashes.length > 0 ? '' : (result.nextCursor ?? '') },
    });
  });

  return app;
}
