// GET /v1/.well-known/jwks.json (manager.yaml getJSONWebKeySet). fsc-core "Providing X.509
// certificates": "The Manager MUST provide X.509 certificates of the keypairs used to sign Contracts
// and access tokens" and "MUST provide the complete certificate chain excluding the root CA
// certificate used by the Group as Trust Anchor". Each key carries `x5c` (that chain, standard
// base64 DER, leaf first) and `x5t#S256`, which is how other managers find the certificate a
// signature or token names in its header.
import { exportJWK, type JWK } from 'jose';
import type { X509Certificate } from 'node:crypto';
import { certificateThumbprint } from '../../protocol/index.ts';
import type { TrustAnchors } from '../../protocol/index.ts';

export interface JsonWebKeySet {
  keys: JsonWebKey[];
}

export interface JsonWebKey extends JWK {
  kid: string;
  use: 'sig';
  alg: string;
  x5c: string[];
  'x5t#S256': string;
}

/** The JWS algorithm we use with a certificate's key (ES256 for P-256, the Koppel default). */
export function algorithmOf(cert: X509Certificate): 'ES256' | 'ES384' | 'ES512' | 'RS256' {
  const details = cert.publicKey.asymmetricKeyDetails;
  if (cert.publicKey.asymmetricKeyType === 'ec') {
    if (details?.namedCurve === 'secp384r1') return 'ES384';
    if (details?.namedCurve === 'secp521r1') return 'ES512';
    return 'ES256';
  }
  return 'RS256';
}

/**
 * One JWK per signing certificate. `chain` is the leaf followed by its intermediates as configured;
 * certificates that are themselves trust anchors are left out of `x5c`.
 */
export async function buildJwks(
  signingChains: readonly (readonly X509Certificate[])[],
  anchors: TrustAnchors,
): Promise<JsonWebKeySet> {
  const anchorRaw = new Set(anchors.certificates.map((a) => a.raw.toString('base64')));
  const keys: JsonWebKey[] = [];
  for (const chain of signingChains) {
    const [leaf] = chain;
    if (leaf === undefined) continue;
    const jwk = await exportJWK(leaf.publicKey);
    const thumbprint = certificateThumbprint(leaf);
    keys.push({
      ...jwk,
      kid: thumbprint,
      use: 'sig',
      alg: algorithmOf(leaf),
      x5c: chain.map((c) => c.raw.toString('base64')).filter((c) => !anchorRaw.has(c)),
      'x5t#S256': thumbprint,
    });
  }
  return { keys };
}
