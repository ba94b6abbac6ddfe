// Finds the certificate a signature names in its `x5t#S256` header. fsc-core "Signatures": a
// signature is verified against the signer's certificate, and "The Manager MUST provide X.509
// certificates of the keypairs used to sign Contracts" (its JWKS). Order of lookup:
//   1. the client certificate of the TLS connection the signature arrived on (the usual case: each
//      manager delivers its own signatures, and the TLS server already checked the chain);
//   2. certificates seen before (cached in the store, so every replica and a restart benefit);
//   3. the JWKS (`x5c`) of the signer's manager, whose chain is then checked against the trust anchor.
import { X509Certificate } from 'node:crypto';
import { certificateThumbprint, FscError } from '../../protocol/index.ts';
import type { Logger } from '../../runtime/index.ts';
import type { ManagerStore } from '../../store/index.ts';
import { chainsToTrustAnchor, type TrustAnchors } from '../../protocol/index.ts';
import type { PeerClient } from './peer-client.ts';

const CACHE_PREFIX = 'manager:cert:';
/** Certificates are public and their thumbprint pins them, so they may be kept long. */
const CACHE_TTL_MS = 30 * 24 * 3600 * 1000;

export interface ResolveCertificateInput {
  /** `x5t#S256` from the signature header. */
  thumbprint: string;
  /** The peer that sent the signature (its manager is asked when nothing else knows the certificate). */
  peerId: string;
  /** Client certificate chain of the connection, leaf first. */
  tlsChain?: readonly X509Certificate[];
  /** Where the sending peer's manager is (Fsc-Manager-Address of this request, or the peer store). */
  managerAddress?: string;
}

export interface CertificateResolver {
  resolve(input: ResolveCertificateInput): Promise<X509Certificate>;
  /** Remember a chain that passed the TLS handshake, so later signatures made with it can be checked. */
  remember(chain: readonly X509Certificate[]): Promise<void>;
}

export interface CertificateResolverOptions {
  store: ManagerStore;
  peerClient: PeerClient;
  anchors: TrustAnchors;
  clock: () => number;
  logger: Logger;
}

function encodeChain(chain: readonly X509Certificate[]): string {
  return chain.map((c) => c.raw.toString('base64')).join(',');
}

function decodeChain(text: string): X509Certificate[] {
  return text.split(',').map((b64) => new X509Certificate(Buffer.from(b64, 'base64')));
}

function notFound(thumbprint: string, peerId: string): FscError {
  // Message after manager.yaml example signatureVerificationFailed.
  return new FscError(
    'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
    `unable to retrieve certificate with thumbprint '${thumbprint}' from manager of peer '${peerId}'`,
    { reason: 'certificate-unknown' },
  );
}

interface JwkWithX5c {
  x5c?: unknown;
}

export function createCertificateResolver(options: CertificateResolverOptions): CertificateResolver {
  const { store, peerClient, anchors, clock, logger } = options;

  function trusted(chain: readonly X509Certificate[]): boolean {
    const [leaf, ...rest] = chain;
    return leaf !== undefined && chainsToTrustAnchor(leaf, rest, anchors, clock());
  }

  async function remember(chain: readonly X509Certificate[]): Promise<void> {
    const [leaf] = chain;
    if (leaf === undefined) return;
    const key = CACHE_PREFIX + certificateThumbprint(leaf);
    const cached = await store.kvGet(key);
    if (cached === undefined) await store.kvSet(key, encodeChain(chain), CACHE_TTL_MS);
  }

  async function fromJwks(thumbprint: string, peerId: string, address: string): Promise<X509Certificate[] | undefined> {
    let body: unknown;
    try {
      const res = await peerClient.getJwks(address);
      if (res.status !== 200) return undefined;
      body = res.body;
    } catch (err) {
      logger.warn({ err, peerId }, 'could not fetch the jwks of a peer');
      return undefined;
    }
    const keys = (body as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys)) return undefined;
    for (const key of keys as JwkWithX5c[]) {
      if (!Array.isArray(key.x5c) || key.x5c.length === 0) continue;
      let chain: X509Certificate[];
      try {
        chain = (key.x5c as unknown[]).map((c) => {
          if (typeof c !== 'string') throw new TypeError('x5c entry is not a string');
          return new X509Certificate(Buffer.from(c, 'base64'));
        });
      } catch {
        continue;
      }
      // Trust the certificate bytes, never the key's own `x5t#S256` field.
      if (chain[0] !== undefined && certificateThumbprint(chain[0]) === thumbprint) return chain;
    }
    return undefined;
  }

  return {
    remember,
    async resolve(input) {
      const { thumbprint, peerId } = input;
      const tlsLeaf = input.tlsChain?.[0];
      if (tlsLeaf !== undefined && certificateThumbprint(tlsLeaf) === thumbprint) return tlsLeaf;

      const cached = await store.kvGet(CACHE_PREFIX + thumbprint);
      if (cached !== undefined) {
        try {
          const chain = decodeChain(cached);
          if (chain[0] !== undefined && certificateThumbprint(chain[0]) === thumbprint && trusted(chain)) return chain[0];
        } catch {
          // A damaged cache entry is ignored and refetched.
        }
      }

      const address = input.managerAddress ?? (await store.getPeer(peerId))?.managerAddress;
      if (address === undefined) throw notFound(thumbprint, peerId);
      const chain = await fromJwks(thumbprint, peerId, address);
      if (chain === undefined || chain[0] === undefined) throw notFound(thumbprint, peerId);
      if (!trusted(chain)) {
        throw new FscError(
          'ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED',
          'the signing certificate does not chain to the trust anchor of the group',
          { reason: 'untrusted-certificate' },
        );
      }
      await store.kvSet(CACHE_PREFIX + thumbprint, encodeChain(chain), CACHE_TTL_MS);
      return chain[0];
    },
  };
}
