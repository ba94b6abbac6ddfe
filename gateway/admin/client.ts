// The one client of a peer's admin API (plain HTTP on loopback, bearer token): what an operator's
// `curl` does. The `koppel` operator commands and the demo federation (which negotiates its contracts
// through the real API instead of calling the manager's functions) both use it.
import { request } from 'undici';
import type { AdminContract } from './contract-view.ts';
import type { GroupServiceHealth } from './group-services.ts';

/** `GET /admin/services`: this peer's own services and the group's, with health. */
export interface AdminServicesAnswer {
  peer: { id: string; name: string };
  own: {
    name: string;
    endpointUrl: string;
    inwayAddress: string;
    protocol: string;
    publication: { state: string; contractHash: string; missingSigners: string[] } | null;
    health?: GroupServiceHealth;
  }[];
  group: {
    type: string;
    peer: { id: string; name: string };
    name: string;
    protocol: string;
    delegator?: { id: string; name: string };
    inwayAddress?: string;
    health: GroupServiceHealth;
  }[];
  directory: { reachable: boolean; error?: string; code?: string } | null;
}

/** `POST /admin/services`: the service as published and its publication contract. */
export interface AdminPublishAnswer {
  created: boolean;
  service: { name: string; endpointUrl: string; inwayAddress: string; protocol: string };
  contract: AdminContract;
}

/** Why a call did not give a 2xx answer. */
export type AdminFailure = 'token-file' | 'unreachable' | 'answer';

/** A call of the admin API that failed: no token, no answer, or a non-2xx answer (with its FSC code). */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';

  constructor(
    message: string,
    readonly failure: AdminFailure,
    /** The HTTP status of a non-2xx answer. */
    readonly status?: number,
    /** The answer's FSC error code. */
    readonly code?: string,
    /** The answer's own message. */
    readonly answerMessage?: string,
  ) {
    super(message);
  }
}

export interface AdminClientOptions {
  /** e.g. http://127.0.0.1:8081, without a trailing slash. */
  baseUrl: string;
  /** Reads the bearer token (called once, on the first call). */
  readToken: () => Promise<string>;
  timeoutMs?: number;
}

export interface AdminClient {
  /** One call; resolves with the JSON of a 2xx answer, rejects with an AdminApiError. */
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  publishService(input: { name: string; endpointUrl: string }): Promise<AdminPublishAnswer>;
  requestConnection(input: { peerId: string; service: string }): Promise<AdminContract>;
  listContracts(query: Record<string, string>): Promise<AdminContract[]>;
  /** Undefined when this peer does not have the contract (yet). */
  getContract(hash: string): Promise<AdminContract | undefined>;
  accept(hash: string): Promise<AdminContract>;
}

function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const { baseUrl } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let token: Promise<string> | undefined;

  async function readToken(): Promise<string> {
    try {
      return (await options.readToken()).trim();
    } catch (err) {
      throw new AdminApiError(`cannot read the admin token (${codeOf(err) ?? 'error'})`, 'token-file');
    }
  }

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    token ??= readToken();
    const headers: Record<string, string> = { authorization: `Bearer ${await token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await request(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw new AdminApiError(`cannot reach the admin API at ${baseUrl} (${codeOf(err) ?? 'error'})`, 'unreachable');
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return json as T;
    const error = (json ?? {}) as { message?: unknown; code?: unknown };
    const code = typeof error.code === 'string' ? error.code : undefined;
    const answerMessage = typeof error.message === 'string' ? error.message : undefined;
    throw new AdminApiError(
      `${method} ${path}: HTTP ${res.statusCode}${code === undefined ? '' : ` ${code}`}${answerMessage === undefined ? '' : ` (${answerMessage})`}`,
      'answer',
      res.statusCode,
      code,
      answerMessage,
    );
  }

  return {
    call,
    publishService: (input) => call<AdminPublishAnswer>('POST', '/admin/services', input),
    async requestConnection(input) {
      return (await call<{ contract: AdminContract }>('POST', '/admin/connections', input)).contract;
    },
    async listContracts(query) {
      const q = new URLSearchParams(query).toString();
      return (await call<{ contracts: AdminContract[] }>('GET', `/admin/contracts${q === '' ? '' : `?${q}`}`)).contracts;
    },
    async getContract(hash) {
      try {
        return (await call<{ contract: AdminContract }>('GET', `/admin/contracts/${encodeURIComponent(hash)}`)).contract;
      } catch (err) {
        if (err instanceof AdminApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    async accept(hash) {
      return (await call<{ contract: AdminContract }>('POST', `/admin/contracts/${encodeURIComponent(hash)}/accept`))
        .contract;
    },
  };
}
