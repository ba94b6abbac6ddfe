/**
 * fsc-core "Inway > Authorization": the request is authorised when the access token in
 * `Fsc-Authorization` is signed by our own peer, bound (RFC 8705 §3.1 `cnf.x5t#S256`) to the client
 * certificate of this connection, names a service this inway offers, and carries our group id.
 */

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
