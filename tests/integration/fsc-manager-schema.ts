// Validation of FSC Manager API requests and responses against the OpenAPI document as kept in the
// repository (docs/fsc/manager.yaml, Logius, CC-BY 4.0), with openapi-backend. Nothing of the schema is
// copied here: every rule comes from the yaml. Three things are added to make the document usable by a
// JSON Schema validator, each explained where it is done (no operationId on GET /contracts, OpenAPI
// `discriminator`, the OpenAPI formats ajv does not know).
import { OpenAPIBackend, SetMatchType, type Operation } from 'openapi-backend';
import { loadFscDocument } from './openapi-schema.ts';

/** One operation of manager.yaml. */
export interface ManagerOperation {
  /** The operationId, or `METHOD /path` for an operation the yaml gives none. */
  id: string;
  method: string;
  /** Path template under the server's `/v1`, e.g. `/contracts/{hash}/accept`. */
  path: string;
}

type HeaderMap = Record<string, string | string[] | undefined>;

/** A request as it arrived at a manager. */
export interface SeenRequest {
  method: string;
  /** Path with query, as on the wire (`/v1/peers?peer_id=…`). */
  url: string;
  headers: HeaderMap;
  body: string;
}

/** A response as a client received it. */
export interface SeenResponse {
  status: number;
  headers: HeaderMap;
  body: string;
}

export interface ManagerSchema {
  /** Every operation of manager.yaml. */
  readonly operations: readonly ManagerOperation[];
  /** The operation a method and path (with or without query, starting with /v1) belong to. */
  operationOf(method: string, url: string): ManagerOperation | undefined;
  /** Errors of a request against its operation: parameters, headers, content type, body ([] when valid). */
  requestErrors(request: SeenRequest): string[];
  /** Errors of a response against what `operation` documents for its status ([] when valid). */
  responseErrors(operation: ManagerOperation, response: SeenResponse): string[];
}

/** manager.yaml's server URL is `https://{managerUrl}:8443/v1`: every path is under /v1. */
const API_ROOT = '/v1';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/**
 * openapi-backend validates by operationId and skips an operation without one; manager.yaml's
 * GET /contracts has none. It is named `METHOD /path` here so it is validated like the others.
 */
function nameUnnamedOperations(doc: { paths?: Record<string, Record<string, { operationId?: string }>> }): void {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op !== undefined && op.operationId === undefined) op.operationId = `${method.toUpperCase()} ${path}`;
    }
  }
}

/** OpenAPI formats used by manager.yaml that ajv does not define, with their meaning. */
const EXTRA_FORMATS = {
  uint32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff },
  url: { type: 'string', validate: (s: string) => URL.canParse(s) },
} as const;

interface ErrorLike {
  instancePath?: string;
  message?: string;
  params?: unknown;
}

