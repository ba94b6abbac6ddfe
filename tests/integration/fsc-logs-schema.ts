// Validation of GET /v1/logs requests and responses against the FSC Logging OpenAPI document as kept in
// the repository (docs/fsc/logging.yaml, Logius, CC-BY 4.0), with openapi-backend.
import { readFile } from 'node:fs/promises';
import { OpenAPIBackend } from 'openapi-backend';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * OpenAPI 3.0 `discriminator` picks the oneOf branch by the value of the tag property. Plain JSON
 * Schema (ajv) ignores it and requires exactly one branch to match; logging.yaml's `source` and
 * `sourceDelegated` both match a delegated source (additional properties are allowed), so plain
 * oneOf would refuse every valid delegated record. This adds to each branch the condition the
 * discriminator mapping implies ("the tag has the value mapped to this schema"), which makes the
 * branches exclusive in the way the document means. Nothing else of the document changes.
 */
function applyDiscriminators(node: Json): Json {
  if (Array.isArray(node)) return node.map(applyDiscriminators);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) out[k] = applyDiscriminators(v);
  const disc = out.discriminator as { propertyName?: string; mapping?: Record<string, string> } | undefined;
  if (disc?.propertyName !== undefined && disc.mapping !== undefined && Array.isArray(out.oneOf)) {
    const tag = disc.propertyName;
    const mapping = Object.entries(disc.mapping);
    out.oneOf = out.oneOf.map((branch) => {
      const ref = (branch as { $ref?: string } | null)?.$ref;
      const keys = mapping.filter(([, target]) => target === ref).map(([key]) => key);
      return keys.length === 0 ? branch : { allOf: [branch, { type: 'object', required: [tag], properties: { [tag]: { type: 'string', enum: keys } } }] };
    });
    delete out.discriminator;
  }
  return out;
}

export interface LogsSchema {
  /** Errors of a GET /logs 200 response body against the schema ([] when valid). */
  responseErrors(body: unknown): string[];
  /** Errors of a GET /logs query against the schema's parameters ([] when valid). */
  requestErrors(query: Record<string, string>): string[];
}

export async function loadLogsSchema(): Promise<LogsSchema> {
  const text = await readFile(new URL('../../docs/fsc/logging.yaml', import.meta.url), 'utf8');
  const definition = applyDiscriminators(parse(text) as Json) as unknown as ConstructorParameters<typeof OpenAPIBackend>[0]['definition'];
  // logging.yaml uses the OpenAPI format uint32, which ajv does not know; its bounds are in the schema anyway.
  const api = new OpenAPIBackend({ definition, quick: false, validate: true, strict: false, ajvOpts: { formats: { uint32: true } } });
  await api.init();
  if (api.getOperation('getLogs') === undefined) throw new Error('docs/fsc/logging.yaml did not load as OpenAPI');
  const messages = (errors: readonly { instancePath?: string; message?: string }[] | null | undefined): string[] =>
    (errors ?? []).map((e) => `${e.instancePath ?? ''} ${e.message ?? ''}`.trim());
  return {
    responseErrors(body) {
      const result = api.validateResponse(body, 'getLogs', 200);
      return result.valid ? [] : messages(result.errors);
    },
    requestErrors(query) {
      const qs = new URLSearchParams(query).toString();
      const result = api.validateRequest({ method: 'get', path: `/logs${qs === '' ? '' : `?${qs}`}`, query, headers: {} }, 'getLogs');
      return result.valid ? [] : messages(result.errors);
    },
  };
}
