// Builds and starts the components of one peer from its configuration: stores, transaction log,
// manager (or directory), admin API, inway, outway. The production entry points (`koppel manager|
// directory|inway|outway|peer`) and the demo federation both start peers through this one function,
// so the demo runs exactly the code a deployment runs.
import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { backendOptionsFrom, type BackendLocation } from './backends.ts';
import { persistenceProblem, readRedisPersistence } from '../gateway/redis/index.ts';
import type { KoppelConfig } from '../config/index.ts';
import { createDirectory, type Directory, type DirectoryHealthSettings } from '../directory/index.ts';
import { createAdminApi, consoleAdminFrom, type AdminApi } from '../gateway/admin/index.ts';
import { createManager, type Manager, type OutboxSettings } from '../gateway/manager/index.ts';
import { createInway, type Inway } from '../gateway/inway/index.ts';
import { createOutway, type Outway } from '../gateway/outway/index.ts';
import { createConsole, type ConsoleApp } from '../gateway/console/index.ts';
import { Hono } from 'hono';
import { certificateThumbprint, parsePemCertificates, peerFromCertificate } from '../gateway/protocol/index.ts';
import { loadPeerTls } from '../gateway/runtime/index.ts';
import type { Closer, Logger, PeerTlsMaterial, RunningServer } from '../gateway/runtime/index.ts';
import { createStore, type ManagerStore } from '../gateway/store/index.ts';
import { createJwsHeadSigner, createTxLog, type TxLog } from '../gateway/txlog/index.ts';

/** Which components to run in this process. */
export interface PeerComponents {
  /** The manager (a directory when `manager.mode` is `directory`) and its admin API. */
  manager: boolean;
  inway: boolean;
  outway: boolean;
}

export interface StartPeerOptions {
  config: KoppelConfig;
  components: PeerComponents;
  logger: Logger;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Manager outbox timing (the demo shortens it so a retry is not a long wait). */
  outbox?: Partial<OutboxSettings>;
  /**
   * Where the hop components write their records instead of this process's own log: a hop worker's
   * relay to the primary's log (workers.ts). Its own log is then opened for reading only.
   */
  hopTxlog?: Pick<TxLog, 'write' | 'writeCompletion'>;
  /** Directory inway-health probing (directory mode only). */
  directoryHealth?: Partial<DirectoryHealthSettings>;
}

export interface PeerUrls {
  manager?: string;
  admin?: string;
  inway?: string;
  outway?: string;
}

export interface RunningPeer {
  readonly peerId: string;
  readonly name: string;
  readonly config: KoppelConfig;
  readonly tls: PeerTlsMaterial;
  readonly store: ManagerStore;
  readonly txlog: TxLog;
  readonly manager?: Manager;
  readonly directory?: Directory;
  readonly admin?: AdminApi;
  readonly inway?: Inway;
  readonly outway?: Outway;
  /** The bound URLs of the listeners that run here. */
  readonly urls: PeerUrls;
  /** What `close()` closes, in order, for `onShutdown` (so each step is logged by name). */
  readonly closers: readonly Closer[];
  /** Stop accepting (outway, inway, admin, manager), drain, then close the log and the store. Idempotent. */
  close(): Promise<void>;
}

async function openStore(store: BackendLocation, peerId: string, clock: () => number, logger: Logger): Promise<ManagerStore> {
  return createStore(store.kind === 'sqlite' ? { ...store, clock, logger } : { ...store, peerId, clock, logger });
}

async function openTxLog(
  config: KoppelConfig,
  readOnly: boolean,
  location: BackendLocation,
  tls: PeerTlsMaterial,
  peerId: string,
  clock: () => number,
  logger: Logger,
): Promise<TxLog> {
  // fsc-logging leaves tamper evidence to the implementation; Koppel signs the chain head with the
  // peer key (DESIGN.md "Transaction log").
  const signer = createJwsHeadSigner({
    privateKey: createPrivateKey(tls.key),
    x5tS256: certificateThumbprint(tls.certificate),
    // The chain travels with each head, so heads signed before a certificate renewal still verify.
    x5c: parsePemCertificates(tls.cert).map((c) => c.raw.toString('base64')),
  });
  return createTxLog({
    ...location,
    peerId,
    signer,
    clock,
    logger: logger.child({ component: 'txlog' }),
    // A hop worker's log is read only (its writes go to the primary's): it signs no heads.
    headIntervalMs: readOnly ? 0 : config.txlog.headSignIntervalMs,
    ...(config.txlog.retentionDays === undefined ? {} : { retentionDays: config.txlog.retentionDays }),
  });
}

/**
 * fsc-logging: a record is durable before the call is forwarded. On Redis that holds only with
 * appendonly yes and appendfsync always; refuse to start otherwise, unless txlog.redisAcceptLoss.
 */
async function checkRedisDurability(config: KoppelConfig, url: string, logger: Logger): Promise<void> {
  let problem: string | undefined;
  try {
    problem = persistenceProblem(await readRedisPersistence(url));
  } catch (err) {
    problem = `the persistence settings of Redis could not be read (${err instanceof Error ? err.message : String(err)}), so durability cannot be checked`;
  }
  if (problem === undefined) return;
  if (config.txlog.redisAcceptLoss) {
    logger.warn({ problem }, 'transaction log on a Redis that can lose acknowledged records (txlog.redisAcceptLoss)');
    return;
  }
  throw new Error(`${problem}. Configure Redis so, or set txlog.redisAcceptLoss to accept the loss.`);
}

/**
 * Opens the stores and starts the requested components. On a failure half-way, whatever was
 * started is closed again before the error is rethrown.
 */
