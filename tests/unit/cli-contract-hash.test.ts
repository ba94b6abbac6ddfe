// `koppel contract hash FILE [--scheme jcs|fsc-1.1]`, called through runContractHash with captured io.
// Expected hashes are the python vectors of protocol-hash.test.ts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContractHash, type ContractHashIo } from '../../cli/contract-hash.ts';
import { rawFixture } from './fixtures/fsc-contracts.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], files: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: ContractHashIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) return Promise.reject(Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' }));
      return Promise.resolve(text);
    },
  };
  const code = await runContractHash(args, io);
  return { code, stdout, stderr };
}

const CONNECTION_JCS = [
  'content $1$1$3M0fPEejF4BIVuf_9X1vHlzT8e-2e8UxxfHSjc4oUMSwirv9Ff1_I_pcCT6Z9hGrA0Jdk2vXSXq50eBlUl3qkg',
  'grant[0] $1$3$3bpoN93s5hfVZ9G50sM8b2Crb3e1Y9sldLqceNpol5vklwru7t1Zi_BdEBx6jXfKr_4EW3ohQ-ogxjy1_LRcpw',
  'grant[1] $1$3$sf_cAn0GQxTj5FODiqx_pDFCulTh4ZBsUlTMJIqkRRpicR9wkXK3t2YGlZBhEkWCtAK6HzSg7iZCbanJUGfDDw',
  '',
].join('\n');
const CONNECTION_FSC11 = [
  'content $1$1$JzsX02YaeqtPxtPwKwA6UejNFGXud9aYyUoOjQxZGMXaEQTMhRr9gGP3iCG_6-7toPtfBpo_qA7LNVSnXxCioA',
  'grant[0] $1$3$i7LzkUy4G7JFSg3dzMfJ3tyF1tVaVP9TElk3FiK5VENxxysvXdD503cA1Y1JkJ2HKyqhK-XEpXXCqJO_VyjYjA',
  'grant[1] $1$3$XCprMcv0wmrG_DVZkITcF6TF5WiqPby2gN1u8b2_SO4f7fhIJGcswMptsf0zZbXZS_hvDKBYv-mdl1e10_xFRQ',
  '',
].join('\n');

const contract = JSON.stringify(
  { content: rawFixture('connection'), signatures: { accept: {}, reject: {}, revoke: {} } },
  null,
  2,
);

