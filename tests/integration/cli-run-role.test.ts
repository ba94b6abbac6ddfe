// The production entry points as separate processes, the way a deployment runs them:
// `koppel directory`, `koppel peer` (provider: manager + inway), and the consumer split into
// `koppel manager` and `koppel outway` sharing one data directory. Contracts are negotiated through
// the admin APIs; a request goes app → outway → inway → registry; SIGTERM stops each with 0.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { federationPorts, koppel, started, stopAll, writeFederationConfigs, writeFederationPki, type FederationPorts } from './koppel-process.ts';
import { createAdminClient } from '../../gateway/admin/client.ts';
import { negotiateContracts } from '../../demo/contracts.ts';
import { startPersonRegistry, type PersonRegistryServer } from '../../demo/person-registry.ts';
import { publicKeyThumbprint } from '../../gateway/protocol/index.ts';

const HOST = '127.0.0.1';
const GROUP = 'koppel-role-test';
const OIN = { directory: '00000000000000000011', provider: '00000000000000000012', consumer: '00000000000000000013' };
const SERVICE = 'personen';


describe('koppel directory|peer|manager|outway --config FILE', () => {
  let dir: string;
  let registry: PersonRegistryServer;
  let configs: Record<'directory' | 'provider' | 'consumer', string>;
  let ports: FederationPorts;
  let tokenPaths: Record<'provider' | 'consumer', string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-roles-'));
    const pki = join(dir, 'pki');
    await writeFederationPki(pki, GROUP, OIN, HOST);
    registry = await startPersonRegistry({ host: HOST, port: 0 });
    ports = await federationPorts(HOST);
    configs = await writeFederationConfigs({
      host: HOST,
      groupId: GROUP,
      pki,
      directoryPeerId: OIN.directory,
      ports,
      service: { name: SERVICE, endpointUrl: registry.url },
      dataRoot: dir,
      configDir: dir,
    });
    tokenPaths = { provider: join(dir, 'provider', 'admin-token'), consumer: join(dir, 'consumer', 'admin-token') };
  });

  afterEach(stopAll);

  afterAll(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The publication and connection contracts, through both peers' admin APIs (idempotent). */
  async function negotiate(): ReturnType<typeof negotiateContracts> {
    const consumerCert = await readFile(join(dir, 'pki', 'consumer.pem'), 'utf8');
    const admin = (port: number | undefined, tokenPath: string) =>
      createAdminClient({ baseUrl: `http://${HOST}:${port}`, readToken: () => readFile(tokenPath, 'utf8') });
    return negotiateContracts({
      provider: { admin: admin(ports.providerAdmin, tokenPaths.provider), peerId: OIN.provider, name: 'provider' },
      consumer: {
        admin: admin(ports.consumerAdmin, tokenPaths.consumer),
        peerId: OIN.consumer,
        name: 'consumer',
        outwayPublicKeyThumbprint: publicKeyThumbprint(consumerCert),
      },
      directoryName: 'directory',
      service: { name: SERVICE, endpointUrl: registry.url },
      progress: () => undefined,
    });
  }

  it(
    'runs a federation of separate role processes and stops each on SIGTERM with 0',
    { timeout: 180_000 },
    async () => {
      const directory = koppel(['directory', '--config', configs.directory]);
      await started(directory);
      expect(directory.output()).toContain(`directory  https://${HOST}:${ports.directoryManager}`);
      const provider = koppel(['peer', '--config', configs.provider]);
      const consumerManager = koppel(['manager', '--config', configs.consumer]);
      const consumerOutway = koppel(['outway', '--config', configs.consumer]);
      await Promise.all([started(provider), started(consumerManager), started(consumerOutway)]);
      expect(provider.output()).toContain(`inway      https://${HOST}:${ports.inway}`);
      expect(consumerOutway.output()).toContain(`outway     http://${HOST}:${ports.outway}`);
      expect(consumerOutway.output()).not.toContain('admin ');

      const contracts = await negotiate();
      expect(contracts.connection.negotiatedNow).toBe(true);

      // The outway process reads the contracts the manager process stored: it may need a moment.
      const url = `http://${HOST}:${ports.outway}/${OIN.provider}/${SERVICE}/personen/999990196`;
      let status = 0;
      let transactionId: unknown;
      for (let i = 0; i < 50 && status !== 200; i++) {
        const res = await request(url);
        await res.body.text();
        status = res.statusCode;
        transactionId = res.headers['fsc-transaction-id'];
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
      expect(typeof transactionId).toBe('string');

      for (const proc of [consumerOutway, consumerManager, provider, directory]) proc.child.kill('SIGTERM');
      expect(await Promise.all([consumerOutway, consumerManager, provider, directory].map((p) => p.exited))).toEqual([
        0, 0, 0, 0,
      ]);
    },
  );

  it(
    'runs the inway and the outway in two hop worker processes each: every call logged once on both sides, one chain each',
    { timeout: 180_000 },
    async () => {
      const directory = koppel(['directory', '--config', configs.directory]);
      await started(directory);
      const provider = koppel(['peer', '--config', configs.provider], { KOPPEL_INWAY_WORKERS: '2' });
      const consumer = koppel(['peer', '--config', configs.consumer], { KOPPEL_OUTWAY_WORKERS: '2' });
      await Promise.all([started(provider), started(consumer)]);
      expect(provider.output()).toContain('2 hop worker processes');
      expect(consumer.output()).toContain('2 hop worker processes');
      // The workers are processes of their own, children of the peer process.
      const { execFileSync } = await import('node:child_process');
      const children = (pid: number | undefined): number =>
        execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
      expect(children(provider.child.pid)).toBe(2);
      expect(children(consumer.child.pid)).toBe(2);

      await negotiate();
      const url = `http://${HOST}:${ports.outway}/${OIN.provider}/${SERVICE}/personen/999990196`;
      await expect
        .poll(async () => {
          const res = await request(url);
          await res.body.text();
          return res.statusCode;
        }, { timeout: 30_000, interval: 200 })
        .toBe(200);

      // Forty calls on ten new connections each round: the listener hands connections to both workers.
      const started_s = Math.floor(Date.now() / 1000);
      const ids: string[] = [];
      for (let round = 0; round < 4; round++) {
        const answers = await Promise.all(
          Array.from({ length: 10 }, async () => {
            const res = await request(url, { reset: true });
            await res.body.text();
            return { status: res.statusCode, id: String(res.headers['fsc-transaction-id']) };
          }),
        );
        for (const a of answers) {
          expect(a.status).toBe(200);
          ids.push(a.id);
        }
      }
      for (const proc of [consumer, provider, directory]) proc.child.kill('SIGTERM');
      expect(await Promise.all([consumer, provider, directory].map((p) => p.exited))).toEqual([0, 0, 0]);

      for (const label of ['consumer', 'provider'] as const) {
        const verify = koppel(['logs', 'verify', '--config', configs[label]]);
        expect(await verify.exited, verify.output()).toBe(0);
        expect(verify.output()).toContain('OK');
        const exported = koppel(['logs', 'export', '--config', configs[label], '--from', String(started_s - 1), '--to', String(started_s + 600), '--format', 'jsonl']);
        expect(await exported.exited, exported.output()).toBe(0);
        const logged = exported
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => (JSON.parse(l) as { transaction_id: string }).transaction_id);
        // Every answered call has exactly one record on each side.
        for (const id of ids) expect(logged.filter((x) => x === id)).toHaveLength(1);
      }
    },
  );

  it('refuses to run a directory from a peer-mode configuration, exit 2', async () => {
    const proc = koppel(['directory', '--config', configs.provider]);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('manager.mode "directory"');
  });

  it('reports an invalid configuration with every problem, exit 2, before opening a socket', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ groupId: 'bad group!', manager: { listne: {} } }));
    const proc = koppel(['manager', '--config', bad]);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('invalid configuration');
    expect(proc.output()).toContain('groupId');
    expect(proc.output()).toContain('listne');
  });

  it('names the listener whose port is taken, exit 1', { timeout: 60_000 }, async () => {
    const blocker = createServer();
    await new Promise<void>((done, fail) => {
      blocker.once('error', fail);
      blocker.listen(ports.directoryManager, HOST, done);
    });
    try {
      const proc = koppel(['directory', '--config', configs.directory]);
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain(`${HOST}:${ports.directoryManager} is already in use`);
      expect(proc.output()).toContain('manager.listen.port');
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });
});
