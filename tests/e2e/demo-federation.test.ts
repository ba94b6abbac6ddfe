// `npm start` (`koppel demo`) as a newcomer runs it: a child process with its own data dir and free
// ports. The first start generates the PKI and negotiates the contracts through the admin APIs; the
// outway answers in both address forms; both organisations log the same transaction id; Ctrl-C
// (SIGINT) stops everything with exit code 0; a second start reuses PKI, data and contracts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  FEDERATION_FILE,
  type FederationInfo,
  type FederationOrganisation,
} from '../../demo/federation-file.ts';
import { BASE_PORT_ORDER, findFreePort, findFreePortBlock } from '../../demo/ports.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HOST = '127.0.0.1';
const READY = /Koppel demo federation is ready/;
const START_TIMEOUT_MS = 90_000;

interface DemoProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(args: readonly string[]): DemoProcess {
  const child = spawn(process.execPath, ['bin/koppel.js', 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Resolves when the ready line appears; rejects with the whole output when the process ends first. */
async function ready(demo: DemoProcess): Promise<void> {
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no ready line after ${START_TIMEOUT_MS} ms:\n${demo.output()}`)),
      START_TIMEOUT_MS,
    );
    const check = (): void => {
      if (READY.test(demo.output())) {
        clearTimeout(timer);
        demo.child.stdout?.off('data', check);
        done();
      }
    };
    demo.child.stdout?.on('data', check);
    void demo.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`koppel demo ended (code ${code}, signal ${signal}) before it was ready:\n${demo.output()}`));
    });
    check();
  });
}

async function stop(demo: DemoProcess): Promise<number | null> {
  demo.child.kill('SIGINT');
  const { code } = await demo.exited;
  return code;
}

function mtlsAgent(info: FederationInfo, org: FederationOrganisation, files: Record<string, string>): Agent {
  return new Agent({
    connect: {
      ca: files[info.trustAnchorPath],
      cert: files[org.certificatePath],
      key: files[org.keyPath],
      servername: 'localhost',
    },
  });
}

interface LogRecordWire {
  transaction_id: string;
  direction: string;
  grant_hash: string;
  service_name: string;
}

/** One `koppel` command run to its end (not the demo). */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/koppel.js', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('koppel demo (npm start)', () => {
  // Every test has its own data directory and ports: none depends on what another left behind, so
  // each passes alone and in any order.
  const dataDirs: string[] = [];
  let demo: DemoProcess | undefined;

  interface Run {
    dataDir: string;
    args: string[];
  }

  /** An empty data directory and free ports (the base block and the outway outside it). */
  async function freshRun(): Promise<Run> {
    const dataDir = await mkdtemp(join(tmpdir(), 'koppel-demo-e2e-'));
    dataDirs.push(dataDir);
    const base = await findFreePortBlock(HOST, BASE_PORT_ORDER.length);
    let outwayPort = await findFreePort(HOST);
    while (outwayPort >= base && outwayPort < base + BASE_PORT_ORDER.length) outwayPort = await findFreePort(HOST);
    return { dataDir, args: ['--data-dir', dataDir, '--base-port', String(base), '--outway-port', String(outwayPort)] };
  }

  /**
   * A data directory a first start has filled (PKI, data, contracts) and served from, the demo
   * stopped again with Ctrl-C.
   */
  async function startedOnce(): Promise<Run> {
    const run = await freshRun();
    const first = startDemo(run.args);
    demo = first;
    await ready(first);
    await callBothForms((await readInfo(run.dataDir)).info);
    expect(await stop(first), first.output()).toBe(0);
    demo = undefined;
    return run;
  }

  // A failed test must not leave its demo holding the ports of the next one.
  afterEach(async () => {
    if (demo !== undefined && demo.child.exitCode === null && demo.child.signalCode === null) {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
    demo = undefined;
  });

  afterAll(async () => {
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function readInfo(dataDir: string): Promise<{ info: FederationInfo; files: Record<string, string> }> {
    const info = JSON.parse(await readFile(join(dataDir, FEDERATION_FILE), 'utf8')) as FederationInfo;
    const files: Record<string, string> = {};
    for (const path of [
      info.trustAnchorPath,
      ...Object.values(info.organisations).flatMap((o) => [o.certificatePath, o.keyPath]),
    ]) {
      files[path] = await readFile(path, 'utf8');
    }
    return { info, files };
  }

  async function callBothForms(info: FederationInfo): Promise<string[]> {
    const provider = info.organisations.provider;
    const outway = info.organisations.consumer.outwayUrl;
    expect(outway).toBeDefined();
    const friendly = `${outway}/${provider.peerId}/${info.service.name}/personen/${info.examples.bsn}`;
    expect(info.examples.friendlyUrl).toBe(friendly);

    const ids: string[] = [];
    const first = await request(friendly, { headers: { 'x-nlx-request-data-subject': `bsn=${info.examples.bsn}` } });
    const firstBody = await first.body.text();
    expect(first.statusCode, firstBody).toBe(200);
    expect((JSON.parse(firstBody) as { burgerservicenummer?: string }).burgerservicenummer).toBe(info.examples.bsn);
    const firstId = first.headers['fsc-transaction-id'];
    expect(typeof firstId).toBe('string');
    ids.push(firstId as string);

    const second = await request(`${outway}/personen/${info.examples.bsn}`, {
      headers: { 'fsc-grant-hash': info.grantHash },
    });
    const secondBody = await second.body.text();
    expect(second.statusCode, secondBody).toBe(200);
    expect((JSON.parse(secondBody) as { burgerservicenummer?: string }).burgerservicenummer).toBe(info.examples.bsn);
    const secondId = second.headers['fsc-transaction-id'];
    expect(typeof secondId).toBe('string');
    ids.push(secondId as string);
    expect(secondId).not.toBe(firstId);
    return ids;
  }

  async function logsOf(
    info: FederationInfo,
    files: Record<string, string>,
    label: 'provider' | 'consumer',
    transactionIds: readonly string[],
  ): Promise<LogRecordWire[]> {
    const org = info.organisations[label];
    const agent = mtlsAgent(info, org, files);
    try {
      const url = `${org.managerUrl}/v1/logs?transaction_ids=${transactionIds.map(encodeURIComponent).join(',')}`;
      const res = await request(url, { dispatcher: agent });
      const text = await res.body.text();
      expect(res.statusCode, text).toBe(200);
      return (JSON.parse(text) as { records: LogRecordWire[] }).records;
    } finally {
      await agent.close();
    }
  }

  it(
    'starts from nothing, serves both address forms, logs on both sides and stops on SIGINT with 0',
    { timeout: 180_000 },
    async () => {
      const { dataDir, args } = await freshRun();
      demo = startDemo(args);
      await ready(demo);
      const out = demo.output();
      expect(out).toMatch(/negotiat/i);

      const { info, files } = await readInfo(dataDir);
      expect(info.contracts.connection.negotiatedNow).toBe(true);
      expect(info.contracts.publication.negotiatedNow).toBe(true);
      expect(info.grantHash).toMatch(/^\$1\$3\$[A-Za-z0-9_-]+$/);
      // The printed lines are the ones a person pastes.
      expect(out).toContain(`curl ${info.examples.friendlyUrl}`);
      expect(out).toContain(`-H 'Fsc-Grant-Hash: ${info.grantHash}'`);
      expect(out).toContain('X-NLX-Request-Data-Subject');
      for (const org of Object.values(info.organisations)) {
        expect((await stat(org.keyPath)).mode & 0o777).toBe(0o600);
        // The data dir is outside the working directory, so the banner prints absolute paths.
        expect(out).toContain(org.adminTokenPath);
      }

      const ids = await callBothForms(info);
      for (const label of ['consumer', 'provider'] as const) {
        const records = await logsOf(info, files, label, ids);
        expect(records.map((r) => r.transaction_id).sort()).toEqual([...ids].sort());
        for (const r of records) {
          expect(r.grant_hash).toBe(info.grantHash);
          expect(r.service_name).toBe(info.service.name);
        }
      }

      // Each organisation's configuration file works with the commands that take --config, while the
      // demo runs, and the banner prints the verify line.
      expect(out).toContain(`npx koppel logs verify --config ${info.organisations.consumer.configPath}`);
      for (const label of ['consumer', 'provider'] as const) {
        const configPath = info.organisations[label].configPath;
        const check = await run(['config', 'check', configPath]);
        expect(check, label).toMatchObject({ code: 0, stdout: `OK ${configPath}\n` });
        const verify = await run(['logs', 'verify', '--config', configPath]);
        expect(verify.code, `${label}: ${verify.stdout}${verify.stderr}`).toBe(0);
        expect(verify.stdout).toMatch(new RegExp(`^OK transaction log of peer ${info.organisations[label].peerId}`));
      }

      // The console and the catalogue answer on the admin listeners.
      for (const org of Object.values(info.organisations)) {
        const res = await request(org.consoleUrl);
        await res.body.dump();
        expect(res.statusCode).toBe(302);
      }
      const catalogue = await request(info.organisations.directory.catalogueUrl ?? '');
      expect(await catalogue.body.text()).toContain(info.service.name);

      expect(await stop(demo)).toBe(0);
    },
  );

  it('reuses PKI, data, ports and contracts on a second start', { timeout: 300_000 }, async () => {
    const { dataDir } = await startedOnce();
    const before = (await readInfo(dataDir)).info;
    // No port options: the ports of the first run are remembered with the data.
    demo = startDemo(['--data-dir', dataDir]);
    await ready(demo);
    const { info } = await readInfo(dataDir);
    expect(info.contracts.connection.negotiatedNow).toBe(false);
    expect(info.contracts.publication.negotiatedNow).toBe(false);
    expect(info.contracts.connection.contentHash).toBe(before.contracts.connection.contentHash);
    expect(info.contracts.publication.contentHash).toBe(before.contracts.publication.contentHash);
    expect(info.grantHash).toBe(before.grantHash);
    expect(info.organisations.consumer.outwayUrl).toBe(before.organisations.consumer.outwayUrl);
    expect(info.organisations.provider.managerUrl).toBe(before.organisations.provider.managerUrl);
    expect(demo.output()).toMatch(/valid contract .* reused/);
    expect(demo.output()).not.toMatch(/PKI.*created/);

    await callBothForms(info);
    expect(await stop(demo)).toBe(0);
  });

  it('names the port and the option to change it when a port is taken', { timeout: 60_000 }, async () => {
    const { args } = await freshRun();
    const outwayPort = Number(args[args.indexOf('--outway-port') + 1]);
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((done, fail) => {
      blocker.once('error', fail);
      blocker.listen(outwayPort, HOST, done);
    });
    try {
      demo = startDemo(args);
      const { code } = await demo.exited;
      expect(code).toBe(1);
      expect(demo.output()).toContain(`port ${outwayPort}`);
      expect(demo.output()).toContain('--outway-port');
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });

  it(
    'refuses to move the managers of an existing data directory, and says how to start it',
    { timeout: 240_000 },
    async () => {
      const { dataDir, args } = await startedOnce();
      const base = Number(args[args.indexOf('--base-port') + 1]);
      demo = startDemo(['--data-dir', dataDir, '--base-port', String(base + 100)]);
      const { code } = await demo.exited;
      expect(code).toBe(1);
      expect(demo.output()).toContain(`--base-port ${base}`);
      expect(demo.output()).toContain('--data-dir');
    },
  );
});
