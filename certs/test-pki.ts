// A throw-away PKI per test run: a group CA and peer certificates written to a fresh directory under
// os.tmpdir(), so test suites use real TLS with real certificates and never touch the repository.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate, type CaMaterial } from './authority.ts';
import { CA_CERT_FILE, CA_KEY_FILE } from './files.ts';

export interface TestPkiPeerSpec {
  oin: string;
  name: string;
  /** Defaults to `['localhost', '127.0.0.1', '::1']`. */
  hosts?: readonly string[];
}

export interface TestPkiIssueOptions extends TestPkiPeerSpec {
  /** File name prefix inside the PKI directory; defaults to the OIN (with a counter if taken). */
  label?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestPkiPeer {
  oin: string;
  name: string;
  hosts: readonly string[];
  /** The leaf certificate alone. */
  certPem: string;
  /** Leaf followed by the CA certificate: the content of `certPath`. */
  chainPem: string;
  /** PKCS#8 private key: the content of `keyPath`. */
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface TestPki {
  dir: string;
  groupId: string;
  /** The trust anchor (CA certificate); also at `caPath`. */
  caPem: string;
  caPath: string;
  /** Peers given to createTestPki, by OIN. */
  peers: Record<string, TestPkiPeer>;
  /** Issues one more certificate from the same CA (a second outway key, an expired certificate, …). */
  issue(options: TestPkiIssueOptions): Promise<TestPkiPeer>;
  /** Deletes the directory. Idempotent. */
  remove(): Promise<void>;
}

export interface CreateTestPkiOptions {
  groupId: string;
  peers: readonly TestPkiPeerSpec[];
  /** Directory to write into; defaults to a fresh `koppel-pki-*` directory in os.tmpdir(). */
  dir?: string;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

/**
 * Creates a group CA and one certificate per peer in a temporary directory.
 * Example: `const pki = await createTestPki({ groupId: 'test', peers: [{ oin, name }] })`, then
 * `tls.createServer({ cert: pki.peers[oin].chainPem, key: pki.peers[oin].keyPem, ca: pki.caPem })`.
 */
export async function createTestPki(options: CreateTestPkiOptions): Promise<TestPki> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'koppel-pki-')));
  const ca: CaMaterial = await createCa({ groupId: options.groupId });
  const caPath = join(dir, CA_CERT_FILE);
  await writeFile(caPath, ca.certPem, { mode: 0o644 });
  await writeFile(join(dir, CA_KEY_FILE), ca.keyPem, { mode: 0o600 });

  const used = new Set<string>();
  const issue = async (spec: TestPkiIssueOptions): Promise<TestPkiPeer> => {
    let label = spec.label ?? spec.oin;
    for (let n = 2; used.has(label); n++) label = `${spec.label ?? spec.oin}-${n}`;
    used.add(label);
    const hosts = spec.hosts ?? DEFAULT_HOSTS;
    const issued = await issueCertificate({
      ca,
      oin: spec.oin,
      name: spec.name,
      hosts,
      ...(spec.notBefore ? { notBefore: spec.notBefore } : {}),
      ...(spec.notAfter ? { notAfter: spec.notAfter } : {}),
    });
    const certPath = join(dir, `${label}.pem`);
    const keyPath = join(dir, `${label}.key.pem`);
    await writeFile(certPath, issued.chainPem, { mode: 0o644 });
    await writeFile(keyPath, issued.keyPem, { mode: 0o600 });
    return { oin: spec.oin, name: spec.name, hosts, ...issued, certPath, keyPath };
  };

  const peers: Record<string, TestPkiPeer> = {};
  for (const spec of options.peers) peers[spec.oin] = await issue(spec);

  return {
    dir,
    groupId: options.groupId,
    caPem: ca.certPem,
    caPath,
    peers,
    issue,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
