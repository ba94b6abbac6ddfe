// The demo federation (`npm start`): in one process, on loopback —
//   a directory          (a manager in directory mode, plus its admin API and catalogue),
//   a provider           (manager, admin API, inway) publishing the sample person registry,
//   a consumer           (manager, admin API, outway) connected to that service.
// Each organisation is started from a real configuration through the same assembly as
// `koppel peer --config`, with its own data directory, certificate and process log. The first run
// creates the PKI and negotiates the contracts through the admin APIs; later runs reuse them.
import { kill } from 'node:process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { startPeer, type RunningPeer } from '../peer/index.ts';
import { publicKeyThumbprint } from '../gateway/protocol/index.ts';
import { createLogger, type LogLevel, type Logger } from '../gateway/runtime/index.ts';
import { resolveConfig, type KoppelConfig, type KoppelConfigInput } from '../config/index.ts';
import { createAdminClient } from '../gateway/admin/index.ts';
import { DemoFederationError, negotiateContracts, shortHash } from './contracts.ts';
import {
  FEDERATION_FILE,
  writeFederationFile,
  type FederationInfo,
  type FederationOrganisation,
} from './federation-file.ts';
import { startPersonRegistry, type PersonRegistryServer } from './person-registry.ts';
import { persons } from './persons.ts';
import { demoPeer, ensureDemoPki, DEMO_GROUP_ID, type DemoOrgLabel, type DemoPki } from './pki.ts';
import {
  ADDRESS_PORTS,
  asPortInUse,
  assertPortsFree,
  BASE_PORT_ORDER,
  DEFAULT_DEMO_PORTS,
  demoPorts,
  describePort,
  parseDemoPorts,
  type DemoPortName,
  type DemoPortOptions,
  type DemoPorts,
} from './ports.ts';

export { DemoFederationError } from './contracts.ts';

/** The service the provider publishes (a Haal Centraal BRP-style API). */
export const DEMO_SERVICE_NAME = 'basisregistratie-personen';

export interface StartDemoFederationOptions {
  /** PKI, databases, logs and federation.json go here. */
  dataDir: string;
  /** The full port plan. Default: the plan saved in the data directory by an earlier run, else the defaults. */
  ports?: DemoPorts;
  /** Changes to that plan (`--base-port`, `--outway-port`); ignored when `ports` is given. */
  portOptions?: DemoPortOptions;
  /** Loopback only: the demo's certificates name localhost, 127.0.0.1 and ::1. Default 127.0.0.1. */
  host?: string;
  /** Level of the component logs. Default info. */
  logLevel?: LogLevel;
  /** Progress lines for a person watching the start. */
  onProgress?: (line: string) => void;
  /** How paths appear in progress lines (the CLI makes them relative to the working directory). */
  showPath?: (path: string) => string;
  /** How long each negotiation step may take. Default 60 000. */
  stepTimeoutMs?: number;
}

export interface DemoFederation {
  /** What federation.json holds. */
  readonly info: FederationInfo;
  readonly peers: Readonly<Record<DemoOrgLabel, RunningPeer>>;
  readonly registry: PersonRegistryServer;
  /** Stops the consumer, provider, directory and registry, in that order; flushes the logs. Idempotent. */
  close(): Promise<void>;
}

/** Manager outbox timing for the demo: a delivery that failed is retried within moments, not minutes. */
const DEMO_OUTBOX = { baseDelayMs: 100, maxDelayMs: 2_000, pollIntervalMs: 200 };

const LOCK_FILE = 'demo.lock';
/** The port plan of the last successful start; contracts and peers hold addresses made from it. */
const PORTS_FILE = 'ports.json';

