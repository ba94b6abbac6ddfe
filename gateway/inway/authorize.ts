/**
 * Reading the access token of `Fsc-Authorization` (fsc-core "Inway > Authorization"); the checks
 * themselves are the inway's token and contract steps (steps.ts, contract-check.ts).
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
