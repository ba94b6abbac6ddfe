// Who may use the admin API: processes on this machine (the listener binds to loopback, and every
// request's peer address is checked again) that present the bearer token from the token file
// (config `admin.tokenPath`). The token is compared in constant time; a missing or wrong token is a
// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3) and an FSC error body.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { FscError } from '../protocol/index.ts';

/** Shortest token accepted from a file: shorter ones are guessable. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The admin token in `path`; when the file does not exist, a new random token is written there
 * (mode 0600), so a fresh installation is protected without a setup step. The error messages name
 * the file, never its content.
 */
export async function ensureAdminToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (codeOf(err) !== 'ENOENT')
      throw new Error(`cannot read the admin token file ${path} (${codeOf(err) ?? 'error'})`);
    const token = randomBytes(32).toString('base64url');
    await mkdir(dirname(path), { recursive: true });
    try {
      // `wx`: never overwrite a token another process wrote in the meantime.
      await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(path, 0o600);
      return token;
    } catch (writeErr) {
      if (codeOf(writeErr) === 'EEXIST') return ensureAdminToken(path);
      throw new Error(`cannot create the admin token file ${path} (${codeOf(writeErr) ?? 'error'})`);
    }
  }
  const token = text.trim();
  if (token.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new Error(
      `the admin token file ${path} must hold one token of at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
    );
  }
  return token;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time comparison: hashing first makes the lengths equal, so not even the length leaks. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1), the scheme case-insensitive. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return m?.[1];
}

export function bearerAuth(token: () => Promise<string>): MiddlewareHandler {
  return async function adminBearerAuth(c, next) {
    const given = bearerToken(c.req.header('authorization'));
    if (given === undefined) {
      throw new FscError('ERROR_CODE_UNAUTHORIZED', 'the admin API needs an Authorization: Bearer token', {
        reason: 'token-missing',
      });
    }
    if (!tokensEqual(given, await token())) {
      throw new FscError('ERROR_CODE_UNAUTHORIZED', 'the admin token is not valid', { reason: 'token-invalid' });
    }
    await next();
  };
}

/** True for a peer address of this machine (IPv4 127/8, IPv6 ::1, or 127/8 mapped into IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice('::ffff:'.length) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Refuses requests from other machines. The listener binds to loopback already; this is the second
 * lock, for a process that was started with a wider bind by mistake or behind a forwarding proxy.
 * Requests that do not come through a socket (`app.request()` in tests) pass.
 */
export function loopbackOnly(): MiddlewareHandler {
  return async function adminLoopbackOnly(c, next) {
    const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
    if (socket !== undefined && !isLoopbackAddress(socket.remoteAddress)) {
      throw new FscError('ERROR_CODE_FORBIDDEN', 'the admin API only answers this machine', { reason: 'not-loopback' });
    }
    await next();
  };
}

/**
 * A page a browser opens without a token (the catalogue) must not be readable by a web site that
 * rebinds its own DNS name to 127.0.0.1: the Host header has to be a loopback name.
 */
function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function loopbackHostOnly(): MiddlewareHandler {
  return async function adminLoopbackHost(c, next) {
    // The Node adapter builds the URL from the Host header (or an absolute request target);
    // `app.request()` from its argument, without a Host header. Both must name this machine.
    const header = c.req.header('host');
    const names = [new URL(c.req.url).hostname, ...(header === undefined ? [] : [header.replace(/:\d+$/, '')])];
    if (!names.every(isLoopbackName)) {
      throw new FscError('ERROR_CODE_FORBIDDEN', 'open this page through localhost or 127.0.0.1', {
        reason: 'host-not-loopback',
      });
    }
    await next();
  };
}
