// GET /services (manager.yaml getServices).
import { Hono } from 'hono';
import { FscError } from '../../protocol/index.ts';
import type { ManagerEnv } from '../http-context.ts';
import { parsePageQuery, singleParam } from '../query-params.ts';
import type { ServiceListingApi, ServiceQuery } from './listing.ts';

export function serviceRoutes(listing: ServiceListingApi): Hono<ManagerEnv> {
  const app = new Hono<ManagerEnv>();
  app.get('/services', async (c) => {
    const query = (name: string): string[] | undefined => c.req.queries(name);
    const page = parsePageQuery(query);
    const q: ServiceQuery = { limit: page.limit, sortOrder: page.sortOrder };
    if (page.cursor !== undefined) q.cursor = page.cursor;
    const peerId = singleParam(query('peer_id'), 'peer_id');
    if (peerId !== undefined && peerId !== '') q.peerId = peerId;
    const serviceName = singleParam(query('service_name'), 'service_name');
    if (serviceName !== undefined && serviceName !== '') {
      if (serviceName.length > 255) {
        throw new FscError('ERROR_CODE_BAD_REQUEST', 'service_name is at most 255 characters', { reason: 'invalid-query' });
      }
      q.serviceName = serviceName;
    }
    const result = await listing.list(q);
    return c.json({ services: result.services, pagination: { next_cursor: result.nextCursor ?? '' } });
  });
  return app;
}
