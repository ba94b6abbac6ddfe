// Calls to other peers' managers (FSC Manager API over mTLS). Every POST and PUT carries our
// `Fsc-Manager-Address` (fsc-core "FSC manager address"). The dispatcher is an undici Agent that
// presents our peer certificate and trusts only the group trust anchor; it is owned by the caller.
import { request, type Dispatcher } from 'undici';
import { FSC_ERROR_CODE, FSC_MANAGER_ADDRESS } from '../../protocol/index.ts';
import type { ContractContent, SignatureType } from '../../protocol/index.ts';

/** The answer of another manager, already read. */
export interface PeerResponse {
  status: number;
  /** `Fsc-Error-Code` of an error response, when present. */
  errorCode?: string;
  /** Parsed JSON body, or undefined for an empty or non-JSON body. */
  body: unknown;
}

export interface ContractMessage {
  contract_content: ContractContent;
  signature: string;
}

export interface PeerClientOptions {
  dispatcher: Dispatcher;
  /** Our own manager address, sent as Fsc-Manager-Address. */
  ownAddress: string;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Largest response body read from a peer. */
  maxResponseBytes?: number;
}

export interface PeerClient {
  announce(address: string): Promise<PeerResponse>;
  submitContract(address: string, message: ContractMessage): Promise<PeerResponse>;
  putSignature(address: string, contentHash: string, type: SignatureType, message: ContractMessage): Promise<PeerResponse>;
  getPeers(address: string, peerIds: readonly string[]): Promise<PeerResponse>;
  getPeerInfo(address: string): Promise<PeerResponse>;
  getJwks(address: string): Promise<PeerResponse>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A response larger than we are willing to read; the peer is misbehaving. */
export class PeerResponseTooLargeError extends Error {
  override readonly name = 'PeerResponseTooLargeError';
}

async function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new PeerResponseTooLargeError('response body too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createPeerClient(options: PeerClientOptions): PeerClient {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  async function call(method: 'GET' | 'POST' | 'PUT', address: string, path: string, body?: unknown): Promise<PeerResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') headers[FSC_MANAGER_ADDRESS] = options.ownAddress;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await request(new URL(path, `${address}/`), {
      method,
      headers,
      body: payload ?? null,
      dispatcher: options.dispatcher,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
    });
    const text = await readBody(res.body, maxBytes);
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = undefined;
      }
    }
    const code = res.headers[FSC_ERROR_CODE];
    const result: PeerResponse = { status: res.statusCode, body: parsed };
    if (typeof code === 'string') result.errorCode = code;
    return result;
  }

  return {
    announce: (address) => call('PUT', address, 'v1/announce'),
    submitContract: (address, message) => call('POST', address, 'v1/contracts', message),
    putSignature: (address, contentHash, type, message) =>
      call('PUT', address, `v1/contracts/${encodeURIComponent(contentHash)}/${type}`, message),
    getPeers: (address, peerIds) =>
      call('GET', address, `v1/peers?peer_id=${peerIds.map(encodeURIComponent).join(',')}&limit=${Math.min(1000, Math.max(1, peerIds.length))}`),
    getPeerInfo: (address) => call('GET', address, 'v1/peer'),
    getJwks: (address) => call('GET', address, 'v1/.well-known/jwks.json'),
  };
}
