// The admin API: the operator's local control of this peer (`koppel services|publish|connect|
// contracts`). A separate plain-HTTP listener on a loopback address, never part of the FSC Manager
// API and never reachable by other peers; every `/admin` request needs the bearer token from the
// token file. JSON in and out; errors in the FSC shape `{message, domain, code}` with
// `Fsc-Error-Code` (400 invalid input, 401 token, 403 not local, 404 unknown, 409 duplicate, 422
// refused contract, 502 directory unreachable).
import { Hono } from 'hono';
import type { Dispatcher } from 'undici';
import type { KoppelConfig } from '../../config/index.ts';
import { isLoopbackHost } from '../../config/index.ts';
import { publicKeyThumbprint } from '../protocol/index.ts';
import {
  createPeerAgent,
  installErrorBoundary,
  listenerOptionsFrom,
  requestLogger,
  startHttpServer,
} from '../runtime/index.ts';
import type { Logger, PeerTlsMaterial, RunningServer } from '../runtime/index.ts';
import type { ManagerStore } from '../store/index.ts';
import { bearerAuth, ensureAdminToken, loopbackHostOnly, loopbackOnly } from './auth.ts';
import { directoryPeerIdResolver, type AdminContext } from './context.ts';
import { createRemoteDirectory, listingOf, type GroupServicesSource } from './group-services.ts';
import { connectionAdminRoutes } from './routes/connections.ts';
import { contractAdminRoutes } from './routes/contracts.ts';
import { serviceAdminRoutes } from './routes/services.ts';
import type { Manager } from '../manager/index.ts';
import type { Clock } from '../manager/index.ts';

export interface CreateAdminApiOptions {
  config: KoppelConfig;
  logger: Logger;
  /** This peer's manager: the admin API acts through its service. */
  manager: Pick<Manager, 'service' | 'peerClient'>;
  store: ManagerStore;
  /** This peer's TLS material: calls to the directory, and the outway key of connection requests. */
  tls: PeerTlsMaterial;
  clock?: Clock;
  /** The bearer token; default the content of `config.admin.tokenPath` (created there when missing). */
  token?: string;
  /**
   * The group's services when this peer is the directory itself (pass `directory.view`); default:
   * asked from `config.manager.directoryAddress` over mTLS.
   */
  localDirectory?: GroupServicesSource;
  /** Pages served on the same listener without the token (e.g. the directory's `/catalogue`). */
  publicRoutes?: Hono;
  /** Public-key thumbprint of the outway certificate; default the peer certificate's (the outway presents it). */
  outwayPublicKeyThumbprint?: string;
  /** Dispatcher for calls to the directory; default an mTLS agent from `tls`, closed by `close()`. */
  dispatcher?: Dispatcher;
}

export interface AdminApi {
  readonly app: Hono;
  /** The group's services as this peer sees them (its own directory view, or the remote directory); undefined without a directory. */
  readonly groupServices: GroupServicesSource | undefined;
  /** Bind to `config.admin.listen` (or `listen`); refuses an address that is not loopback. */
  listen(listen?: { host: string; port: number }): Promise<RunningServer>;
  /** Idempotent. */
  close(): Promise<void>;
}

export class AdminBindError extends Error {
  override readonly name = 'AdminBindError';
}

export function createAdminApi(options: CreateAdminApiOptions): AdminApi {
  const { config, store, tls } = options;
  const logger = options.logger.child({ component: 'admin' });
  const clock = options.clock ?? Date.now;
  const { service, peerClient } = options.manager;

  let tokenPromise: Promise<string> | undefined =
    options.token === undefined ? undefined : Promise.resolve(options.token);
  const token = (): Promise<string> => (tokenPromise ??= ensureAdminToken(config.admin.tokenPath));

  let ownedAgent: Dispatcher | undefined;
  let groupServices: GroupServicesSource | undefined = options.localDirectory;
  if (groupServices === undefined && config.manager.mode === 'directory') {
    // A directory started without its view: FSC's own listing, without inway addresses or health.
    groupServices = listingOf(service);
  } else if (groupServices === undefined && config.manager.directoryAddress !== undefined) {
    const dispatcher = options.dispatcher ?? (ownedAgent = createPeerAgent(tls, config));
    groupServices = createRemoteDirectory({
      address: config.manager.directoryAddress,
      dispatcher,
      timeoutMs: config.timeouts.headersMs,
    });
  }

  const ctx: AdminContext = {
    config,
    logger,
    store,
    service,
    clock,
    groupServices,
    directoryPeerId: directoryPeerIdResolver({ config, selfPeerId: service.peerId, peerClient }),
    outwayPublicKeyThumbprint: options.outwayPublicKeyThumbprint ?? publicKeyThumbprint(tls.certificate),
  };

  const app = new Hono();
  installErrorBoundary(app, { logger, domain: 'ERROR_DOMAIN_MANAGER' });
  app.use(requestLogger({ logger }));
  app.use(loopbackOnly());
  // A browser on this machine can be made to talk to 127.0.0.1 by a web site that rebinds its own
  // name (DNS rebinding): only loopback Host names are served, for the token-free pages above all.
  app.use(loopbackHostOnly());
  if (options.publicRoutes !== undefined) app.route('/', options.publicRoutes);
  const admin = new Hono();
  admin.use(bearerAuth(token));
  admin.route('/', serviceAdminRoutes(ctx));
  admin.route('/', connectionAdminRoutes(ctx));
  admin.route('/', contractAdminRoutes(ctx));
  app.route('/admin', admin);

  let server: RunningServer | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    groupServices,
    async listen(listen = config.admin.listen) {
      // The config schema refuses a wider bind already; this holds for configurations built in code.
      if (!isLoopbackHost(listen.host)) {
        throw new AdminBindError(
          `the admin API must listen on a loopback address (127.0.0.1, ::1 or localhost), not ${listen.host}`,
        );
      }
      if (server !== undefined) return server;
      await token();
      server = await startHttpServer({ app, listen, name: 'admin', logger, ...listenerOptionsFrom(config.listeners) });
      return server;
    },
    close() {
      closing ??= (async () => {
        await server?.close();
        await ownedAgent?.close();
      })();
      return closing;
    },
  };
}
