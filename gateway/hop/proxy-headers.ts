/**
 * Header rules of a proxy hop, shared by the outway and the inway (the two data-plane components).
 *
 * RFC 9110 §7.6.1: a proxy removes the hop-by-hop fields and every field named in `Connection`
 * before forwarding. Client-supplied `Forwarded`/`X-Forwarded-*` are never trusted: a caller could
 * claim any address; the proxy replaces them with what it saw itself. Everything else passes with
 * its value unchanged (repeated fields stay repeated).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { headersToStrip } from '../protocol/index.ts';

/** Header values as handed to undici (`request({ headers })`) or Node (`res.setHeader`). */
export type ProxyHeaders = Record<string, string | string[]>;

/**
 * Input headers: Node's `rawHeaders` (flat `[name, value, …]`: keeps repeated fields apart, the
 * byte-exact choice), Node's `IncomingHttpHeaders`, undici's response headers, or a fetch `Headers`.
 */
export type ProxyHeaderInput =
  | readonly string[]
  | IncomingHttpHeaders
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | Headers;

/** What the proxy saw of the connection it received the request on (becomes `X-Forwarded-*`). */
export interface ForwardedFor {
  /** The address of the directly connected client (`socket.remoteAddress`). */
  for?: string | undefined;
  /** `http` or `https`: the scheme the request came in on. */
  proto?: 'http' | 'https';
  /** The `Host` the client addressed. */
  host?: string | undefined;
}

/** Options of {@link requestHeadersForUpstream} and {@link responseHeadersForDownstream}. */
export interface ProxyHeaderOptions {
  /** Fields to set, replacing any incoming value (names in any case). */
  add?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Further field names to drop (any case). */
  remove?: Iterable<string>;
}

/** Options of {@link requestHeadersForUpstream}. */
export interface UpstreamHeaderOptions extends ProxyHeaderOptions {
  /** Our own view of the client connection; no `X-Forwarded-*`/`Forwarded` at all when left out. */
  forwarded?: ForwardedFor;
}

// Never trusted from a client; set by us (request) or not at all.
const FORWARDED_FIELDS = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix', 'x-real-ip']);

// Request fields that describe this hop or that undici sets itself: `host` (undici derives it from
// the origin we dial, which is the next hop), `expect` (Node's server already answered
// `100-continue`; undici refuses the field), `content-length` stays (it is end-to-end).
const REQUEST_ONLY_HOP = ['host', 'expect'];

function isRaw(input: ProxyHeaderInput): input is readonly string[] {
  return Array.isArray(input);
}

function entries(input: ProxyHeaderInput): Iterable<[string, string | readonly string[] | undefined]> {
  if (isRaw(input)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < input.length; i += 2) out.push([input[i] as string, input[i + 1] as string]);
    return out;
  }
  if (input instanceof Headers) {
    const out: [string, string][] = [];
    // `getSetCookie` keeps repeated Set-Cookie apart; other repeated fields are one joined value.
    for (const [k, v] of input) if (k !== 'set-cookie') out.push([k, v]);
    for (const cookie of input.getSetCookie()) out.push(['set-cookie', cookie]);
    return out;
  }
  return Object.entries(input);
}

function connectionValue(input: ProxyHeaderInput): string | readonly string[] | undefined {
  if (input instanceof Headers) return input.get('connection') ?? undefined;
  const values: string[] = [];
  for (const [k, v] of entries(input)) {
    if (v === undefined || k.toLowerCase() !== 'connection') continue;
    values.push(...(typeof v === 'string' ? [v] : v));
  }
  return values.length === 0 ? undefined : values;
}

function copy(input: ProxyHeaderInput, drop: ReadonlySet<string>, extraDrop: ReadonlySet<string>): ProxyHeaders {
  const out: ProxyHeaders = {};
  for (const [rawName, value] of entries(input)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    // HTTP/2 pseudo-headers (`:authority`, …) belong to one connection.
    if (name.startsWith(':') || drop.has(name) || extraDrop.has(name)) continue;
    const values = typeof value === 'string' ? [value] : [...value];
    const existing = out[name];
    if (existing === undefined) out[name] = values.length === 1 && values[0] !== undefined ? values[0] : values;
    else out[name] = [...(typeof existing === 'string' ? [existing] : existing), ...values];
  }
  return out;
}

function add(out: ProxyHeaders, fields: ProxyHeaderOptions['add']): ProxyHeaders {
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
  }
  return out;
}

function lower(names: Iterable<string> | undefined): Set<string> {
  const set = new Set<string>();
  for (const n of names ?? []) set.add(n.toLowerCase());
  return set;
}

// RFC 7239 §6: IPv6 addresses are quoted and bracketed; anything unusual is quoted.
function forwardedNode(address: string): string {
  const bare = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return bare.includes(':') ? `"[${bare}]"` : bare;
}

function forwardedValue(f: ForwardedFor): string | undefined {
  const parts: string[] = [];
  if (f.for !== undefined) parts.push(`for=${forwardedNode(f.for)}`);
  if (f.proto !== undefined) parts.push(`proto=${f.proto}`);
  if (f.host !== undefined && /^[A-Za-z0-9.\-:[\]]+$/.test(f.host)) parts.push(`host=${f.host}`);
  return parts.length === 0 ? undefined : parts.join(';');
}

/**
 * The headers to send upstream for an incoming request: hop-by-hop fields, fields named in
 * `Connection`, `Host`, `Expect` and every client-supplied `Forwarded`/`X-Forwarded-*`/`X-Real-IP`
 * are dropped; with `forwarded`, our own `X-Forwarded-For/-Proto/-Host` and `Forwarded` are set;
 * fields named in `remove` are dropped too, then `add` sets fields. Every other field keeps its
 * value byte for byte (pass `incoming.rawHeaders` to keep repeated fields apart as well).
 */
export function requestHeadersForUpstream(incoming: ProxyHeaderInput, options: UpstreamHeaderOptions = {}): ProxyHeaders {
  const drop = new Set<string>(headersToStrip(connectionValue(incoming)));
  for (const name of REQUEST_ONLY_HOP) drop.add(name);
  for (const name of FORWARDED_FIELDS) drop.add(name);
  const out = copy(incoming, drop, lower(options.remove));
  const f = options.forwarded;
  if (f !== undefined) {
    const forwarded = forwardedValue(f);
    if (forwarded !== undefined) out.forwarded = forwarded;
    if (f.for !== undefined) out['x-forwarded-for'] = f.for;
    if (f.proto !== undefined) out['x-forwarded-proto'] = f.proto;
    if (f.host !== undefined) out['x-forwarded-host'] = f.host;
  }
  return add(out, options.add);
}

/**
 * The headers to send downstream for an upstream response: hop-by-hop fields and fields named in
 * `Connection` are dropped, and those in `remove`; then `add` sets fields. Everything else passes
 * unchanged (a service's own headers, including its errors', reach the client as the service sent
 * them).
 */
export function responseHeadersForDownstream(upstream: ProxyHeaderInput, options: ProxyHeaderOptions = {}): ProxyHeaders {
  const drop = headersToStrip(connectionValue(upstream));
  const out = copy(upstream, drop, lower(options.remove));
  return add(out, options.add);
}

/** Put {@link ProxyHeaders} into a fetch `Headers` (for a hono `Response`), repeated fields appended. */
export function toFetchHeaders(headers: ProxyHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out.append(name, value);
    else for (const v of value) out.append(name, v);
  }
  return out;
}
