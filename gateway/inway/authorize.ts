/**
 * fsc-core "Inway > Authorization": the request is authorised when the access token in
 * `Fsc-Authorization` is signed by our own peer, bound (RFC 8705 §3.1 `cnf.x5t#S256`) to the client
 * certificate of this connection, names a service this inway offers, and carries our group id.
 */
import type { X509Certificate } from 'node:crypto';
import { FscError, certificateThumbprint, type AccessTokenClaims, type AccessTokenVerifier } from '../protocol/index.ts';

const BEARER = /^bearer\s+/i;

/**
 * The token text of an `Fsc-Authorization` value. FSC puts the bare JWT there; a `Bearer ` prefix
 * (as in `Authorization`) is tolerated, since some clients add it out of habit.
 */
export function tokenFromHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const token = value.trim().replace(BEARER, '');
  return token === '' ? undefined : token;
}

/**
 * Verify the token of one request against the client certificate of its connection. Throws the
 * fsc-core inway errors (401 MISSING/INVALID/EXPIRED, 403 WRONG_GROUP_ID_IN_TOKEN).
 */
export async function authorizeRequest(
  verifier: AccessTokenVerifier,
  header: string | undefined,
  clientCertificate: X509Certificate | undefined,
  nowMs: number,
): Promise<AccessTokenClaims> {
  if (clientCertificate === undefined) {
    // Unreachable behind the mTLS listener (the handshake requires a trusted certificate); kept so
    // a misconfigured listener fails closed instead of skipping the certificate binding.
    throw new FscError('ERROR_CODE_ACCESS_TOKEN_INVALID', 'no verified client certificate on this connection', {
      domain: 'ERROR_DOMAIN_INWAY',
      reason: 'no-client-certificate',
    });
  }
  return verifier.verify(tokenFromHeader(header), certificateThumbprint(clientCertificate), nowMs);
}
