// Does a certificate chain to the group trust anchor? Used for certificates that did not arrive
// through our own TLS handshake (a signer's certificate from its manager's JWKS `x5c`): the TLS
// server already checked every client certificate, but a certificate fetched over the wire is just
// data until it is checked here. fsc-core "Trust Anchor": every peer accepts the same TA(s).
import { X509Certificate } from 'node:crypto';

/** The parsed trust anchors of a group (one or more CA certificates). */
export interface TrustAnchors {
  readonly certificates: readonly X509Certificate[];
}

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, in file order. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  return (pem.match(PEM_RE) ?? []).map((block) => new X509Certificate(block));
}

export function trustAnchorsFromPem(pem: string): TrustAnchors {
  const certificates = parsePemCertificates(pem);
  if (certificates.length === 0) throw new TypeError('the trust anchor file holds no certificate');
  return { certificates };
}

const MAX_DEPTH = 8;

function validAt(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo);
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

/**
 * True when `leaf`, possibly through some of `intermediates` (any order), is signed by one of the
 * trust anchors, and every certificate on the path is valid at `nowMs`. Intermediates must be CA
 * certificates; a certificate equal to an anchor counts as trusted only as an anchor, not as a leaf.
 */
export function chainsToTrustAnchor(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: TrustAnchors,
  nowMs: number,
): boolean {
  if (!validAt(leaf, nowMs)) return false;
  let current = leaf;
  const used = new Set<X509Certificate>();
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    for (const anchor of anchors.certificates) {
      if (validAt(anchor, nowMs) && issuedBy(current, anchor)) return true;
    }
    const next = intermediates.find((c) => !used.has(c) && c.ca && validAt(c, nowMs) && issuedBy(current, c));
    if (next === undefined) return false;
    used.add(next);
    current = next;
  }
  return false;
}