async function readSavedPorts(dataDir: string): Promise<DemoPorts | undefined> {
  try {
    return parseDemoPorts(JSON.parse(await readFile(join(dataDir, PORTS_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * The ports of this run: the saved plan (or the defaults) with the requested changes. Moving a port
 * that other organisations know (a manager's, the inway's) under existing contracts is refused with
 * advice, instead of a start that hangs on deliveries to the old address.
 */
function planPorts(saved: DemoPorts | undefined, options: StartDemoFederationOptions): DemoPorts {
  const ports = options.ports ?? demoPorts(options.portOptions ?? {}, saved ?? DEFAULT_DEMO_PORTS);
  if (saved === undefined) return ports;
  const moved = ADDRESS_PORTS.filter((name) => ports[name] !== saved[name]);
  if (moved.length === 0) return ports;
  const was = moved.map((name) => `${describePort(name)} ${saved[name]}`).join(', ');
  const base = BASE_PORT_ORDER.every((name, i) => saved[name] === saved.directoryManager + i)
    ? ` (--base-port ${saved.directoryManager})`
    : '';
  throw new DemoFederationError(
    `the data directory ${options.dataDir} was set up with ${was}: its contracts and peers know those addresses. ` +
      `Start it with the same ports${base}, or use another --data-dir for other ports.`,
  );
}

interface OrgLayout {
  label: DemoOrgLabel;
  dir: string;
  logPath: string;
  managerPort: number;
  adminPort: number;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function alive(pid: number): boolean {
  try {
    kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One demo per data directory: two would share SQLite files and certificates but not ports. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DemoFederationError(
          `another koppel demo (process ${pid}) is using ${dataDir}; stop it first, or pass --data-dir for a second demo`,
        );
      }
      await rm(path, { force: true }); // left behind by a demo that was killed
    }
  }
  throw new DemoFederationError(`cannot lock ${dataDir}`);
}

/** A file destination for one organisation's process log. */
function fileLogger(name: string, level: LogLevel, path: string): { logger: Logger; close: () => Promise<void> } {
  const destination = pino.destination({ dest: path, mkdir: true, sync: false, append: true });
  const logger = createLogger({ level, name, destination });
  return {
    logger,
    close: () =>
      new Promise<void>((done) => {
        destination.once('close', () => done());
        destination.once('error', () => done());
        destination.end();
      }),
  };
}

function portNameOf(ports: DemoPorts, port: unknown): DemoPortName | undefined {
  return (Object.entries(ports) as [DemoPortName, number][]).find(([, p]) => p === port)?.[0];
}

function buildConfig(input: KoppelConfigInput): KoppelConfig {
  // The demo builds its configurations in code; validating them like a file keeps them honest.
  return resolveConfig({ file: input, source: 'the demo federation' });
}

/** Starts the whole federation; on a failure half-way, whatever started is stopped again. */
export async function startDemoFederation(options: StartDemoFederationOptions): Promise<DemoFederation> {
  const { dataDir } = options;
  const host = options.host ?? '127.0.0.1';
  const level = options.logLevel ?? 'info';
  const progress = options.onProgress ?? (() => undefined);
  const show = options.showPath ?? ((p: string) => p);
  const h = urlHost(host);

  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  const cleanups: { name: string; close: () => Promise<void> }[] = [{ name: 'lock', close: unlock }];
  async function stopAll(): Promise<void> {
    for (const c of [...cleanups].reverse()) {
      try {
        await c.close();
      } catch {
        // best effort: the rest must still be stopped
      }
    }
  }

  let ports: DemoPorts;
  try {
    ports = planPorts(await readSavedPorts(dataDir), options);
    await assertPortsFree(host, ports);

    const pki: DemoPki = await ensureDemoPki(join(dataDir, 'pki'));
    const made = pki.peers.filter((p) => p.created).length;
    progress(
      pki.created
        ? `PKI created in ${show(pki.dir)}: group CA and ${made} organisation certificates`
        : made > 0
          ? `PKI in ${show(pki.dir)} reused; ${made} missing certificate(s) issued`
          : `PKI in ${show(pki.dir)} reused`,
    );

    let registry: PersonRegistryServer;
    try {
      registry = await startPersonRegistry({ host, port: ports.registry });
    } catch (err) {
      throw asPortInUse(err, 'registry', ports.registry, host);
    }
    cleanups.push({ name: 'registry', close: () => registry.close() });
    progress(`sample person registry (${persons.length} persons) on ${registry.url}`);

    const layout = (label: DemoOrgLabel, managerPort: number, adminPort: number): OrgLayout => ({
      label,
      dir: join(dataDir, label),
      logPath: join(dataDir, 'logs', `${label}.log`),
      managerPort,
      adminPort,
    });
    const orgs: Record<DemoOrgLabel, OrgLayout> = {
      directory: layout('directory', ports.directoryManager, ports.directoryAdmin),
      provider: layout('provider', ports.providerManager, ports.providerAdmin),
      consumer: layout('consumer', ports.consumerManager, ports.consumerAdmin),
    };
    const directoryAddress = `https://${h}:${ports.directoryManager}`;
    const directoryPeerId = demoPeer(pki, 'directory').oin;
    const inwayAddress = `https://${h}:${ports.providerInway}`;

    const base = (org: OrgLayout): KoppelConfigInput => {
      const peer = demoPeer(pki, org.label);
      return {
        groupId: DEMO_GROUP_ID,
        peer: { trustAnchorPath: pki.caPath, certificatePath: peer.certPath, keyPath: peer.keyPath },
        manager: { listen: { host, port: org.managerPort }, publicAddress: `https://${h}:${org.managerPort}` },
        admin: { listen: { host, port: org.adminPort }, tokenPath: join(org.dir, 'admin-token') },
        dataDir: org.dir,
        log: { level },
      };
    };
    const configs: Record<DemoOrgLabel, KoppelConfig> = {
      directory: buildConfig({
        ...base(orgs.directory),
        manager: { ...base(orgs.directory).manager, mode: 'directory' },
      }),
      provider: buildConfig({
        ...base(orgs.provider),
        manager: { ...base(orgs.provider).manager, directoryAddress, directoryPeerId },
        inway: {
          enabled: true,
          listen: { host, port: ports.providerInway },
          publicAddress: inwayAddress,
          services: [{ name: DEMO_SERVICE_NAME, endpointUrl: registry.url }],
        },
      }),
      consumer: buildConfig({
        ...base(orgs.consumer),
        manager: { ...base(orgs.consumer).manager, directoryAddress, directoryPeerId },
        outway: { enabled: true, listen: { host, port: ports.outway } },
      }),
    };

    // The directory first: the others announce themselves to it as they start.
    const peers = {} as Record<DemoOrgLabel, RunningPeer>;
    for (const label of ['directory', 'provider', 'consumer'] as const) {
      const log = fileLogger(label, level, orgs[label].logPath);
      cleanups.push({ name: `${label} log`, close: log.close });
      let peer: RunningPeer;
      try {
        peer = await startPeer({
          config: configs[label],
          components: { manager: true, inway: label === 'provider', outway: label === 'consumer' },
          logger: log.logger,
          outbox: DEMO_OUTBOX,
        });
      } catch (err) {
        const port = (err as { port?: unknown }).port;
        const name = portNameOf(ports, port);
        throw name === undefined ? err : asPortInUse(err, name, ports[name], host);
      }
      cleanups.push({ name: label, close: () => peer.close() });
      peers[label] = peer;
      const u = peer.urls;
      progress(
        `${label.padEnd(9)} ${peer.name}: manager ${u.manager ?? '-'}` +
          `${u.inway === undefined ? '' : `, inway ${u.inway}`}${u.outway === undefined ? '' : `, outway ${u.outway}`}`,
      );
    }

    const adminOf = (label: DemoOrgLabel) =>
      createAdminClient({
        baseUrl: peers[label].urls.admin ?? '',
        readToken: () => readFile(configs[label].admin.tokenPath, 'utf8'),
        timeoutMs: 10_000,
      });
    const contracts = await negotiateContracts({
      provider: { admin: adminOf('provider'), peerId: peers.provider.peerId, name: peers.provider.name },
      consumer: {
        admin: adminOf('consumer'),
        peerId: peers.consumer.peerId,
        name: peers.consumer.name,
        outwayPublicKeyThumbprint: publicKeyThumbprint(peers.consumer.tls.certificate),
      },
      directoryName: peers.directory.name,
      service: { name: DEMO_SERVICE_NAME, endpointUrl: registry.url },
      progress,
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
    });

    const outwayUrl = peers.consumer.urls.outway ?? '';
    const bsn = persons[0]?.burgerservicenummer ?? '999990196';
    const friendlyUrl = `${outwayUrl}/${peers.provider.peerId}/${DEMO_SERVICE_NAME}/personen/${bsn}`;
    const transactionId = await selfCheck(friendlyUrl, options.stepTimeoutMs ?? 60_000);
    progress(`self-check outway → inway → registry: 200 OK (transaction ${transactionId})`);

    const organisation = (label: DemoOrgLabel): FederationOrganisation => {
      const peer = peers[label];
      const pkiPeer = demoPeer(pki, label);
      const adminUrl = peer.urls.admin ?? '';
      return {
        label,
        peerId: peer.peerId,
        name: peer.name,
        certificatePath: pkiPeer.certPath,
        keyPath: pkiPeer.keyPath,
        managerUrl: peer.urls.manager ?? '',
        adminUrl,
        adminTokenPath: configs[label].admin.tokenPath,
        consoleUrl: `${adminUrl}/console`,
        ...(label === 'directory' ? { catalogueUrl: `${adminUrl}/catalogue` } : {}),
        dataDir: orgs[label].dir,
        configPath: join(orgs[label].dir, CONFIG_FILE),
        txlogPath: join(orgs[label].dir, 'txlog.sqlite'),
        logPath: orgs[label].logPath,
        ...(peer.urls.inway === undefined ? {} : { inwayUrl: peer.urls.inway }),
        ...(peer.urls.outway === undefined ? {} : { outwayUrl: peer.urls.outway }),
      };
    };
    const info: FederationInfo = {
      version: 1,
      groupId: DEMO_GROUP_ID,
      host,
      dataDir,
      trustAnchorPath: pki.caPath,
      organisations: {
        directory: organisation('directory'),
        provider: organisation('provider'),
        consumer: organisation('consumer'),
      },
      registryUrl: registry.url,
      service: { name: DEMO_SERVICE_NAME, providerPeerId: peers.provider.peerId, endpointUrl: registry.url },
      contracts,
      grantHash: contracts.connection.grantHash,
      examples: { bsn, friendlyUrl, fscUrl: `${outwayUrl}/personen/${bsn}` },
      startedAt: new Date().toISOString(),
    };
    await writeFile(join(dataDir, PORTS_FILE), `${JSON.stringify(ports, null, 2)}\n`);
    // Each organisation's configuration as the file an operator would write (paths are absolute:
    // the demo's data folder was resolved against the working directory at start).
    for (const label of Object.keys(configs) as DemoOrgLabel[]) {
      await writeFile(join(orgs[label].dir, CONFIG_FILE), `${JSON.stringify(configs[label], null, 2)}\n`);
    }
    await writeFederationFile(join(dataDir, FEDERATION_FILE), info);
    progress(
      `grant hash of the connection: ${shortHash(info.grantHash)} (in full in ${show(join(dataDir, FEDERATION_FILE))})`,
    );

    let closing: Promise<void> | undefined;
    return {
      info,
      peers,
      registry,
      close() {
        closing ??= stopAll();
        return closing;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Each organisation's configuration file, in its data folder. */
const CONFIG_FILE = 'koppel.json';

/**
 * One request through the outway before "ready" is printed, so the printed curl lines are known to
 * work. Retried briefly: the outway's grant table may not hold the brand-new contract yet.
 */
async function selfCheck(url: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await request(url, {
        headers: { 'x-nlx-request-process-id': 'koppel-demo-self-check' },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await res.body.text();
      const id = res.headers['fsc-transaction-id'];
      if (res.statusCode === 200 && typeof id === 'string') return id;
      last = `HTTP ${res.statusCode} ${String(res.headers['fsc-error-code'] ?? '')} ${text.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new DemoFederationError(`a request through the outway did not succeed: ${last.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
