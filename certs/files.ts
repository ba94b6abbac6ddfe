// The dev PKI on disk (`koppel pki init`, `koppel pki issue`). Keys are written with mode 0600 and
// never overwritten: a replaced key silently breaks every contract that binds the old one.
import { constants } from 'node:fs';
import { access, chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createCa, issueCertificate } from './authority.ts';
import { PkiError } from './errors.ts';
import { assertGroupId, assertOin, assertPeerName, classifyHosts } from './subject.ts';

/** File names of the group CA inside a PKI directory. */
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key.pem';

export interface InitGroupCaOptions {
  groupId: string;
  dir: string;
  now?: Date;
}

export interface GroupCaFiles {
  certPath: string;
  keyPath: string;
}

export interface IssuePeerCertificateOptions {
  /** PKI directory holding ca.pem and ca.key.pem. */
  dir: string;
  oin: string;
  name: string;
  hosts: readonly string[];
  /** Path prefix of the output files (`PREFIX.pem`, `PREFIX.key.pem`); defaults to `<dir>/<oin>`. */
  out?: string;
  now?: Date;
  notBefore?: Date;
  notAfter?: Date;
}

export interface PeerCertificateFiles {
  /** Leaf certificate followed by the CA certificate (what a TLS server or client presents). */
  certPath: string;
  /** PKCS#8 private key, mode 0600. */
  keyPath: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function existsError(path: string): PkiError {
  const what = path.endsWith('.key.pem') ? 'a private key' : 'a certificate';
  return new PkiError('PKI_FILE_EXISTS', `${path} already exists; refusing to overwrite ${what} (move it away first)`);
}

async function refuseExisting(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (await exists(path)) throw existsError(path);
  }
}

// `wx` fails if the file appeared since the check; chmod because a umask may have narrowed the mode.
async function writeNew(path: string, data: string, mode: number): Promise<void> {
  try {
    await writeFile(path, data, { flag: 'wx', mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(path);
    throw err;
  }
  await chmod(path, mode);
}

/** Writes a key and its certificate; if the certificate cannot be written, the fresh key is removed again. */
async function writePair(certPath: string, certPem: string, keyPath: string, keyPem: string): Promise<void> {
  await writeNew(keyPath, keyPem, 0o600);
  try {
    await writeNew(certPath, certPem, 0o644);
  } catch (err) {
    await rm(keyPath, { force: true });
    throw err;
  }
}

/** Creates a group CA in `dir` (ca.pem, ca.key.pem with mode 0600). Refuses to replace an existing CA. */
export async function initGroupCa(options: InitGroupCaOptions): Promise<GroupCaFiles> {
  assertGroupId(options.groupId);
  const certPath = join(options.dir, CA_CERT_FILE);
  const keyPath = join(options.dir, CA_KEY_FILE);
  await refuseExisting([keyPath, certPath]);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const ca = await createCa({ groupId: options.groupId, ...(options.now ? { now: options.now } : {}) });
  await writePair(certPath, ca.certPem, keyPath, ca.keyPem);
  return { certPath, keyPath };
}

/** Reads the group CA of a PKI directory. */
export async function readGroupCa(dir: string): Promise<{ certPem: string; keyPem: string }> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(dir, CA_CERT_FILE), 'utf8'),
      readFile(join(dir, CA_KEY_FILE), 'utf8'),
    ]);
    return { certPem, keyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PkiError(
        'PKI_CA_MISSING',
        `no group CA in ${dir} (run \`koppel pki init --group ID --dir ${dir}\` first)`,
      );
    }
    throw err;
  }
}

/**
 * Issues a peer certificate with the CA in `dir` and writes `PREFIX.pem` (leaf, then CA) and
 * `PREFIX.key.pem` (mode 0600). Inputs are checked before anything is read or written.
 */
export async function issuePeerCertificate(options: IssuePeerCertificateOptions): Promise<PeerCertificateFiles> {
  assertOin(options.oin);
  assertPeerName(options.name);
  classifyHosts(options.hosts);
  const prefix = options.out ?? join(options.dir, options.oin);
  const certPath = `${prefix}.pem`;
  const keyPath = `${prefix}.key.pem`;
  await refuseExisting([keyPath, certPath]);
  const ca = await readGroupCa(options.dir);
  const issued = await issueCertificate({
    ca,
    oin: options.oin,
    name: options.name,
    hosts: options.hosts,
    ...(options.now ? { now: options.now } : {}),
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
    ...(options.notAfter ? { notAfter: options.notAfter } : {}),
  });
  await mkdir(dirname(prefix), { recursive: true });
  await writePair(certPath, issued.chainPem, keyPath, issued.keyPem);
  return { certPath, keyPath };
}
