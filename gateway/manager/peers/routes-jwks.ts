// GET /.well-known/jwks.json: the keys that sign our contract signatures and access tokens.
import { Hono } from 'hono';
import type { ManagerEnv } from '../http-context.ts';
import type { JsonWebKeySet } from './jwks.ts';

export function jwksRoutes(jwks: () => Promise<JsonWebKeySet>): Hono<ManagerEnv> {
  const app = new Hono<ManagerEnv>();
  app.get('/.well-known/jwks.json', async (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(await jwks());
  });
  return app;
}
