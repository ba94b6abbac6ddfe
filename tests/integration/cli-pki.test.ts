// The real `koppel` command as a child process: the dev PKI it writes is checked with openssl, the
// way an operator (or another FSC implementation) would look at it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'koppel.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function koppel(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function openssl(args: string[]): Promise<string> {
  const { stdout } = await run('openssl', args);
  return stdout;
}

const OIN = '00000001234567890000';
const NAME = 'Gemeente Voorbeeld';

describe('koppel pki', () => {
  let dir: string;
  let pki: string;
  let certPath: string;
  let keyPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-cli-pki-'));
    pki = join(dir, 'pki');
    const init = await koppel(['pki', 'init', '--group', 'fsc-test', '--dir', pki]);
    expect(init, init.stderr).toMatchObject({ code: 0 });
    const issue = await koppel([
      'pki',
      'issue',
      '--dir',
      pki,
      '--oin',
      OIN,
      '--name',
      NAME,
      '--host',
      'peer.example.nl,127.0.0.1',
      '--host',
      '::1',
    ]);
    expect(issue, issue.stderr).toMatchObject({ code: 0 });
    certPath = join(pki, `${OIN}.pem`);
    keyPath = join(pki, `${OIN}.key.pem`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('init writes a self-signed EC P-256 CA that may sign certificates', async () => {
    const text = await openssl(['x509', '-in', join(pki, 'ca.pem'), '-noout', '-text']);
    expect(text).toMatch(/ASN1 OID: prime256v1/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const subject = await openssl([
      'x509',
      '-in',
      join(pki, 'ca.pem'),
      '-noout',
      '-subject',
      '-issuer',
      '-nameopt',
      'RFC2253',
    ]);
    const [s, i] = subject.trim().split('\n');
    expect(s?.replace('subject=', '')).toBe(i?.replace('issuer=', ''));
    expect((await stat(join(pki, 'ca.key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('issue writes Subject serialNumber = OIN and O = NAME, CN = first host', async () => {
    const out = await openssl(['x509', '-in', certPath, '-noout', '-subject', '-nameopt', 'RFC2253']);
    expect(out.trim()).toBe(`subject=CN=peer.example.nl,O=${NAME},serialNumber=${OIN}`);
  });

  it('issue writes the hosts as SAN, DNS names and IP addresses distinguished, usable as server and client', async () => {
    const out = await openssl([
      'x509',
      '-in',
      certPath,
      '-noout',
      '-ext',
      'subjectAltName,extendedKeyUsage,keyUsage,basicConstraints',
    ]);
    expect(out).toMatch(
      /X509v3 Subject Alternative Name: ?\n\s+DNS:peer\.example\.nl, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/,
    );
    expect(out).toMatch(
      /X509v3 Extended Key Usage: ?\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/,
    );
    expect(out).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(out).toMatch(/CA:FALSE/);
  });

  it('issue uses an EC P-256 key, writes a PKCS#8 key with mode 0600, and the chain verifies', async () => {
    expect(await openssl(['x509', '-in', certPath, '-noout', '-text'])).toMatch(
      /Public Key Algorithm: id-ecPublicKey[\s\S]*ASN1 OID: prime256v1/,
    );
    expect(await readFile(keyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect(await openssl(['verify', '-CAfile', join(pki, 'ca.pem'), '-purpose', 'sslclient', certPath])).toBe(
      `${certPath}: OK\n`,
    );
    expect(await openssl(['verify', '-CAfile', join(pki, 'ca.pem'), '-purpose', 'sslserver', certPath])).toBe(
      `${certPath}: OK\n`,
    );
    // The key belongs to the certificate.
    const fromCert = await openssl(['x509', '-in', certPath, '-noout', '-pubkey']);
    const fromKey = await openssl(['pkey', '-in', keyPath, '-pubout']);
    expect(fromKey).toBe(fromCert);
    // The certificate file is the leaf followed by the CA.
    const pem = await readFile(certPath, 'utf8');
    expect(pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(pem.endsWith(await readFile(join(pki, 'ca.pem'), 'utf8'))).toBe(true);
  });

  it('refuses to overwrite an existing key or CA (exit 1) and leaves them unchanged', async () => {
    const before = await readFile(keyPath, 'utf8');
    const again = await koppel(['pki', 'issue', '--dir', pki, '--oin', OIN, '--name', NAME, '--host', 'localhost']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${keyPath} already exists; refusing to overwrite a private key`);
    expect(await readFile(keyPath, 'utf8')).toBe(before);

    const caKey = await readFile(join(pki, 'ca.key.pem'), 'utf8');
    const init = await koppel(['pki', 'init', '--group', 'fsc-test', '--dir', pki]);
    expect(init.code).toBe(1);
    expect(init.stderr).toContain('ca.key.pem already exists');
    expect(await readFile(join(pki, 'ca.key.pem'), 'utf8')).toBe(caKey);
  });

  it('--out chooses the file prefix', async () => {
    const res = await koppel([
      'pki',
      'issue',
      '--dir',
      pki,
      '--oin',
      '00000001234567890001',
      '--name',
      'Second',
      '--host',
      'localhost',
      '--out',
      join(dir, 'second'),
    ]);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(await openssl(['verify', '-CAfile', join(pki, 'ca.pem'), join(dir, 'second.pem')])).toContain('OK');
    expect((await stat(join(dir, 'second.key.pem'))).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['123', 'too short'],
    ['0000000123456789000A', 'not digits'],
    ['000000012345678900001', 'too long'],
  ])('rejects the OIN %s (%s) with exit 2 and writes nothing', async (oin) => {
    const res = await koppel(['pki', 'issue', '--dir', pki, '--oin', oin, '--name', NAME, '--host', 'localhost']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      `koppel pki issue: invalid OIN "${oin}": an OIN is exactly 20 digits, e.g. 00000001234567890000\n`,
    );
    await expect(stat(join(pki, `${oin}.key.pem`))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('usage errors exit 2: missing option, bad host; a missing CA is a failure (exit 1)', async () => {
    const [missing, badHost, noCa] = await Promise.all([
      koppel(['pki', 'issue', '--dir', pki, '--oin', OIN, '--name', NAME]),
      koppel(['pki', 'issue', '--dir', pki, '--oin', '00000001234567890002', '--name', NAME, '--host', 'not a host']),
      koppel([
        'pki',
        'issue',
        '--dir',
        join(dir, 'empty'),
        '--oin',
        '00000001234567890002',
        '--name',
        NAME,
        '--host',
        'localhost',
      ]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--host is required');
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain('invalid host "not a host"');
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toContain('no group CA in');
  });
});

describe('koppel config check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-cli-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints OK for a valid template with --skip-files (its certificates do not exist)', async () => {
    const res = await koppel(['config', 'check', 'config/example.json', '--skip-files']);
    expect(res).toEqual({ code: 0, stdout: 'OK config/example.json\n', stderr: '' });
  });

  it('checks the files a configuration names: readable, key of the certificate, chained to the anchor, valid now', async () => {
    // A real group PKI and a second, foreign one, made by the CLI.
    const folder = join(dir, 'files');
    const pki = join(folder, 'pki');
    const other = join(folder, 'other-pki');
    for (const [d, group] of [[pki, 'fsc-test'], [other, 'fsc-other']] as const) {
      expect((await koppel(['pki', 'init', '--group', group, '--dir', d])).code).toBe(0);
    }
    for (const [d, oin] of [[pki, '00000001000000000001'], [pki, '00000001000000000002'], [other, '00000001000000000003']] as const) {
      expect((await koppel(['pki', 'issue', '--dir', d, '--oin', oin, '--name', 'Gemeente Test', '--host', 'localhost'])).code).toBe(0);
    }
    const write = async (name: string, peer: Record<string, string>): Promise<string> => {
      const path = join(folder, name);
      await writeFile(
        path,
        JSON.stringify({ groupId: 'fsc-test', peer, manager: { publicAddress: 'https://manager.example.nl:8443' } }),
      );
      return path;
    };
    // Relative to the file's folder, checked from another working directory (the repository).
    const good = await write('good.json', {
      trustAnchorPath: 'pki/ca.pem',
      certificatePath: 'pki/00000001000000000001.pem',
      keyPath: 'pki/00000001000000000001.key.pem',
    });
    expect(await koppel(['config', 'check', good])).toEqual({ code: 0, stdout: `OK ${good}\n`, stderr: '' });

    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'missing.json',
        { trustAnchorPath: 'pki/ca.pem', certificatePath: 'pki/absent.pem', keyPath: 'pki/00000001000000000001.key.pem' },
        /^ {2}peer: cannot read the certificate file .*absent\.pem \(ENOENT\)$/m,
      ],
      [
        'wrong-key.json',
        { trustAnchorPath: 'pki/ca.pem', certificatePath: 'pki/00000001000000000001.pem', keyPath: 'pki/00000001000000000002.key.pem' },
        /^ {2}peer: the private key in .*00000001000000000002\.key\.pem does not belong to the certificate in .*00000001000000000001\.pem$/m,
      ],
      [
        'foreign.json',
        { trustAnchorPath: 'pki/ca.pem', certificatePath: 'other-pki/00000001000000000003.pem', keyPath: 'other-pki/00000001000000000003.key.pem' },
        /^ {2}peer\.certificatePath: the certificate \(issuer .*\) does not chain to the trust anchor$/m,
      ],
    ];
    for (const [name, peer, expected] of cases) {
      const path = await write(name, peer);
      const res = await koppel(['config', 'check', path]);
      expect(res.code, name).toBe(2);
      expect(res.stderr, name).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 problem$`, 'm'));
      expect(res.stderr, name).toMatch(expected);
      // and --skip-files lets the configuration alone pass
      expect((await koppel(['config', 'check', path, '--skip-files'])).code, name).toBe(0);
    }
  });

  it('lists every problem and exits 2', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(
      path,
      JSON.stringify({
        groupId: 'g',
        peer: { trustAnchorPath: 'ca.pem' },
        manager: { publicAddress: 'http://m:1', listne: {} },
        admin: { listen: { host: '0.0.0.0' } },
      }),
    );
    const res = await koppel(['config', 'check', path], { KOPPEL_TIMEOUTS_CONNECT_MS: 'x' });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${path}: 6 problems`);
    expect(lines.slice(1).sort()).toEqual(
      [
        '  admin.listen.host: must be a loopback address (127.x.x.x, ::1 or localhost): the admin API is not for the network',
        '  manager.listne: unknown key (did you mean "listen"?)',
        '  manager.publicAddress: must use https://',
        '  peer.certificatePath: required',
        '  peer.keyPath: required',
        '  timeouts.connectMs: "x" is not a number (from KOPPEL_TIMEOUTS_CONNECT_MS)',
      ].sort(),
    );
  });

  it('--ignore-env checks the file alone; --print shows the effective configuration without URL passwords', async () => {
    const redis = join(dir, 'redis.json');
    const example = JSON.parse(await readFile(join(repo, 'config', 'example.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(
      redis,
      JSON.stringify({ ...example, store: { kind: 'redis', redisUrl: 'redis://koppel:s3cret@127.0.0.1:6379/0' } }),
    );
    const [ignored, printed, redacted] = await Promise.all([
      koppel(['config', 'check', 'config/example.json', '--ignore-env', '--skip-files'], { KOPPEL_LOG_LEVEL: 'nonsense' }),
      koppel(['config', 'check', 'config/example.json', '--print', '--skip-files'], { KOPPEL_LOG_LEVEL: 'debug' }),
      koppel(['config', 'check', redis, '--print', '--skip-files']),
    ]);
    expect(ignored.code).toBe(0);
    expect(printed.code).toBe(0);
    expect((JSON.parse(printed.stdout) as { log: { level: string } }).log.level).toBe('debug');
    expect(redacted.code).toBe(0);
    expect(redacted.stdout).not.toContain('s3cret');
    expect((JSON.parse(redacted.stdout) as { store: { redisUrl: string } }).store.redisUrl).toBe(
      'redis://koppel:***@127.0.0.1:6379/0',
    );
  });

  it('a missing FILE is a usage error', async () => {
    const res = await koppel(['config', 'check']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('FILE missing');
  });
});
