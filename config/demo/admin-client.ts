// A small client of one peer's admin API (plain HTTP on loopback, bearer token from the token
// file): what an operator's `curl` or the `koppel` commands do, used by the demo to negotiate its
// contracts through the real API instead of calling the manager's functions.
import { readFile } from 'node:fs/promises';
import { request } from 'undici';

/** The contract shape the admin API answers with (gateway/manager admin-contract-view.ts). */
export interface AdminContractWire {
  hash: string;
  state: 'proposed' | 'valid' | 'rejected' | 'revoked' | 'expired';
  createdAt: number;
  validity: { notBefore: number; notAfter: number };
  grants: {
    type: string;
    hash: string;
    service: { peerId: string; name: string };
    outway?: { peerId: string; publicKeyThumbprint: string };
    directory?: { peerId: string };
  }[];
  missingSigners: string[];
  pendingForMe: boolean;
}

/** A non-2xx answer of the admin API, with its FSC error code. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  readonly status: number;
  readonly code: string | undefined;

  constructor(what: string, status: number, code: string | undefined, message: string | undefined) {
    super(
      `${what}: HTTP ${status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : ` (${message})`}`,
    );
    this.status = status;
    this.code = code;
  }
}

export interface AdminClient {
  publishService(input: {
    name: string;
    endpointUrl: string;
  }): Promise<{ created: boolean; contract: AdminContractWire }>;
  requestConnection(input: { peerId: string; service: string }): Promise<AdminContractWire>;
  listContracts(query: Record<string, string>): Promise<AdminContractWire[]>;
  /** Undefined when this peer does not have the contract (yet). */
  getContract(hash: string): Promise<AdminContractWire | undefined>;
  accept(hash: string): Promise<AdminContractWire>;
}

export function createAdminClient(baseUrl: string, tokenPath: string, timeoutMs = 10_000): AdminClient {
  let token: Promise<string> | undefined;

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    token ??= readFile(tokenPath, 'utf8').then((t) => t.trim());
    const res = await request(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json };
  }

  function fail(what: string, res: { status: number; json: unknown }): never {
    const err = res.json as { code?: string; message?: string } | undefined;
    throw new AdminApiError(what, res.status, err?.code, err?.message);
  }

  return {
    async publishService(input) {
      const res = await call('POST', '/admin/services', input);
      if (res.status !== 200 && res.status !== 201) fail('publishing the service', res);
      return res.json as { created: boolean; contract: AdminContractWire };
    },
    async requestConnection(input) {
      const res = await call('POST', '/admin/connections', input);
      if (res.status !== 201) fail('requesting the connection', res);
      return (res.json as { contract: AdminContractWire }).contract;
    },
    async listContracts(query) {
      const res = await call('GET', `/admin/contracts?${new URLSearchParams(query).toString()}`);
      if (res.status !== 200) fail('listing contracts', res);
      return (res.json as { contracts: AdminContractWire[] }).contracts;
    },
    async getContract(hash) {
      const res = await call('GET', `/admin/contracts/${encodeURIComponent(hash)}`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) fail('reading a contract', res);
      return (res.json as { contract: AdminContractWire }).contract;
    },
    async accept(hash) {
      const res = await call('POST', `/admin/contracts/${encodeURIComponent(hash)}/accept`);
      if (res.status !== 200) fail('accepting the contract', res);
      return (res.json as { contract: AdminContractWire }).contract;
    },
  };
}
