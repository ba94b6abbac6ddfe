/**
 * The address a request goes to: the service endpoint's origin, its base path, then the request's
 * own path and query as received, with dot segments resolved and never above the base path
 * (hop/request-target.ts: a call may not leave the service it was authorised for); `%2F` inside a
 * segment and the query pass byte for byte.
 */
import { safeRequestTarget } from '../hop/index.ts';

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
  const safe = safeRequestTarget(rawUrl ?? '', 'ERROR_DOMAIN_INWAY');
  let query = safe.query;
  if (endpoint.query !== '') query = query === '' ? `?${endpoint.query}` : `?${endpoint.query}&${query.slice(1)}`;
  return { origin: endpoint.origin, path: endpoint.basePath + safe.path + query };
}
