// The FSC Manager API as a hono app: `/v1` with the routes of manager.yaml. Identity comes from the
// mTLS client certificate (never from the request), errors go through one boundary.
import { Hono } from 'hono';
import { requestLogger, type Logger } from '../runtime/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { CertificateResolver } from './peers/certificate-resolver.ts';
import type { ContractService } from './contracts/contract-service.ts';
import { managerErrorHandler, managerNotFound } from './error-boundary.ts';
import { callerIdentity, type ManagerEnv } from './http-context.ts';
import type { JsonWebKeySet } from './peers/jwks.ts';
import { callerPeerId, logsRoutes, type LogsRoutesOptions } from './logs/routes.ts';
import { contractRoutes } from './contracts/routes.ts';
import { jwksRoutes } from './peers/routes-jwks.ts';
import { peerRoutes } from './peers/routes.ts';
import { serviceRoutes } from './services/routes.ts';
import type { ServiceListingApi } from './services/listing.ts';
import { tokenEndpoint, type TokenEndpointOptions } from './tokens/token-endpoint.ts';
import type { Clock, SelfIdentity } from './types.ts';

export interface ManagerAppOptions {
  logger: Logger;
  store: ManagerStore;
  clock: Clock;
  self: SelfIdentity;
  contracts: ContractService;
  services: ServiceListingApi;
  certificates: CertificateResolver;
  jwks: () => Promise<JsonWebKeySet>;
  token: TokenEndpointOptions;
  maxBodyBytes: number;
  /** The peer's transaction log; when given, GET /v1/logs (fsc-logging) is served. */
  txlog?: LogsRoutesOptions<ManagerEnv>['txlog'] | undefined;
}

export function createManagerApp(options: ManagerAppOptions): Hono<ManagerEnv> {
  const { logger } = options;
  const v1 = new Hono<ManagerEnv>();
  v1.use(requestLogger({ logger }));
  // The token endpoint answers in RFC 6749 format, also when the certificate is unusable, so it
  // reads the certificate itself; every other route gets `c.var.caller` or a 400/401 FSC error.
  const identify = callerIdentity();
  v1.use(async function managerCaller(c, next) {
    if (c.req.path === '/v1/token') return next();
    return identify(c, next);
  });
  // Keep the certificates of peers that write to us: signatures they made with them can later be
  // checked even when they arrive over another connection.
  v1.use(async function rememberCertificates(c, next) {
    if ((c.req.method === 'POST' || c.req.method === 'PUT') && c.req.path !== '/v1/token') {
      await options.certificates.remember(c.get('caller').chain);
    }
    return next();
  });
  v1.route('/', tokenEndpoint(options.token));
  v1.route('/', contractRoutes({ contracts: options.contracts, maxBodyBytes: options.maxBodyBytes }));
  v1.route('/', peerRoutes({ store: options.store, self: options.self, clock: options.clock }));
  v1.route('/', serviceRoutes(options.services));
  v1.route('/', jwksRoutes(options.jwks));
  if (options.txlog !== undefined) v1.route('/', logsRoutes<ManagerEnv>({ txlog: options.txlog, peerIdOf: callerPeerId }));

  const app = new Hono<ManagerEnv>();
  app.onError(managerErrorHandler(logger));
  app.notFound(managerNotFound());
  app.route('/v1', v1);
  return app;
}
