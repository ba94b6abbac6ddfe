// Opens the transaction log a configuration names, for `koppel logs verify|export`: read-only use (no
// head signer, no timers), with a verifier for the signed heads built from the peer's certificate.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KoppelConfig } from '../config/index.ts';
import { loadConfig } from '../config/index.ts';
import { backendOptionsFrom } from '../peer/index.ts';
import { certificateThumbprint, peerFromCertificate, toX509 } from '../gateway/protocol/index.ts';
import { createJwsHeadVerifier, createTxLog, type HeadVerifier, type TxLog } from '../gateway/txlog/index.ts';

/** A problem the operator can fix (missing file, wrong certificate): printed as is, exit 1. */
export class LogsOpenError extends Error {
  override readonly name = 'LogsOpenError';
}

export interface OpenedLog {
  txlog: TxLog;
  peerId: string;
  config: KoppelConfig;
  /** Where the log lives, for messages (SQLite file, or the Redis key prefix; never a password). */
  location: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function leafCertificates(path: string): Promise<string[]> {
  const pem = await readFile(path, 'utf8');
  const certs = pem.match(PEM_CERT) ?? [];
  if (certs.length === 0) throw new LogsOpenError(`${path} holds no PEM certificate`);
  return certs;
}

/** JWS algorithms that fit a public key: ES256/384/512 for EC keys by curve, RS and PS for RSA. */
function algorithmsFor(key: KeyObject): string[] {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : ['ES256'];
  }
  return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
}

/**
 * A verifier that accepts heads signed with the key of one of `certificatePems` (chosen by the
 * `x5t#S256` header), so heads signed before a certificate renewal still verify when the old
 * certificate is given.
 */
export function headVerifierFor(certificatePems: readonly string[]): HeadVerifier {
  const byThumbprint = new Map<string, HeadVerifier>();
  for (const pem of certificatePems) {
    const key = createPublicKey(toX509(pem).publicKey.export({ type: 'spki', format: 'pem' }));
    byThumbprint.set(certificateThumbprint(pem), createJwsHeadVerifier({ publicKey: key, algorithms: algorithmsFor(key) }));
  }
  return async function verifyWithKnownCertificate(jws: string): Promise<unknown> {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const verifier = byThumbprint.get(String(header['x5t#S256']));
    if (verifier === undefined) throw new Error('signed with a certificate that was not given');
    return verifier(jws);
  };
}

export interface OpenLogOptions {
  configPath: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Earlier certificates of this peer whose heads should verify too. */
  extraCertificatePaths?: readonly string[];
}

export async function openLogFromConfig(options: OpenLogOptions): Promise<OpenedLog> {
  const config = await loadConfig({ path: resolve(options.cwd, options.configPath), env: options.env });
  const certPath = resolve(options.cwd, config.peer.certificatePath);
  const [leaf] = await leafCertificates(certPath);
  const peerId = peerFromCertificate(leaf!).peerId;
  const certificates = [leaf!];
  for (const p of options.extraCertificatePaths ?? []) certificates.push(...(await leafCertificates(resolve(options.cwd, p))));
  const verifier = headVerifierFor(certificates);
  // headIntervalMs/pruneIntervalMs 0 and no signer: these commands only read the log.
  const common = { peerId, verifier, headIntervalMs: 0, pruneIntervalMs: 0 } as const;
  const { txlog: location } = await backendOptionsFrom(config, { cwd: options.cwd });
  if (location.kind === 'sqlite') {
    const file = resolve(location.dataDir, 'txlog.sqlite');
    if (!existsSync(file)) throw new LogsOpenError(`no transaction log at ${file}`);
    return { txlog: await createTxLog({ ...location, ...common }), peerId, config, location: file };
  }
  const txlog = await createTxLog({ ...location, ...common });
  return { txlog, peerId, config, location: `redis key prefix ${location.keyPrefix}` };
}
