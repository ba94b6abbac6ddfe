// The hono environment of the Manager API and the per-request helpers its routes share: who is
// calling (from the verified client certificate), and the request body read under a size limit.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Context, MiddlewareHandler } from 'hono';
import { FscError, FSC_MANAGER_ADDRESS, peerFromCertificate } from '../protocol/index.ts';
import { peerCertificate, readJsonBody as readJson } from '../runtime/index.ts';
import { parseManagerAddress } from './peers/manager-address.ts';
import type { CallerIdentity } from './types.ts';

export interface ManagerEnv {
  Variables: {
    caller: CallerIdentity;
  };
}

export type ManagerContext = Context<ManagerEnv>;

interface DetailedPeerCertificate {
  raw?: Buffer;
  issuerCertificate?: DetailedPeerCertificate;
}

/** The intermediates the client sent after its leaf (Node links them through `issuerCertificate`). */
function clientChain(c: Context, leaf: X509Certificate): X509Certificate[] {
  const chain = [leaf];
  const socket = (c.env as { incoming?: { socket?: TLSSocket } } | undefined)?.incoming?.socket;
  if (socket === undefined || typeof socket.getPeerCertificate !== 'function') return chain;
  let current = (socket.getPeerCertificate(true) as DetailedPeerCertificate).issuerCertificate;
  const seen = new Set<string>([leaf.raw.toString('base64')]);
  while (current?.raw !== undefined) {
    const key = current.raw.toString('base64');
    if (seen.has(key)) break; // a self-signed root points at itself
    seen.add(key);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * Sets `c.var.caller` from the verified client certificate. The TLS server only completes handshakes
 * with certificates that chain to the trust anchor (fsc-core "Authentication"), so no certificate
 * here means the app is served without mTLS: refused. A certificate without a usable peer id or name
 * is ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED (400, fsc-core manager "Codes").
 */
export function callerIdentity(): MiddlewareHandler<ManagerEnv> {
  return async function callerIdentityMiddleware(c, next) {
    const leaf = peerCertificate(c);
    if (leaf === undefined) {
      throw new FscError('ERROR_CODE_UNAUTHORIZED', 'a client certificate of the group is required', { reason: 'no-client-certificate' });
    }
    const { peerId, name } = peerFromCertificate(leaf);
    c.set('caller', { peerId, name, chain: clientChain(c, leaf) });
    await next();
  };
}

/** The caller's `Fsc-Manager-Address` (required on POST and PUT between managers). */
export function managerAddressOf(c: Context): string {
  return parseManagerAddress(c.req.header(FSC_MANAGER_ADDRESS));
}

function tooLarge(maxBytes: number): FscError {
  return new FscError('ERROR_CODE_PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes`, {
    domain: 'ERROR_DOMAIN_MANAGER',
    reason: 'body-too-large',
  });
}

/** The request body as text, refusing more than `maxBytes` (413) without reading it all. */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const stream = c.req.raw.body;
  if (stream === null) return '';
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The request body parsed as JSON (400 for anything that is not JSON, 413 over the limit). */
export function readJsonBody(c: Context, maxBodyBytes: number): Promise<unknown> {
  return readJson(c, { domain: 'ERROR_DOMAIN_MANAGER', maxBodyBytes });
}
