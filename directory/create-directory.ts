// The directory role: "a Manager chosen by the Group to act as a Directory" (fsc-core "Directory").
// `createDirectory` builds that manager (config `manager.mode: directory`) and adds what makes it a
// directory: co-signing valid service publications as they arrive, an inway health monitor, the
// Koppel listing with inway addresses and health (`GET /v1/koppel/services`, mTLS) and the
// operator's catalogue page. Peers and FSC's own `GET /v1/services` / `GET /v1/peers` are the
// manager's (announce and contracts feed them).
import type { Hono } from 'hono';
import type { Dispatcher } from 'undici';
import type { KoppelConfig } from '../config/index.ts';
import { createManager } from '../gateway/manager/index.ts';
import type { ContractView, Manager, ManagerHooks, ManagerService, OutboxSettings } from '../gateway/manager/index.ts';
import { peerFromCertificate } from '../gateway/protocol/index.ts';
import type { Logger, PeerTlsMaterial, RunningServer } from '../gateway/runtime/index.ts';
import type { ManagerStore } from '../gateway/store/index.ts';
import { catalogueRoutes, type CataloguePeer } from './catalogue-page.tsx';
import { createDirectoryEntries } from './directory-entries.ts';
import { createDirectoryView, type DirectoryView } from './directory-view.ts';
import { createHealthMonitor, type HealthMonitor } from './health-monitor.ts';
import { inwayAddressOfGrant } from './inway-address.ts';
import { createInwayProbe } from './inway-probe.ts';
import { createPublicationSigner, type PublicationSigner } from './publication-signer.ts';
import { koppelServiceRoutes } from './routes-koppel-services.ts';

export interface DirectoryHealthSettings {
  /** Time between two probes of an inway. Default `manager.inwayHealthIntervalMs` (5 000). */
  intervalMs: number;
  /** Connect, TLS handshake and answer of one probe. Default `manager.inwayHealthTimeoutMs` (3 000). */
  timeoutMs: number;
  /** Path requested on each inway. Default `/`. */
  probePath: string;
}

export interface CreateDirectoryOptions {
  /** A peer configuration with `manager.mode: 'directory'`. */
  config: KoppelConfig;
  logger: Logger;
  store: ManagerStore;
  tls: PeerTlsMaterial;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  health?: Partial<DirectoryHealthSettings>;
  /** Further manager hooks, run after the directory's own. */
  hooks?: ManagerHooks;
  outbox?: Partial<OutboxSettings>;
  /** Dispatcher for calls to other managers (see createManager). */
  dispatcher?: Dispatcher;
}

export interface Directory {
  /** The directory's manager (its app already carries the Koppel routes). */
  readonly manager: Manager;
  readonly service: ManagerService;
  readonly view: DirectoryView;
  readonly health: HealthMonitor;
  readonly publications: PublicationSigner;
  /** `GET /catalogue`, for the admin listener (see createAdminApi `publicRoutes`). */
  readonly catalogue: Hono;
  /** Start the manager, review publications that wait for us, start the health monitor. */
  listen(): Promise<RunningServer>;
  /** Idempotent. Does not close the store. */
  close(): Promise<void>;
}

// A dead inway shows as down within interval + timeout (8 s with the config defaults).
const DEFAULT_HEALTH: Omit<DirectoryHealthSettings, 'intervalMs' | 'timeoutMs'> = { probePath: '/' };

function mergeHooks(first: ManagerHooks, second: ManagerHooks | undefined): ManagerHooks {
  if (second === undefined) return first;
  return {
    async onContractReceived(event) {
      await first.onContractReceived?.(event);
      await second.onContractReceived?.(event);
    },
    async onSignatureReceived(event) {
      await first.onSignatureReceived?.(event);
      await second.onSignatureReceived?.(event);
    },
  };
}

