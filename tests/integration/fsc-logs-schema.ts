// Validation of GET /v1/logs requests and responses against the FSC Logging OpenAPI document as kept in
// the repository (docs/fsc/logging.yaml, Logius, CC-BY 4.0), with openapi-backend.
import { OpenAPIBackend } from 'openapi-backend';
import { loadFscDocument } from './openapi-schema.ts';

export interface LogsSchema {
  /** Errors of a GET /logs 200 response body against the schema ([] when valid). */
  responseErrors(body: unknown): string[];
  /** Errors of a GET /logs query against the schema's parameters ([] when valid). */
  requestErrors(query: Record<string, string>): string[];
}

export async function loadLogsSchema(): Promise<LogsSchema> {
  // OpenAPI `discriminator` is made explicit for ajv: see applyDiscriminators in openapi-schema.ts.
  const definition = (await loadFscDocument('logging.yaml')) as unknown as ConstructorParameters<
    typeof OpenAPIBackend
  >[0]['definition'];
  // logging.yaml uses the OpenAPI format uint32, which ajv does not know; its bounds are in the schema anyway.
  const api = new OpenAPIBackend({
    definition,
    quick: false,
    validate: true,
    strict: false,
    ajvOpts: { formats: { uint32: true } },
  });
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
      const result = api.validateRequest(
        { method: 'get', path: `/logs${qs === '' ? '' : `?${qs}`}`, query, headers: {} },
        'getLogs',
      );
      return result.valid ? [] : messages(result.errors);
    },
  };
}
