// GET /v1/koppel/services on the directory's Manager API (mTLS, group members only): FSC's service
// listing plus inway address and health. A Koppel extension under its own path, so the FSC routes of
// manager.yaml stay exactly as specified; peers of other implementations simply never call it.
import { Hono } from 'hono';
import type { ManagerEnv } from '../gateway/manager/index.ts';
import { FscError } from '../gateway/protocol/index.ts';
import { toKoppelServiceListing, type DirectoryView } from './directory-view.ts';

export function koppelServiceRoutes(view: DirectoryView): Hono<ManagerEnv> {
  const app = new Hono<ManagerEnv>();
  app.get('/services', async (c) => {
    const peerIds = c.req.queries('peer_id') ?? [];
    if (peerIds.length > 1)
      throw new FscError('ERROR_CODE_BAD_REQUEST', 'query parameter peer_id may be given once', {
        reason: 'invalid-query',
      });
    const [peerId] = peerIds;
    const services = await view.listServices(peerId === undefined || peerId === '' ? {} : { peerId });
    return c.json({ services: services.map(toKoppelServiceListing) });
  });
  return app;
}
