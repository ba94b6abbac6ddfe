// Reading the parts of a compact JWS (RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.'
// BASE64URL(signature)) before its signature is checked, shared by contract signatures (signature.ts) and
// access tokens (access-token.ts). Internal to gateway/protocol.

/** Three base64url parts; the signature part may be empty (as an unsecured JWS has it) and is refused later. */
export const COMPACT_JWS_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The JSON value of one base64url part, or undefined when it is not JSON. */
export function decodeJsonPart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON object (not null, not an array). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
