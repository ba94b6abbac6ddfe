// The operator commands as an operator runs them: `node bin/koppel.js services|publish|connect|
// contracts …` as child processes against the admin APIs of a running directory, provider and
// consumer. Tables by default, JSON with --json; exit codes 0 (done), 1 (failed), 2 (usage or
// invalid input).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../gateway/runtime/index.ts';
import { startAdminPeer, startStandInInway, type AdminPeer } from './directory-fixture.ts';
import { createFederation, eventually, freePort, OIN, type Federation } from './manager-fixture.ts';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'koppel.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function koppel(args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface ContractJson {
  hash: string;
  state: string;
  pendingForMe: boolean;
  missingSigners: string[];
}

let fed: Federation;
let directory: AdminPeer;
let provider: AdminPeer;
let consumer: AdminPeer;
let inway: RunningServer;

const adminFlags = (peer: AdminPeer): string[] => ['--admin', peer.adminUrl, '--token-file', peer.tokenPath];

beforeAll(async () => {
  fed = await createFederation();
  directory = await startAdminPeer(fed, { oin: OIN.directory, mode: 'directory' });
  inway = await startStandInInway(fed, OIN.provider);
  const dir = { address: directory.managerAddress, peerId: OIN.directory };
  provider = await startAdminPeer(fed, { oin: OIN.provider, directory: dir, inwayAddress: inway.url });
  consumer = await startAdminPeer(fed, { oin: OIN.consumer, directory: dir });
  await Promise.all([provider.manager.service.flushOutbox(), consumer.manager.service.flushOutbox()]);
});

afterAll(async () => {
  await Promise.all([consumer, provider, directory].map((p) => p.destroy()));
  await inway.close();
  await fed.remove();
});

async function settledState(peer: AdminPeer, hash: string, state: string): Promise<void> {
  await eventually(async () => {
    await Promise.all([directory, provider, consumer].map((p) => p.manager.service.flushOutbox()));
    const res = await peer.call('GET', `/admin/contracts/${encodeURIComponent(hash)}`);
    return res.status === 200 && (res.json as { contract: ContractJson }).contract.state === state ? true : undefined;
  });
}

// Each child process loads the TypeScript sources through tsx: seconds on a busy machine.
const SLOW = { timeout: 120_000 };

