// How the operator commands (`koppel services|publish|connect|contracts`) reach the admin API of
// their peer: the address and token file from `--admin URL --token-file FILE`, or both derived from
// the peer's configuration (`--config FILE`: `admin.listen` and `admin.tokenPath`). Plain HTTP on
// loopback through undici; answers are JSON. The token never appears in any output.
import { resolve } from 'node:path';
import { AdminApiError, createAdminClient as createSharedAdminClient } from '../gateway/admin/index.ts';
import { UsageError, type CliOption } from './command.ts';
import { ExitCode, type CliIo } from './io.ts';

/** The options every admin command takes. */
export const adminOptions = {
  admin: { type: 'string', valueName: 'URL', description: 'admin API address, e.g. http://127.0.0.1:8081' },
  'token-file': { type: 'string', valueName: 'FILE', description: 'file holding the admin token' },
  config: {
    type: 'string',
    valueName: 'FILE',
    description: "the peer's configuration (admin address and token file from it)",
  },
  json: { type: 'boolean', description: 'print the answer as JSON instead of a table' },
} as const satisfies Record<string, CliOption>;

export interface AdminTargetInput {
  admin?: string;
  'token-file'?: string;
  config?: string;
}

export interface AdminTarget {
  baseUrl: string;
  tokenFile: string;
}

/** An answer of the admin API that is not 2xx, or no answer at all. */
export class AdminCallError extends Error {
  override readonly name = 'AdminCallError';
  constructor(
    message: string,
    readonly exitCode: number,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Where the admin API is, from the flags (they win) and/or the configuration file. */
export async function resolveAdminTarget(values: AdminTargetInput, io: CliIo): Promise<AdminTarget> {
  let baseUrl = values.admin;
  let tokenFile = values['token-file'] === undefined ? undefined : resolve(io.cwd, values['token-file']);
  if ((baseUrl === undefined || tokenFile === undefined) && values.config !== undefined) {
    // Loaded only when needed: the configuration schema is most of a command's start-up time.
    const { formatIssue, isConfigError, loadConfig } = await import('../config/index.ts');
    let config;
    try {
      config = await loadConfig({ path: resolve(io.cwd, values.config), env: io.env });
    } catch (err) {
      if (!isConfigError(err)) throw err;
      throw new UsageError(`${values.config} is not a valid configuration: ${err.issues.map(formatIssue).join('; ')}`);
    }
    baseUrl ??= `http://${hostForUrl(config.admin.listen.host)}:${config.admin.listen.port}`;
    tokenFile ??= resolve(io.cwd, config.admin.tokenPath);
  }
  if (baseUrl === undefined || tokenFile === undefined) {
    throw new UsageError('say where the admin API is: --config FILE, or --admin URL and --token-file FILE');
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--admin ${baseUrl} is not a URL (e.g. http://127.0.0.1:8081)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--admin must be an http:// URL');
  return { baseUrl: baseUrl.replace(/\/+$/, ''), tokenFile };
}

/** The admin client of gateway/admin, its failures turned into messages and exit codes for the operator. */
export interface CliAdminClient {
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

/** Exit code for an HTTP error: the request was wrong (2) or the work could not be done (1). */
function exitFor(status: number): number {
  return status === 400 || status === 422 ? ExitCode.usage : ExitCode.failure;
}

function asCallError(err: unknown, target: AdminTarget): unknown {
  if (!(err instanceof AdminApiError)) return err;
  switch (err.failure) {
    case 'token-file':
      return new AdminCallError(`${err.message.replace('the admin token', `the admin token file ${target.tokenFile}`)}`, ExitCode.failure);
    case 'unreachable':
      return new AdminCallError(`${err.message}; is the manager running?`, ExitCode.failure);
    case 'answer': {
      const status = err.status ?? 500;
      const message =
        status === 401
          ? `the admin API refused the token from ${target.tokenFile}`
          : (err.answerMessage ?? `the admin API answered HTTP ${status}`);
      return new AdminCallError(message, exitFor(status), status, err.code);
    }
  }
}

export function createAdminClient(target: AdminTarget, io: CliIo, timeoutMs = 30_000): CliAdminClient {
  const client = createSharedAdminClient({ baseUrl: target.baseUrl, readToken: () => io.readFile(target.tokenFile), timeoutMs });
  return {
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      try {
        return await client.call<T>(method, path, body);
      } catch (err) {
        throw asCallError(err, target);
      }
    },
  };
}

/** Prints an AdminCallError (code in brackets) and returns its exit code; anything else is rethrown. */
export function reportAdminError(err: unknown, io: CliIo, command: string): number {
  if (!(err instanceof AdminCallError)) throw err;
  io.stderr.write(`koppel ${command}: ${err.message}${err.code === undefined ? '' : ` [${err.code}]`}\n`);
  return err.exitCode;
}
