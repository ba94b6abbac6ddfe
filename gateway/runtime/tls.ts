/**
 * Peer TLS material and the mutual-TLS server settings every FSC listener uses.
 *
 * fsc-core "Identity": every FSC connection is mutual TLS and both certificates MUST chain to the
 * group's trust anchor. The trust anchor is the only CA we trust (passing `ca` replaces Node's
 * public root store), so a certificate from any other CA fails the handshake.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Context } from 'hono';
import { chainsToTrustAnchor, parsePemCertificates, trustAnchorsFromPem } from '../protocol/index.ts';

/** TLS versions a group may allow; FSC peers default to 1.3 (DESIGN.md "Identity and PKI"). */
export type TlsMinVersion = 'TLSv1.3' | 'TLSv1.2';

/** Where a peer's TLS material lives (secrets are file paths, not inline values). */
export interface PeerTlsFiles {
  /** PEM file with the group trust anchor (one or more CA certificates). */
  trustAnchorFile: string;
  /** PEM file with the peer certificate, optionally followed by intermediates (leaf first). */
  certFile: string;
  /** PEM file with the private key of the peer certificate. */
  keyFile: string;
}

/** A peer's TLS material in memory (PEM text). */
export interface PeerTlsMaterial {
  ca: string;
  cert: string;
  key: string;
  /** The peer's own (leaf) certificate, parsed. */
  certificate: X509Certificate;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new Error(`cannot read the ${what} file ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/**
 * Read and check a peer's trust anchor, certificate chain and key. Fails with a message naming the
 * file (never its content) when a file is missing, holds no PEM of the right kind, or the key does
 * not belong to the certificate.
 */
export async function loadPeerTls(files: PeerTlsFiles): Promise<PeerTlsMaterial> {
  const [ca, cert, key] = await Promise.all([
    readPem(files.trustAnchorFile, 'trust anchor'),
    readPem(files.certFile, 'certificate'),
    readPem(files.keyFile, 'private key'),
  ]);
  if (ca.match(PEM_CERT) === null) throw new Error(`the trust anchor file ${files.trustAnchorFile} holds no PEM certificate`);
  const leafPem = cert.match(PEM_CERT)?.[0];
  if (leafPem === undefined) throw new Error(`the certificate file ${files.certFile} holds no PEM certificate`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(leafPem);
  } catch {
    throw new Error(`the certificate file ${files.certFile} holds an unreadable certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`the private key file ${files.keyFile} holds no readable private key`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`the private key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`);
  }
  return { ca, cert, key, certificate };
}

/**
 * Why the peer certificate would be refused by the group, or undefined when it would not: it must be
 * valid now and chain — through the intermediates that follow it in its file — to a certificate of
 * the trust anchor. (Every other peer checks exactly this in the TLS handshake; `koppel config check`
 * says it before anyone has to.)
 */
export function certificateChainProblem(material: PeerTlsMaterial, now: Date = new Date()): string | undefined {
  const leaf = material.certificate;
  if (now < new Date(leaf.validFrom)) return `the certificate is not valid before ${new Date(leaf.validFrom).toISOString()}`;
  if (now > new Date(leaf.validTo)) return `the certificate expired on ${new Date(leaf.validTo).toISOString()}`;
  let chained: boolean;
  try {
    chained = chainsToTrustAnchor(
      leaf,
      parsePemCertificates(material.cert).slice(1),
      trustAnchorsFromPem(material.ca),
      now.getTime(),
    );
  } catch {
    return 'the trust anchor or the certificate chain holds an unreadable certificate';
  }
  return chained ? undefined : `the certificate (issuer ${leaf.issuer.replaceAll('\n', ', ')}) does not chain to the trust anchor`;
}

/** Options of {@link createServerTlsOptions}. */
export interface ServerTlsConfig {
  /** The group trust anchor (PEM); client certificates must chain to it. */
  ca: string | Buffer;
  /** This peer's certificate chain (PEM, leaf first). */
  cert: string | Buffer;
  /** This peer's private key (PEM). */
  key: string | Buffer;
  /**
   * Ask for and require a client certificate (mutual TLS). Default true: every FSC listener needs
   * it. Only a non-FSC listener (for example the console behind its own login) sets false.
   */
  requestClientCert?: boolean;
  /** Lowest TLS version accepted; default `TLSv1.3`, `TLSv1.2` when the group allows it. */
  minVersion?: TlsMinVersion;
}

/**
 * Node `https` server options for a peer listener: TLS 1.3 by default, and a client certificate
 * that chains to the group CA is required during the handshake (`rejectUnauthorized: true`), so an
 * unauthenticated client never reaches a request handler.
 */
export function createServerTlsOptions(config: ServerTlsConfig): HttpsServerOptions {
  const requestCert = config.requestClientCert ?? true;
  return {
    ca: config.ca,
    cert: config.cert,
    key: config.key,
    requestCert,
    rejectUnauthorized: requestCert,
    minVersion: config.minVersion ?? 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
}

// Parsing a certificate costs tens of microseconds; a keep-alive connection carries many requests,
// and the protocol's thumbprint caches are keyed by the X509Certificate object.
const peerCertificates = new WeakMap<TLSSocket, X509Certificate>();

/**
 * The verified client (or server) certificate of a TLS connection, or undefined when the socket is
 * not TLS, carries no certificate, or the certificate did not verify against the trust anchor.
 */
export function peerCertificateOfSocket(socket: Socket | TLSSocket | null | undefined): X509Certificate | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cached = peerCertificates.get(socket);
  if (cached !== undefined) return cached;
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return undefined;
  peerCertificates.set(socket, certificate);
  return certificate;
}

interface NodeBindingsLike {
  incoming?: { socket?: Socket | null };
}

/**
 * The verified client certificate of the request in a hono handler served by
 * {@link startHttpServer} (via `c.env.incoming.socket`); undefined on a plain-HTTP listener, for a
 * client without a certificate, or when the app runs outside the Node server (`app.request()`).
 */
export function peerCertificate(c: Context): X509Certificate | undefined {
  const env = c.env as NodeBindingsLike | undefined;
  return peerCertificateOfSocket(env?.incoming?.socket);
}