describe('koppel publish, services, connect, contracts', SLOW, () => {
  let connectionHash: string;

  it('koppel publish --config publishes a service and says what happened', async () => {
    const res = await koppel([
      'publish',
      '--config',
      provider.configPath,
      '--name',
      'cli-dienst',
      '--endpoint',
      'http://127.0.0.1:9/api',
      '--protocol',
      'http/2',
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`cli-dienst offered to the directory: HTTP/2 at ${inway.url}`);
    expect(res.stdout).toMatch(/contract \$1\$1\$[A-Za-z0-9_-]{86} \(proposed, waiting for 00000000000000000001\)/);
    const hash = /contract (\$1\$1\$[A-Za-z0-9_-]{86})/.exec(res.stdout)![1]!;
    await settledState(directory, hash, 'valid');
    await directory.directory!.health.checkNow();

    const again = await koppel([
      'publish',
      ...adminFlags(provider),
      '--name',
      'cli-dienst',
      '--endpoint',
      'http://127.0.0.1:9/api',
      '--protocol',
      'h2',
      '--json',
    ]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, contract: { hash, state: 'valid' } });
  });

  it('koppel services prints our services and the group services with health as a table, and JSON with --json', async () => {
    const table = await koppel(['services', '--config', consumer.configPath]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe(`Services of this peer (Consumer Org, ${OIN.consumer}):`);
    const header = lines.find((l) => l.startsWith('PEER'));
    expect(header).toMatch(/^PEER {2,}ORGANISATION {2,}SERVICE {2,}PROTOCOL {2,}INWAY {2,}HEALTH {2,}CHECKED$/);
    const row = lines.find((l) => l.includes('cli-dienst'));
    expect(row).toBeDefined();
    // Columns line up under the header.
    expect(row!.indexOf('cli-dienst')).toBe(header!.indexOf('SERVICE'));
    expect(row!.indexOf('up')).toBe(header!.indexOf('HEALTH'));
    expect(row).toContain(OIN.provider);
    expect(row).toContain(inway.url);

    const json = await koppel(['services', ...adminFlags(provider), '--json']);
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout) as {
      own: { name: string; publication: { state: string } }[];
      group: { name: string; health: { status: string } }[];
    };
    expect(data.own).toContainEqual(
      expect.objectContaining({
        name: 'cli-dienst',
        publication: expect.objectContaining({ state: 'valid' }) as unknown,
      }),
    );
    expect(data.group.find((s) => s.name === 'cli-dienst')?.health.status).toBe('up');
  });

  it('koppel connect requests a connection; the provider sees it with koppel contracts list', async () => {
    const res = await koppel(['connect', ...adminFlags(consumer), OIN.provider, 'cli-dienst', '--json']);
    expect(res.code).toBe(0);
    const contract = JSON.parse(res.stdout) as ContractJson;
    expect(contract).toMatchObject({ state: 'proposed', missingSigners: [OIN.provider] });
    connectionHash = contract.hash;
    await eventually(async () => {
      await consumer.manager.service.flushOutbox();
      return (await provider.call('GET', `/admin/contracts/${encodeURIComponent(connectionHash)}`)).status === 200
        ? true
        : undefined;
    });

    const json = await koppel(['contracts', 'list', '--json', ...adminFlags(provider)]);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as ContractJson[];
    expect(listed.find((c) => c.hash === connectionHash)).toMatchObject({ state: 'proposed', pendingForMe: true });

    const table = await koppel(['contracts', 'list', '--pending', '--config', provider.configPath]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^HASH {2,}STATE {2,}TYPE {2,}SERVICE {2,}OUTWAY {2,}CREATED {2,}WAITING FOR$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('proposed (you)');
    expect(rows[0]).toContain(`cli-dienst@${OIN.provider}`);
    expect(rows[0]!.startsWith(connectionHash.slice(0, 18))).toBe(true);
  });

  it('koppel contracts accept takes the short hash from the table', async () => {
    const short = `${connectionHash.slice(0, 18)}…`;
    const res = await koppel(['contracts', 'accept', short, '--config', provider.configPath]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`accepted ${connectionHash}\n  state valid\n`);
    await settledState(consumer, connectionHash, 'valid');
    const none = await koppel(['contracts', 'list', '--pending', '--config', provider.configPath]);
    expect(none.stdout).toBe('no contracts\n');
  });

  it('koppel contracts revoke ends the contract', async () => {
    const res = await koppel(['contracts', 'revoke', connectionHash, ...adminFlags(consumer), '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ hash: connectionHash, state: 'revoked' });
  });
});

describe('exit codes', SLOW, () => {
  it('1 when the admin API refuses the token or cannot be reached', async () => {
    const wrongToken = join(provider.dataDir, 'wrong-token');
    await writeFile(wrongToken, 'dit-is-niet-het-goede-token\n', { mode: 0o600 });
    const port = await freePort();
    const [refused, away] = await Promise.all([
      koppel(['contracts', 'list', '--admin', provider.adminUrl, '--token-file', wrongToken]),
      koppel(['services', '--admin', `http://127.0.0.1:${port}`, '--token-file', provider.tokenPath]),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `koppel contracts list: the admin API refused the token from ${wrongToken} [ERROR_CODE_UNAUTHORIZED]\n`,
    );
    expect(refused.stderr).not.toContain('dit-is-niet');
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/cannot reach the admin API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('2 for wrong usage or input the admin API refuses', async () => {
    const [noTarget, badProtocol, badName, unknownHash, missingArg] = await Promise.all([
      koppel(['contracts', 'list']),
      koppel([
        'publish',
        ...adminFlags(provider),
        '--name',
        'x',
        '--endpoint',
        'http://127.0.0.1:9/',
        '--protocol',
        'udp',
      ]),
      koppel(['publish', ...adminFlags(provider), '--name', 'met spatie', '--endpoint', 'http://127.0.0.1:9/']),
      koppel(['contracts', 'accept', '$1$1$zzzzzzzzzzzz', ...adminFlags(provider)]),
      koppel(['connect', ...adminFlags(consumer), OIN.provider]),
    ]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--config FILE, or --admin URL and --token-file FILE/);
    expect(badProtocol.code).toBe(2);
    expect(badProtocol.stderr).toMatch(/--protocol udp/);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/name: .*\[ERROR_CODE_BAD_REQUEST\]/);
    expect(unknownHash.code).toBe(2);
    expect(unknownHash.stderr).toMatch(/no contract hash starts with/);
    expect(missingArg.code).toBe(2);
    expect(missingArg.stderr).toMatch(/SERVICE missing/);
  });
});