export function createDirectory(options: CreateDirectoryOptions): Directory {
  const { config, store, tls } = options;
  if (config.manager.mode !== 'directory') {
    throw new Error('createDirectory needs a configuration with manager.mode "directory"');
  }
  const logger = options.logger.child({ component: 'directory' });
  const clock = options.clock ?? Date.now;
  const health: DirectoryHealthSettings = {
    ...DEFAULT_HEALTH,
    intervalMs: options.config.manager.inwayHealthIntervalMs,
    timeoutMs: options.config.manager.inwayHealthTimeoutMs,
    ...options.health,
  };

  const identity = peerFromCertificate(tls.certificate);
  const self = {
    id: identity.peerId,
    name: config.peer.name ?? identity.name,
    managerAddress: config.manager.publicAddress,
  };
  const entries = createDirectoryEntries({ store, clock, self });
  const probe = createInwayProbe({
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: config.tls.minVersion,
    timeoutMs: health.timeoutMs,
    path: health.probePath,
  });
  const monitor = createHealthMonitor({
    store,
    logger,
    clock,
    probe: (address) => probe.probe(address),
    targets: async () => (await entries.list()).flatMap((e) => (e.inwayAddress === undefined ? [] : [e.inwayAddress])),
    intervalMs: health.intervalMs,
  });
  const view = createDirectoryView({ entries, health: monitor });

  // A service that just became listed gets its first probe now rather than at the next round.
  function probeIfListed(contract: ContractView): void {
    if (contract.state !== 'valid') return;
    const addresses = contract.content.grants.flatMap(({ data }) => {
      if (data.type !== 'GRANT_TYPE_SERVICE_PUBLICATION' && data.type !== 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION')
        return [];
      const address = inwayAddressOfGrant(data.properties);
      return address.kind === 'valid' ? [address.address] : [];
    });
    void monitor.check(addresses);
  }

  // The signer acts through the manager, which needs the signer's hook to exist first; the hook only
  // runs once a contract arrives, long after `manager` below is initialised.
  const publications = createPublicationSigner({
    selfPeerId: self.id,
    logger,
    service: () => manager.service,
    onAccepted: probeIfListed,
  });
  const manager = createManager({
    config,
    logger: options.logger,
    store,
    tls,
    clock,
    hooks: mergeHooks(
      {
        onContractReceived: (event) => publications.hooks.onContractReceived?.(event),
        // A delegated publication becomes valid when the last of its peers accepts, maybe after us.
        onSignatureReceived: (event) => probeIfListed(event.contract),
      },
      options.hooks,
    ),
    ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });

  // Mounted before the first request: hono builds its router then. The manager's `/v1` middleware
  // (client certificate identity, request log) and error boundary apply to these routes too.
  manager.app.route('/v1/koppel', koppelServiceRoutes(view));

  async function peers(): Promise<CataloguePeer[]> {
    const out: CataloguePeer[] = [];
    let cursor: string | undefined;
    do {
      const page = await manager.service.listPeers({
        limit: 1000,
        sortOrder: 'SORT_ORDER_ASCENDING',
        ...(cursor === undefined ? {} : { cursor }),
      });
      out.push(...page.items.map((p) => ({ id: p.id, name: p.name, managerAddress: p.managerAddress })));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  const catalogue = catalogueRoutes({ view, peers, groupId: config.groupId, directoryName: self.name, clock });

  let closing: Promise<void> | undefined;
  return {
    manager,
    service: manager.service,
    view,
    health: monitor,
    publications,
    catalogue,
    async listen() {
      const server = await manager.listen();
      try {
        const swept = await publications.sweep();
        if (swept.accepted + swept.rejected > 0) logger.info(swept, 'waiting service publications reviewed');
      } catch (err) {
        logger.error({ err }, 'review of waiting service publications failed');
      }
      monitor.start();
      return server;
    },
    close() {
      closing ??= (async () => {
        await monitor.close();
        await manager.close();
        await probe.close();
      })();
      return closing;
    },
  };
}
