// Set-up of the directory, admin API and admin CLI suites: a directory (createDirectory) and peer
// managers, each on its own mTLS listener with its own certificate, SQLite store and admin API on
// 127.0.0.1, plus a stand-in inway (a real mTLS server with the provider's certificate) whose health
// the directory probes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { request } from 'undici';
import { koppelConfigSchema, type KoppelConfig, type KoppelConfigInput } from '../../config/index.ts';
import type { TestPkiPeer } from '../../certs/index.ts';
import { createDirectory, type Directory, type DirectoryHealthSettings } from '../../directory/index.ts';
import { createAdminApi, type AdminApi } from '../../gateway/admin/index.ts';
import { createManager, type Manager } from '../../gateway/manager/index.ts';
import {
  createServerTlsOptions,
  loadPeerTls,
  startHttpServer,
  type PeerTlsMaterial,
  type RunningServer,
} from '../../gateway/runtime/index.ts';
import { createStore, type ManagerStore } from '../../gateway/store/index.ts';
import { fastOutbox, freePort, GROUP_ID, type Federation } from './manager-fixture.ts';

export interface AdminResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
  text: string;
}

export interface AdminPeer {
  oin: string;
  config: KoppelConfig;
  /** The configuration as written to `configPath` (a JSON file, for the CLI's `--config`). */
  configInput: KoppelConfigInput;
  configPath: string;
  store: ManagerStore;
  tls: PeerTlsMaterial;
  manager: Manager;
  directory?: Directory;
  admin: AdminApi;
  adminUrl: string;
  managerAddress: string;
  tokenPath: string;
  token: string;
  dataDir: string;
  /** A request to the admin API with the peer's token (or `token`, or none with `null`). */
  call(method: 'GET' | 'POST', path: string, body?: unknown, token?: string | null): Promise<AdminResponse>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export interface StartAdminPeerOptions {
  oin: string;
  mode?: 'peer' | 'directory';
  /** The directory (peer mode). */
  directory?: { address: string; peerId: string };
  clock?: () => number;
  /** Directory mode: health settings; default an interval so long that tests drive rounds with checkNow(). */
  health?: Partial<DirectoryHealthSettings>;
  inwayAddress?: string;
  /** Reuse a data dir (restart); default a fresh temp dir. */
  dataDir?: string;
  port?: number;
}

export async function adminCall(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  token: string | null,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<AdminResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, json, text };
}

export async function startAdminPeer(fed: Federation, options: StartAdminPeerOptions): Promise<AdminPeer> {
  const cert: TestPkiPeer | undefined = fed.pki.peers[options.oin];
  if (cert === undefined) throw new Error(`no certificate for ${options.oin}`);
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'koppel-admin-')));
  const port = options.port ?? (await freePort());
  const managerAddress = `https://localhost:${port}`;
  const mode = options.mode ?? 'peer';
  const configInput: KoppelConfigInput = {
    groupId: GROUP_ID,
    peer: { trustAnchorPath: fed.pki.caPath, certificatePath: cert.certPath, keyPath: cert.keyPath },
    manager: {
      listen: { host: '127.0.0.1', port },
      publicAddress: managerAddress,
      mode,
      ...(options.directory === undefined
        ? {}
        : { directoryAddress: options.directory.address, directoryPeerId: options.directory.peerId }),
    },
    admin: { listen: { host: '127.0.0.1', port: 0 }, tokenPath: join(dataDir, 'admin-token') },
    ...(options.inwayAddress === undefined ? {} : { inway: { publicAddress: options.inwayAddress } }),
    dataDir,
  };
  const config = koppelConfigSchema.parse(configInput);
  const store = await createStore({ kind: 'sqlite', dataDir });
  const tls = await loadPeerTls({ trustAnchorFile: fed.pki.caPath, certFile: cert.certPath, keyFile: cert.keyPath });
  const clockOption = options.clock === undefined ? {} : { clock: options.clock };

  let directory: Directory | undefined;
  let manager: Manager;
  if (mode === 'directory') {
    directory = createDirectory({
      config,
      logger: fed.logger,
      store,
      tls,
      ...clockOption,
      outbox: fastOutbox,
      health: { intervalMs: 3_600_000, timeoutMs: 2_000, ...options.health },
    });
    manager = directory.manager;
    await directory.listen();
  } else {
    manager = createManager({ config, logger: fed.logger, store, tls, ...clockOption, outbox: fastOutbox });
    await manager.listen();
  }
  const admin = createAdminApi({
    config,
    logger: fed.logger,
    manager,
    store,
    tls,
    ...clockOption,
    ...(directory === undefined ? {} : { localDirectory: directory.view, publicRoutes: directory.catalogue }),
  });
  const server = await admin.listen();
  const adminUrl = server.url;
  const token = (await readFile(config.admin.tokenPath, 'utf8')).trim();
  // The CLI reads the same configuration from a file; the admin port is the one actually bound.
  const fileInput = {
    ...configInput,
    admin: { listen: { host: '127.0.0.1', port: server.port }, tokenPath: config.admin.tokenPath },
  };
  const configPath = join(dataDir, 'peer.json');
  await writeFile(configPath, JSON.stringify(fileInput, null, 2));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await admin.close();
    if (directory !== undefined) await directory.close();
    else await manager.close();
    await store.close();
  };
  return {
    oin: options.oin,
    config,
    configInput: fileInput,
    configPath,
    store,
    tls,
    manager,
    ...(directory === undefined ? {} : { directory }),
    admin,
    adminUrl,
    managerAddress,
    tokenPath: config.admin.tokenPath,
    token,
    dataDir,
    call: (method, path, body, tokenOverride) =>
      adminCall(adminUrl, method, path, tokenOverride === undefined ? token : tokenOverride, body),
    stop,
    async destroy() {
      await stop();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A stand-in inway: a real mTLS listener with the provider's certificate that answers like an inway without a token. */
export async function startStandInInway(fed: Federation, oin: string, port = 0): Promise<RunningServer> {
  const cert = fed.pki.peers[oin];
  if (cert === undefined) throw new Error(`no certificate for ${oin}`);
  const app = new Hono();
  app.all('*', (c) =>
    c.json(
      { message: 'access token missing', domain: 'ERROR_DOMAIN_INWAY', code: 'ERROR_CODE_ACCESS_TOKEN_MISSING' },
      401,
      {
        'fsc-error-code': 'ERROR_CODE_ACCESS_TOKEN_MISSING',
        'www-authenticate': 'Bearer',
      },
    ),
  );
  return startHttpServer({
    app,
    listen: { host: '127.0.0.1', port },
    tls: createServerTlsOptions({ ca: fed.pki.caPem, cert: cert.chainPem, key: cert.keyPem }),
    name: 'stand-in-inway',
    logger: fed.logger,
    timeouts: { drainTimeoutMs: 100 },
  });
}