describe('koppel contract hash', () => {
  it('prints the content hash and one line per grant, jcs by default, for a {content, signatures} file', async () => {
    const r = await run(['contract.json'], { 'contract.json': contract });
    expect(r).toEqual({ code: 0, stdout: CONNECTION_JCS, stderr: '' });
  });

  it('accepts the content alone and a submit body {contract_content}', async () => {
    const bare = await run(['c.json'], { 'c.json': JSON.stringify(rawFixture('connection')) });
    expect(bare).toEqual({ code: 0, stdout: CONNECTION_JCS, stderr: '' });
    const submit = await run(['s.json'], {
      's.json': JSON.stringify({ contract_content: rawFixture('connection'), signature: 'x.y.z' }),
    });
    expect(submit).toEqual({ code: 0, stdout: CONNECTION_JCS, stderr: '' });
  });

  it('uses the fsc-1.1 scheme with --scheme fsc-1.1 and --scheme=fsc-1.1', async () => {
    expect(await run(['contract.json', '--scheme', 'fsc-1.1'], { 'contract.json': contract })).toEqual({
      code: 0,
      stdout: CONNECTION_FSC11,
      stderr: '',
    });
    expect(await run(['--scheme=fsc-1.1', 'contract.json'], { 'contract.json': contract })).toEqual({
      code: 0,
      stdout: CONNECTION_FSC11,
      stderr: '',
    });
    expect((await run(['contract.json', '--scheme=jcs'], { 'contract.json': contract })).stdout).toBe(CONNECTION_JCS);
  });

  it('prints a single grant line for a one-grant contract', async () => {
    const r = await run(['d.json'], { 'd.json': JSON.stringify(rawFixture('delegated-connection')) });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'content $1$1$Rmk73_j-2L95t-Yl1aCoJrr1gTpIPcMYL0WkyM0XFQNS0YIFg2AKoDe3RjMIEA5ZrXzfQfxdga2LQqJm9Lgofw',
      'grant[0] $1$4$ab5Qmdcjkltqt7O_JoDGObSuO83_09nhYCvy5IYwYAdquJhac1sj5mMfWvJhQxSm6DbHRCya9qJcaAXZRxNHaw',
      '',
    ]);
  });

  it('names the offending field on stderr and exits 2 for an invalid contract', async () => {
    const doc = { content: rawFixture('connection') };
    (doc.content.grants as Array<{ data: { service: { name: string } } }>)[0]!.data.service.name = 'bad name';
    const r = await run(['bad.json'], { 'bad.json': JSON.stringify(doc) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('content.grants[0].data.service.name: must match ^[a-zA-Z0-9-._]{1,100}$');
  });

  it('lists every problem for a bare content file, without a prefix', async () => {
    const content = rawFixture('publication');
    content.iv = 'nope';
    delete content.created_at;
    const r = await run(['bad.json'], { 'bad.json': JSON.stringify(content) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('\n  created_at: is required\n');
    expect(r.stderr).toContain('\n  iv: must be a UUID\n');
  });

  it('exits 2 for an unknown hash algorithm', async () => {
    const content = { ...rawFixture('publication'), hash_algorithm: 'HASH_ALGORITHM_MD5' };
    const r = await run(['h.json'], { 'h.json': JSON.stringify(content) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hash_algorithm: unknown hash algorithm');
  });

  it('exits 2 when properties meet the fsc-1.1 scheme', async () => {
    const r = await run(['p.json', '--scheme', 'fsc-1.1'], { 'p.json': JSON.stringify(rawFixture('properties')) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('properties');
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a file that is not JSON', async () => {
    const r = await run(['x.json'], { 'x.json': '{"content": ' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/x\.json is not JSON/);
  });

  it.each([
    ['no FILE', [], /FILE is missing/],
    ['two FILEs', ['a.json', 'b.json'], /only one FILE/],
    ['an unknown scheme', ['a.json', '--scheme', 'sha256'], /unknown scheme sha256/],
    ['--scheme without a value', ['a.json', '--scheme'], /--scheme needs a value/],
    ['an unknown option', ['a.json', '--verbose'], /unknown option --verbose/],
  ])('exits 2 with usage for %s', async (_name, args, message) => {
    const r = await run(args, { 'a.json': contract, 'b.json': contract });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: koppel contract hash FILE [--scheme jcs|fsc-1.1]');
  });

  it('prints usage on --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r).toEqual({ code: 0, stdout: 'usage: koppel contract hash FILE [--scheme jcs|fsc-1.1]\n', stderr: '' });
  });

  describe('with real files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'koppel-contract-hash-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const fsIo = (out: { stdout: string; stderr: string }): ContractHashIo => ({
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      readFile: (path) => readFile(path),
    });

    it('reads a file (as bytes, with a BOM) from disk', async () => {
      const file = join(dir, 'contract.json');
      await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(contract)]));
      const out = { stdout: '', stderr: '' };
      expect(await runContractHash([file], fsIo(out))).toBe(0);
      expect(out).toEqual({ stdout: CONNECTION_JCS, stderr: '' });
    });

    it('exits 1 when the file cannot be read', async () => {
      const out = { stdout: '', stderr: '' };
      expect(await runContractHash([join(dir, 'missing.json')], fsIo(out))).toBe(1);
      expect(out.stderr).toMatch(/cannot read .*missing\.json \(ENOENT\)/);
    });
  });
});
