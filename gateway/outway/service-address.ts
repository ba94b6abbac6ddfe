// How an application names the service it wants (DESIGN.md "A call, end to end", step 1):
// - friendly form (NLX heritage): `/{providerPeerId}/{serviceName}/{path…}`; the two leading segments
//   are removed and the rest of the request target is forwarded;
// - FSC form: any path plus header `Fsc-Grant-Hash: $1$3$…`; the request target is forwarded as sent
//   (fsc-core Outway "Routing": "The Outway MUST NOT alter the path of the HTTP Request").
// Everything works on the raw request target (`IncomingMessage.url`), never on a parsed and re-encoded
// URL, so `%2F`, repeated query keys and odd spacing reach the service byte for byte. The one change:
// dot segments are resolved and may not climb above the service (hop/request-target.ts), because a
// `..` would otherwise reach files or endpoints outside the published one; a fragment is dropped.
import { FscError, HashType, assertKnownHashAlgorithm, parseHash } from '../protocol/index.ts';
import { safeRequestTarget } from '../hop/index.ts';

export type ServiceAddress =
  | {
      kind: 'friendly';
      providerPeerId: string;
      serviceName: string;
      /** What goes to the inway: `/` + the rest of the path, plus the query, as received. */
      forwardTarget: string;
    }
  | {
      kind: 'grant';
      grantHash: string;
      forwardTarget: string;
    };

/**
 * The origin-form request target of a raw target: an absolute-form target (`GET http://outway/x`,
 * as sent by clients that use the outway as an HTTP proxy) loses its scheme and authority, the
 * path and query stay as they were.
 */
export function originForm(rawTarget: string): string {
  if (rawTarget.startsWith('/')) return rawTarget;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(rawTarget);
  if (m === null) return rawTarget === '*' ? '/' : `/${rawTarget}`;
  const rest = rawTarget.slice(m[0].length);
  if (rest === '') return '/';
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Split a friendly request target into provider, service and the target to forward. Undefined when
 * the path has fewer than two non-empty segments.
 */
export function parseFriendlyTarget(target: string): Extract<ServiceAddress, { kind: 'friendly' }> | undefined {
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const query = queryAt < 0 ? '' : target.slice(queryAt);
  // path = "/{peer}/{service}" + rest, rest is "" or starts with "/".
  const first = path.indexOf('/', 1);
  if (first < 0) return undefined;
  const second = path.indexOf('/', first + 1);
  const peerRaw = path.slice(1, first);
  const serviceRaw = second < 0 ? path.slice(first + 1) : path.slice(first + 1, second);
  const rest = second < 0 ? '' : path.slice(second);
  const providerPeerId = decodeSegment(peerRaw);
  const serviceName = decodeSegment(serviceRaw);
  if (providerPeerId === undefined || serviceName === undefined || providerPeerId === '' || serviceName === '') return undefined;
  return {
    kind: 'friendly',
    providerPeerId,
    serviceName,
    forwardTarget: (rest === '' ? '/' : rest) + query,
  };
}

/**
 * Read the service address of a request. `grantHashHeader` is the value of `Fsc-Grant-Hash`, which
 * wins over the path. Throws 400 for a malformed or non-connection grant hash; returns undefined when
 * the request names no service at all.
 */
export function parseServiceAddress(rawTarget: string, grantHashHeader: string | readonly string[] | undefined): ServiceAddress | undefined {
  const address = addressOf(originForm(rawTarget), grantHashHeader);
  if (address === undefined) return undefined;
  // A call may not leave the service it names: dot segments resolved, never above it (400 otherwise).
  const safe = safeRequestTarget(address.forwardTarget, 'ERROR_DOMAIN_OUTWAY');
  return { ...address, forwardTarget: safe.path + safe.query };
}

function addressOf(target: string, grantHashHeader: string | readonly string[] | undefined): ServiceAddress | undefined {
  if (grantHashHeader !== undefined) {
    if (typeof grantHashHeader !== 'string') {
      throw new FscError('ERROR_CODE_BAD_REQUEST', 'header Fsc-Grant-Hash must not be repeated', { domain: 'ERROR_DOMAIN_OUTWAY' });
    }
    let parsed;
    assertKnownHashAlgorithm(grantHashHeader.trim(), 'ERROR_DOMAIN_OUTWAY');
    try {
      parsed = parseHash(grantHashHeader.trim());
    } catch (err) {
      throw new FscError('ERROR_CODE_BAD_REQUEST', 'header Fsc-Grant-Hash is not a valid grant hash', {
        domain: 'ERROR_DOMAIN_OUTWAY',
        cause: err,
      });
    }
    if (parsed.type !== HashType.ServiceConnectionGrant && parsed.type !== HashType.DelegatedServiceConnectionGrant) {
      throw new FscError(
        'ERROR_CODE_BAD_REQUEST',
        'header Fsc-Grant-Hash must be the hash of a service connection grant or a delegated service connection grant',
        { domain: 'ERROR_DOMAIN_OUTWAY' },
      );
    }
    return { kind: 'grant', grantHash: parsed.hash, forwardTarget: target };
  }
  return parseFriendlyTarget(target);
}
