// `koppel` commands as separate processes, the way a deployment runs them: spawn one, wait until it
// printed its summary, and keep track of every process a test file started so it can be stopped; and
// the configuration files of a three-process federation (directory, provider, consumer).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initGroupCa, issuePeerCertificate } from '../../certs/index.ts';
import type { KoppelConfigInput } from '../../config/index.ts';
import { findFreePortBlock } from '../../demo/ports.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface KoppelProcess {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

/** The processes started by {@link koppel} and not yet taken by {@link stopAll}. */
const running: KoppelProcess[] = [];

export function koppel(args: readonly string[], env: Record<string, string> = {}): KoppelProcess {
  const child = spawn(process.execPath, ['bin/koppel.js', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const proc = { child, output: () => out, stdout: () => stdout, exited };
  running.push(proc);
  return proc;
}

/** Resolves when the process printed its summary; rejects with its output when it ended first. */
export function started(proc: KoppelProcess, timeoutMs = 60_000): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`not started after ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
    const check = (): void => {
      if (proc.output().includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        done();
      }
    };
    proc.child.stderr?.on('data', check);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`ended with ${code} before it started:\n${proc.output()}`));
    });
    check();
  });
}

/** SIGKILL every process still running that {@link koppel} started (for afterEach). */
export async function stopAll(): Promise<void> {
  for (const proc of running.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }
}

// --- a three-process federation's configuration ---------------------------------------------------

export type FederationRole = 'directory' | 'provider' | 'consumer';

/** The listeners of a directory, a provider (inway) and a consumer (outway) on one host. */
export interface FederationPorts {
  directoryManager: number;
  directoryAdmin: number;
  providerManager: number;
  providerAdmin: number;
  inway: number;
  consumerManager: number;
  consumerAdmin: number;
  outway: number;
}

/** Eight consecutive free ports on `host`, one per listener of the federation. */
export async function federationPorts(host: string): Promise<FederationPorts> {
  const b = await findFreePortBlock(host, 8);
  return {
    directoryManager: b,
    directoryAdmin: b + 1,
    providerManager: b + 2,
    providerAdmin: b + 3,
    inway: b + 4,
    consumerManager: b + 5,
    consumerAdmin: b + 6,
    outway: b + 7,
  };
}

export interface FederationConfigOptions {
  host: string;
  groupId: string;
  /** Holds `ca.pem` and `<role>.pem` / `<role>.key.pem` for each role. */
  pki: string;
  directoryPeerId: string;
  ports: FederationPorts;
  /** The provider's one service. */
  service: { name: string; endpointUrl: string };
  /** Each role's data folder is `<dataRoot>/<role>`. */
  dataRoot: string;
  /** Where the files go: `<configDir>/<prefix><role>.json`. */
  configDir: string;
  prefix?: string;
  /** Merged into the consumer's configuration (e.g. its transaction log). */
  consumer?: Partial<KoppelConfigInput>;
}

/** Writes the three configuration files (log level warn) and returns their paths. */
export async function writeFederationConfigs(o: FederationConfigOptions): Promise<Record<FederationRole, string>> {
  const { host, ports } = o;
  const common = (role: FederationRole, managerPort: number, adminPort: number): KoppelConfigInput => ({
    groupId: o.groupId,
    peer: {
      trustAnchorPath: join(o.pki, 'ca.pem'),
      certificatePath: join(o.pki, `${role}.pem`),
      keyPath: join(o.pki, `${role}.key.pem`),
    },
    manager: {
      listen: { host, port: managerPort },
      publicAddress: `https://${host}:${managerPort}`,
      ...(role === 'directory'
        ? { mode: 'directory' as const }
        : { directoryAddress: `https://${host}:${ports.directoryManager}`, directoryPeerId: o.directoryPeerId }),
    },
    admin: { listen: { host, port: adminPort } },
    dataDir: join(o.dataRoot, role),
    log: { level: 'warn' },
  });
  const files: Record<FederationRole, KoppelConfigInput> = {
    directory: common('directory', ports.directoryManager, ports.directoryAdmin),
    provider: {
      ...common('provider', ports.providerManager, ports.providerAdmin),
      inway: {
        enabled: true,
        listen: { host, port: ports.inway },
        publicAddress: `https://${host}:${ports.inway}`,
        services: [o.service],
      },
    },
    consumer: {
      ...common('consumer', ports.consumerManager, ports.consumerAdmin),
      outway: { enabled: true, listen: { host, port: ports.outway } },
      ...o.consumer,
    },
  };
  const paths = {} as Record<FederationRole, string>;
  for (const role of ['directory', 'provider', 'consumer'] as const) {
    paths[role] = join(o.configDir, `${o.prefix ?? ''}${role}.json`);
    await writeFile(paths[role], JSON.stringify(files[role], null, 2));
  }
  return paths;
}

/** A group CA in `pki` and a certificate `<pki>/<role>.pem` (with key) per role, for `host` and localhost. */
export async function writeFederationPki(
  pki: string,
  groupId: string,
  oins: Readonly<Record<FederationRole, string>>,
  host: string,
): Promise<void> {
  await initGroupCa({ groupId, dir: pki });
  for (const [role, oin] of Object.entries(oins)) {
    await issuePeerCertificate({ dir: pki, oin, name: `Org ${role}`, hosts: ['localhost', host], out: join(pki, role) });
  }
}
