/**
 * The header rules of a proxy hop, shared by the outway and the inway (RFC 9110 §7.6.1): a proxy
 * removes the hop-by-hop fields and every field named in `Connection`; client-supplied `Forwarded` /
 * `X-Forwarded-*` are never trusted (the hop sets what it saw itself); everything else passes with its
 * value unchanged and repeated fields stay repeated. On flat `[name, value, …]` lists: Node's
 * `rawHeaders` in, undici's flat list out; undici's response headers in, the flat list
 * `res.writeHead` takes out. One pass, no per-field objects: these run for every call.
 */
import { hopByHopHeaders } from '../protocol/index.ts';

/** What the hop saw of the connection it received the request on (becomes `X-Forwarded-*`). */
export interface ForwardedFor {
  /** The address of the directly connected client (`socket.remoteAddress`). */
  for?: string | undefined;
  /** `http` or `https`: the scheme the request came in on. */
  proto?: 'http' | 'https';
  /** The `Host` the client addressed. */
  host?: string | undefined;
}

const HOP_BY_HOP: ReadonlySet<string> = new Set(hopByHopHeaders);

// Never trusted from a client; set by us (request) or not at all. `host` is the next hop's (undici
// derives it from the origin it dials); `expect` was answered by Node's server already.
const REQUEST_DROP: ReadonlySet<string> = new Set([
  ...hopByHopHeaders,
  'host',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
]);

/** Field names listed in Connection values, beyond the hop-by-hop fields themselves. */
function connectionNames(values: readonly string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !HOP_BY_HOP.has(name)) (out ??= new Set()).add(name);
    }
  }
  return out;
}

function withoutNames(flat: string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    if (!names.has(name.toLowerCase())) out.push(name, flat[i + 1] as string);
  }
  return out;
}

/** Options of {@link upstreamRequestHeaders}. */
export interface UpstreamRequestHeaderOptions {
  /** Further field names (lower case) to drop: the role's own fields that must not travel on. */
  remove: ReadonlySet<string>;
  /** Our own view of the client connection; no `X-Forwarded-*`/`Forwarded` at all when left out. */
  forwarded?: ForwardedFor;
  /** Fields to set, flat `[name, value, …]` with lower-case names; an incoming field of that name is dropped. */
  add: readonly string[];
}

// RFC 7239 §6: IPv6 addresses are quoted and bracketed.
function forwardedNode(address: string): string {
  const bare = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return bare.includes(':') ? `"[${bare}]"` : bare;
}

/**
 * The request headers for the next hop, from Node's `rawHeaders` (repeated fields stay apart, values
 * byte for byte): hop-by-hop fields, fields named in `Connection`, `Host`, `Expect`, every
 * client-supplied `Forwarded`/`X-Forwarded-*`/`X-Real-IP`, HTTP/2 pseudo-fields and `remove` are
 * dropped; then our `X-Forwarded-*`/`Forwarded` (with `forwarded`) and `add` are set.
 */
export function upstreamRequestHeaders(raw: readonly string[], options: UpstreamRequestHeaderOptions): string[] {
  const out: string[] = [];
  const add = options.add;
  let connection: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'connection') (connection ??= []).push(raw[i + 1] as string);
    if (REQUEST_DROP.has(lower) || options.remove.has(lower) || lower.charCodeAt(0) === 58 /* ':' */) continue;
    let replaced = false;
    for (let j = 0; j < add.length; j += 2) if (add[j] === lower) replaced = true;
    if (!replaced) out.push(name, raw[i + 1] as string);
  }
  const named = connection === undefined ? undefined : connectionNames(connection);
  const headers = named === undefined ? out : withoutNames(out, named);
  const f = options.forwarded;
  if (f !== undefined) {
    const parts: string[] = [];
    if (f.for !== undefined) parts.push(`for=${forwardedNode(f.for)}`);
    if (f.proto !== undefined) parts.push(`proto=${f.proto}`);
    if (f.host !== undefined && /^[A-Za-z0-9.\-:[\]]+$/.test(f.host)) parts.push(`host=${f.host}`);
    if (parts.length > 0) headers.push('forwarded', parts.join(';'));
    if (f.for !== undefined) headers.push('x-forwarded-for', f.for);
    if (f.proto !== undefined) headers.push('x-forwarded-proto', f.proto);
    if (f.host !== undefined) headers.push('x-forwarded-host', f.host);
  }
  for (let j = 0; j < add.length; j++) headers.push(add[j] as string);
  return headers;
}

/**
 * The response headers for the client, from undici's (lower-case names, repeated fields as arrays):
 * hop-by-hop fields and fields named in `Connection` dropped, then `add` (flat, lower case)
 * set. A service's own headers reach the client as the service sent them; nothing is added that it
 * did not send (no default content-type).
 */
export function downstreamResponseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
  add: readonly string[],
): string[] {
  const out: string[] = [];
  const conn = upstream.connection;
  const named = conn === undefined ? undefined : connectionNames(typeof conn === 'string' ? [conn] : conn);
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || named?.has(name) === true) continue;
    let replaced = false;
    for (let j = 0; j < add.length; j += 2) if (add[j] === name) replaced = true;
    if (replaced) continue;
    const value = upstream[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  for (let j = 0; j < add.length; j++) out.push(add[j] as string);
  return out;
}
