/**
 * The address a request goes to: the service endpoint's origin, its base path, then the request's
 * own path and query exactly as received (fsc-core: the path is never altered; no decoding or
 * normalisation, so `%2F` and `..` reach the service as the outway sent them).
 */
import { FscError } from '../protocol/index.ts';

/** Origin and raw path of one upstream request. */
export interface UpstreamTarget {
  origin: string;
  path: string;
}

/** Split an endpoint URL once (at configuration time) into origin and base path and query. */
export interface ParsedEndpoint {
  origin: string;
  /** Base path without trailing slash ('' for the root). */
  basePath: string;
  /** The endpoint's own query without '?', '' when none. */
  query: string;
}

/** Parse a service `endpointUrl` (http or https). */
export function parseEndpoint(endpointUrl: string): ParsedEndpoint {
  const url = new URL(endpointUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('service endpoint must be http or https');
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), query: url.search.slice(1) };
}

/**
 * Join endpoint and request target. `rawUrl` is Node's `incoming.url` (origin-form); anything else
 * (absolute-form, `*`) is refused with 400, because an inway is not a forward proxy.
 */
export function upstreamTarget(endpoint: ParsedEndpoint, rawUrl: string | undefined): UpstreamTarget {
  if (rawUrl === undefined || !rawUrl.startsWith('/')) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'the request target must be a path', { domain: 'ERROR_DOMAIN_INWAY' });
  }
  let path = endpoint.basePath + rawUrl;
  if (endpoint.query !== '') {
    const q = path.indexOf('?');
    path = q === -1 ? `${path}?${endpoint.query}` : `${path.slice(0, q)}?${endpoint.query}&${path.slice(q + 1)}`;
  }
  return { origin: endpoint.origin, path };
}
