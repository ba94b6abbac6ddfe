// `koppel demo` (npm start) prepares the demo PKI once and never fails.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PEERS } from '../../cli/demo-pki.ts';
import { runCli } from '../../cli/dispatch.ts';
import type { CliIo } from '../../cli/io.ts';

describe('koppel demo', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'koppel-demo-'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  async function demo(): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      readFile: (path) => readFile(path, 'utf8'),
      env: {},
      cwd,
    };
    return { code: await runCli(['demo'], io), stdout, stderr };
  }

  it('creates the demo PKI under data/demo/pki on the first run and keeps it afterwards', async () => {
    const first = await demo();
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('Usage: koppel <command> [options]');
    expect(first.stdout).toContain('Demo PKI (group koppel-demo) in data/demo/pki: created');
    expect(first.stdout).toContain('The data plane');
    const pki = join(cwd, 'data', 'demo', 'pki');
    const keys = await Promise.all(DEMO_PEERS.map((p) => readFile(join(pki, `${p.label}.key.pem`), 'utf8')));
    for (const p of DEMO_PEERS) expect((await stat(join(pki, `${p.label}.key.pem`))).mode & 0o777).toBe(0o600);

    const second = await demo();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('data/demo/pki: already present');
    expect(second.stdout).not.toContain('(new)');
    expect(await Promise.all(DEMO_PEERS.map((p) => readFile(join(pki, `${p.label}.key.pem`), 'utf8')))).toEqual(keys);
  });

  it('reissues only what is missing', async () => {
    const pki = join(cwd, 'data', 'demo', 'pki');
    const ca = await readFile(join(pki, 'ca.pem'), 'utf8');
    await rm(join(pki, 'consumer.key.pem'));
    await rm(join(pki, 'consumer.pem'));
    const res = await demo();
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/consumer .*consumer\.pem \(new\)/);
    expect(res.stdout).not.toMatch(/provider .*\(new\)/);
    expect(await readFile(join(pki, 'ca.pem'), 'utf8')).toBe(ca);
  });

  it('still exits 0 when the PKI cannot be prepared, and says why', async () => {
    const pki = join(cwd, 'data', 'demo', 'pki');
    // A consumer certificate without its key: issuing refuses to overwrite the certificate.
    await rm(join(pki, 'consumer.key.pem'));
    const res = await demo();
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/the demo PKI could not be prepared: .*consumer\.pem already exists/);
  });
});