function messages(errors: readonly ErrorLike[] | null | undefined): string[] {
  return (errors ?? []).map((e) =>
    `${e.instancePath === undefined || e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params ?? {})}`.trim(),
  );
}

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function lowerCaseHeaders(headers: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** The media type of a Content-Type header, without parameters, lower case. */
function mediaType(headers: HeaderMap): string | undefined {
  return headerValue(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
}

interface ResponseObject {
  content?: Record<string, unknown>;
}

/** OpenAPI status matching: the exact code, then `4XX`-style ranges, then `default`. */
function documentedResponse(op: Operation, status: number): ResponseObject | undefined {
  const responses = (op.responses ?? {}) as Record<string, ResponseObject>;
  return responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
}

function parseBody(text: string, type: string | undefined): { value?: unknown; error?: string } {
  if (type === 'application/json') {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return { error: 'body is not valid JSON' };
    }
  }
  if (type === 'application/x-www-form-urlencoded') return { value: Object.fromEntries(new URLSearchParams(text)) };
  return { value: text };
}

export async function loadManagerSchema(): Promise<ManagerSchema> {
  // OpenAPI `discriminator` is made explicit for ajv: see applyDiscriminators in openapi-schema.ts.
  const doc = (await loadFscDocument('manager.yaml')) as {
    paths?: Record<string, Record<string, { operationId?: string }>>;
  };
  nameUnnamedOperations(doc);
  const api = new OpenAPIBackend({
    definition: doc as unknown as ConstructorParameters<typeof OpenAPIBackend>[0]['definition'],
    // `quick` skips openapi-backend's check of the document against the OpenAPI 3.0 meta-schema, which
    // manager.yaml fails on one point only: getToken's `client_id` puts `description` beside `$ref`
    // (OpenAPI 3.0 ignores siblings of `$ref`; the reference is used, as here). It also compiles each
    // validator on first use.
    quick: true,
    validate: true,
    // allErrors: report every problem of a body, not only the first.
    ajvOpts: { allErrors: true, formats: EXTRA_FORMATS },
  });
  await api.init();

  const ops = api.router.getOperations();
  if (ops.length === 0) throw new Error('docs/fsc/manager.yaml did not load as OpenAPI');
  const operations: ManagerOperation[] = ops.map((op) => ({
    id: op.operationId ?? '',
    method: op.method.toUpperCase(),
    path: op.path,
  }));
  const byId = new Map(ops.map((op) => [op.operationId ?? '', op]));
  const operationFor = (o: ManagerOperation): Operation => {
    const op = byId.get(o.id);
    if (op === undefined) throw new Error(`unknown operation ${o.id}`);
    return op;
  };

  function split(url: string): { path: string; query: string } | undefined {
    const q = url.indexOf('?');
    const full = q < 0 ? url : url.slice(0, q);
    if (full !== API_ROOT && !full.startsWith(`${API_ROOT}/`)) return undefined;
    return { path: full.slice(API_ROOT.length) || '/', query: q < 0 ? '' : url.slice(q + 1) };
  }

  function operationOf(method: string, url: string): ManagerOperation | undefined {
    const parts = split(url);
    if (parts === undefined) return undefined;
    const op = api.router.matchOperation({ method: method.toLowerCase(), path: parts.path, headers: {} });
    return op === undefined ? undefined : operations.find((o) => o.id === op.operationId);
  }

  return {
    operations,
    operationOf,

    requestErrors(request) {
      const parts = split(request.url);
      const operation = operationOf(request.method, request.url);
      if (parts === undefined || operation === undefined)
        return [`${request.method} ${request.url}: no operation in manager.yaml`];
      const op = operationFor(operation);
      const errors: string[] = [];
      let body: unknown;
      const requestBody = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined;
      if (requestBody?.content !== undefined) {
        const type = mediaType(request.headers);
        const allowed = Object.keys(requestBody.content);
        if (type === undefined || !allowed.includes(type)) {
          errors.push(`content-type ${type ?? '(none)'} is not one of ${allowed.join(', ')}`);
        }
        const parsed = parseBody(request.body, type);
        if (parsed.error !== undefined) errors.push(parsed.error);
        body = parsed.value;
      } else if (request.body !== '') {
        errors.push('the operation has no request body, but one was sent');
      }
      const result = api.validateRequest(
        {
          method: request.method.toLowerCase(),
          path: `${parts.path}${parts.query === '' ? '' : `?${parts.query}`}`,
          query: parts.query,
          headers: lowerCaseHeaders(request.headers),
          ...(body === undefined ? {} : { body }),
        },
        op,
      );
      if (!result.valid) errors.push(...messages(result.errors));
      return errors.map((e) => `${operation.id} request: ${e}`);
    },

    responseErrors(operation, response) {
      const op = operationFor(operation);
      const documented = documentedResponse(op, response.status);
      const where = `${operation.id} ${response.status}`;
      if (documented === undefined) {
        return [
          `${where}: status ${response.status} is not documented for ${operation.method} ${operation.path} (documented: ${Object.keys(op.responses ?? {}).join(', ')})`,
        ];
      }
      const errors: string[] = [];
      if (documented.content === undefined) {
        // No `content`: the response has no body.
        if (response.body !== '')
          errors.push(
            `the response has no content in manager.yaml, but a body was sent: ${response.body.slice(0, 200)}`,
          );
      } else {
        const type = mediaType(response.headers);
        const allowed = Object.keys(documented.content);
        if (type === undefined || !allowed.includes(type))
          errors.push(`content-type ${type ?? '(none)'} is not one of ${allowed.join(', ')}`);
        const parsed = parseBody(response.body, type);
        if (parsed.error !== undefined) errors.push(parsed.error);
        else errors.push(...messages(api.validateResponse(parsed.value, op, response.status).errors));
      }
      // `superset`: every header the response documents is required (Fsc-Error-Code), others may be added.
      const headers = api.validateResponseHeaders(lowerCaseHeaders(response.headers), op, {
        statusCode: response.status,
        setMatchType: SetMatchType.Superset,
      });
      errors.push(...messages(headers.errors));
      return errors.map((e) => `${where}: ${e}`);
    },
  };
}
