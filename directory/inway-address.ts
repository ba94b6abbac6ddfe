// Where a published service's inway is. FSC itself does not say: the service listing
// (manager.yaml `serviceListingService`) names peer, service and protocol only, and the inway
// address reaches a consumer through the access token's `aud` (fsc-core "Access token"). A directory
// that watches inway health needs the address before any token exists, so Koppel carries it in the
// publication grant's `properties` (fsc-core "Properties": "Use case specific information can be
// provided using the `properties` field of a Grant"). It is signed by the provider like every other
// grant field, so the directory never has to trust an unsigned claim; implementations that do not
// know the key ignore it. The fsc-1.1 hash scheme has no byte form for properties: groups on that
// scheme publish without the address and the directory shows health as unknown.
import { INWAY_ADDRESS_PROPERTY } from '../gateway/protocol/index.ts';

export { INWAY_ADDRESS_PROPERTY };

/** `https://host:port` with an explicit port and nothing after the authority (the shape of token `aud`). */
export function isInwayAddress(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false;
  if (!/^https:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(value)) return false;
  try {
    const url = new URL(value);
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return url.protocol === 'https:' && port >= 1 && port <= 65535;
  } catch {
    return false;
  }
}

export type InwayAddressOfGrant = { kind: 'absent' } | { kind: 'valid'; address: string } | { kind: 'invalid' };

/** The inway address a publication grant carries in its properties, if any. */
export function inwayAddressOfGrant(properties: Readonly<Record<string, unknown>> | undefined): InwayAddressOfGrant {
  if (properties === undefined || !Object.hasOwn(properties, INWAY_ADDRESS_PROPERTY)) return { kind: 'absent' };
  const value = properties[INWAY_ADDRESS_PROPERTY];
  return isInwayAddress(value) ? { kind: 'valid', address: value } : { kind: 'invalid' };
}