export async function startPeer(options: StartPeerOptions): Promise<RunningPeer> {
  const { config, components, logger } = options;
  const clock = options.clock ?? Date.now;
  const tls = await loadPeerTls({
    trustAnchorFile: config.peer.trustAnchorPath,
    certFile: config.peer.certificatePath,
    keyFile: config.peer.keyPath,
  });
  const identity = peerFromCertificate(tls.certificate);
  const peerId = identity.peerId;
  const name = config.peer.name ?? identity.name;
  if (config.store.kind === 'sqlite' || config.txlog.kind === 'sqlite')
    await mkdir(config.dataDir, { recursive: true });

  // Closed in reverse order of creation; listeners are created last, so they stop accepting first.
  const stack: Closer[] = [];
  const urls: PeerUrls = {};
  let manager: Manager | undefined;
  let directory: Directory | undefined;
  let admin: AdminApi | undefined;
  let inway: Inway | undefined;
  let outway: Outway | undefined;
  let store: ManagerStore | undefined;
  let txlog: TxLog | undefined;

  async function unwind(): Promise<void> {
    for (const closer of [...stack].reverse()) {
      try {
        await closer.close();
      } catch (err) {
        logger.error({ err, closer: closer.name }, 'close failed');
      }
    }
  }

  try {
    const backends = await backendOptionsFrom(config);
    if (backends.txlog.kind === 'redis') await checkRedisDurability(config, backends.txlog.url, logger);
    store = await openStore(backends.store, peerId, clock, logger);
    const openedStore = store;
    stack.push({ name: 'store', close: () => openedStore.close() });
    txlog = await openTxLog(config, options.hopTxlog !== undefined, backends.txlog, tls, peerId, clock, logger);
    const hopTxlog = options.hopTxlog ?? txlog;
    const openedTxlog = txlog;
    stack.push({ name: 'transaction log', close: () => openedTxlog.close() });

    const listening = async (
      what: string,
      start: () => Promise<RunningServer | string>,
      close: () => Promise<void>,
    ): Promise<string> => {
      stack.push({ name: what, close });
      const started = await start();
      return typeof started === 'string' ? started : started.url;
    };

    if (components.manager) {
      const outbox = options.outbox === undefined ? {} : { outbox: options.outbox };
      if (config.manager.mode === 'directory') {
        const dir = createDirectory({
          config,
          logger,
          store,
          tls,
          clock,
          ...outbox,
          ...(options.directoryHealth === undefined ? {} : { health: options.directoryHealth }),
        });
        directory = dir;
        manager = dir.manager;
        urls.manager = await listening(
          'directory',
          () => dir.listen(),
          () => dir.close(),
        );
      } else {
        const m = createManager({ config, logger, store, tls, clock, txlog, ...outbox });
        manager = m;
        urls.manager = await listening(
          'manager',
          () => m.listen(),
          () => m.close(),
        );
      }
      // The operator console (and, for the directory, its catalogue) share the admin listener:
      // loopback only; the console asks for the admin token at login.
      const tokenPath = config.admin.tokenPath;
      const consoleApp: ConsoleApp = createConsole({
        store,
        txlog,
        admin: consoleAdminFrom({
          service: manager.service,
          store,
          peerName: name,
          // The admin API (created below, it needs the console's pages) knows the remote directory;
          // read through it lazily so a provider's or consumer's console lists the group too.
          groupServices: directory?.view ?? {
            listServices: () => admin?.groupServices?.listServices() ?? Promise.resolve([]),
          },
        }),
        adminToken: async () => (await readFile(tokenPath, 'utf8')).trim(),
        peerId,
        peerName: name,
        logger,
        clock,
      });
      const pages = new Hono();
      if (directory !== undefined) pages.route('/', directory.catalogue);
      pages.route('/', consoleApp);
      const a = createAdminApi({
        config,
        logger,
        manager,
        store,
        tls,
        clock,
        publicRoutes: pages,
        ...(directory === undefined ? {} : { localDirectory: directory.view }),
      });
      admin = a;
      // The console first: its live-tail streams would otherwise hold the admin server's drain.
      urls.admin = await listening(
        'admin API and console',
        () => a.listen(),
        async () => {
          await consoleApp.close();
          await a.close();
        },
      );
    }
    if (components.inway) {
      const i = createInway({
        config,
        logger,
        store,
        // A token whose contract ended is refused within a second; one for another inway not at all.
        contracts: store,
        ...(config.inway.publicAddress === undefined ? {} : { audience: config.inway.publicAddress }),
        txlog: hopTxlog,
        tls,
        clock,
        peerId,
        groupId: config.groupId,
      });
      inway = i;
      urls.inway = await listening(
        'inway',
        () => i.listen(),
        () => i.close(),
      );
    }
    if (components.outway) {
      const o = createOutway({ config, logger, store, txlog: hopTxlog, tls, clock });
      outway = o;
      urls.outway = await listening(
        'outway',
        () => o.listen(),
        () => o.close(),
      );
    }
  } catch (err) {
    await unwind();
    throw err;
  }

  const closers = [...stack].reverse();
  let closing: Promise<void> | undefined;
  return {
    peerId,
    name,
    config,
    tls,
    store,
    txlog,
    ...(manager === undefined ? {} : { manager }),
    ...(directory === undefined ? {} : { directory }),
    ...(admin === undefined ? {} : { admin }),
    ...(inway === undefined ? {} : { inway }),
    ...(outway === undefined ? {} : { outway }),
    urls,
    closers,
    close() {
      closing ??= unwind();
      return closing;
    },
  };
}
