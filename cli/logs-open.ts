// Opens the transaction log a configuration names, for `koppel logs verify|export`: read-only use (no
// head signer, no timers), with a verifier for the signed heads built from the peer's certificate.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { KoppelConfig } from '../config/index.ts';
import { loadConfig } from '../config/index.ts';
import { backendOptionsFrom } from '../peer/index.ts';
import {
  certificateThumbprint,
  chainsToTrustAnchor,
  peerFromCertificate,
  toX509,
  trustAnchorsFromPem,
} from '../gateway/protocol/index.ts';
import {
  createJwsHeadVerifier,
  createTxLog,
  HeadVerifierError,
  type HeadVerifier,
  type TxLog,
} from '../gateway/txlog/index.ts';

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

/** Who may have signed this log's heads, besides the certificates given by file. */
export interface HeadSigners {
  /** The group's trust anchor (PEM): a head's own `x5c` chain must lead to it. */
  trustAnchorPem: string;
  /** The log's peer: the certificate in a head's `x5c` must name it. */
  peerId: string;
}

function headerOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * A verifier that accepts heads signed with the key of one of `certificatePems` (chosen by the
 * `x5t#S256` header), or — for a head signed with another certificate, e.g. before a renewal — with
 * the certificate the head carries in `x5c`, when that chain leads to the trust anchor at the time the
 * head was signed and the certificate names this peer. A head with neither fails with a message that
 * says how to give the earlier certificate.
 */
export function headVerifierFor(certificatePems: readonly string[], signers?: HeadSigners): HeadVerifier {
  const byThumbprint = new Map<string, HeadVerifier>();
  for (const pem of certificatePems) {
    const key = createPublicKey(toX509(pem).publicKey.export({ type: 'spki', format: 'pem' }));
    byThumbprint.set(
      certificateThumbprint(pem),
      createJwsHeadVerifier({ publicKey: key, algorithms: algorithmsFor(key) }),
    );
  }
  const anchors = signers === undefined ? undefined : trustAnchorsFromPem(signers.trustAnchorPem);
  return async function verifyWithKnownCertificate(jws: string): Promise<unknown> {
    const header = headerOf(jws);
    const thumbprint = String(header['x5t#S256']);
    const known = byThumbprint.get(thumbprint);
    if (known !== undefined) return known(jws);
    const x5c = header.x5c;
    if (anchors === undefined || signers === undefined || !Array.isArray(x5c) || typeof x5c[0] !== 'string') {
      throw new HeadVerifierError(
        `signed with another certificate (x5t#S256 ${thumbprint}); if this peer's certificate was renewed, give the earlier one with --certificate OLD.pem`,
      );
    }
    const chain = x5c.map((der) => new X509Certificate(Buffer.from(String(der), 'base64')));
    const leaf = chain[0] as X509Certificate;
    if (certificateThumbprint(leaf) !== thumbprint)
      throw new HeadVerifierError('the x5c certificate is not the one x5t#S256 names');
    if (peerFromCertificate(leaf).peerId !== signers.peerId)
      throw new HeadVerifierError('signed with the certificate of another peer');
    const key = createPublicKey(leaf.publicKey.export({ type: 'spki', format: 'pem' }));
    const payload = (await createJwsHeadVerifier({ publicKey: key, algorithms: algorithmsFor(key) })(jws)) as {
      at_ms?: unknown;
    };
    const at = typeof payload.at_ms === 'number' ? payload.at_ms : Number.NaN;
    if (!chainsToTrustAnchor(leaf, chain.slice(1), anchors, at)) {
      throw new HeadVerifierError(
        'signed with a certificate that did not chain to the trust anchor when the head was signed',
      );
    }
    return payload;
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
  for (const p of options.extraCertificatePaths ?? [])
    certificates.push(...(await leafCertificates(resolve(options.cwd, p))));
  const trustAnchorPem = await readFile(resolve(options.cwd, config.peer.trustAnchorPath), 'utf8').catch(() => {
    throw new LogsOpenError(`cannot read the trust anchor ${config.peer.trustAnchorPath}`);
  });
  const verifier = headVerifierFor(certificates, { trustAnchorPem, peerId });
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
