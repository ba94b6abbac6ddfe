/**
 * Request bodies: a size limit that never buffers (so it also fits the streaming data path) and a
 * JSON reader that answers malformed input with a clear 400 instead of a 500.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { FscError, type ErrorDomain } from '../protocol/index.ts';

/** 1 MiB: far above any FSC Manager API body (contracts, signatures, token requests). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Options of {@link bodyLimit}. */
export interface BodyLimitOptions {
  /** Largest accepted body in bytes; default {@link DEFAULT_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Domain of the 413 error (the component's). */
  domain: ErrorDomain;
}

function tooLarge(maxBodyBytes: number, domain: ErrorDomain): FscError {
  return new FscError('ERROR_CODE_PAYLOAD_TOO_LARGE', `request body exceeds ${maxBodyBytes} bytes`, { domain });
}

function checkMax(maxBodyBytes: number): void {
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new RangeError('maxBodyBytes must be a non-negative integer');
}

function limitStream(body: ReadableStream<Uint8Array>, maxBodyBytes: number, domain: ErrorDomain): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBodyBytes) controller.error(tooLarge(maxBodyBytes, domain));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Reject bodies over `maxBodyBytes` with 413 `ERROR_CODE_PAYLOAD_TOO_LARGE`: at once when
 * `Content-Length` says so, otherwise (chunked) when the reader of the body crosses the limit —
 * the body is counted as it streams, never buffered here.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  checkMax(maxBodyBytes);
  const { domain } = options;
  return async function bodyLimit(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      // Node's parser already refused a malformed Content-Length.
      if (Number(length) > maxBodyBytes) throw tooLarge(maxBodyBytes, domain);
    } else if (c.req.raw.body !== null) {
      const limited = limitStream(c.req.raw.body, maxBodyBytes, domain);
      c.req.raw = new Request(c.req.raw, { body: limited, duplex: 'half' });
    }
    await next();
  };
}

/** Options of {@link readJsonBody}. */
export interface ReadJsonOptions<T> {
  /** Domain of the 400/413 errors (the component's). */
  domain: ErrorDomain;
  /** Validate the parsed value; a mismatch is a 400 naming the offending fields. */
  schema?: z.ZodType<T>;
  /** Largest body read; default {@link DEFAULT_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
}

async function readText(c: Context, maxBodyBytes: number, domain: ErrorDomain): Promise<string> {
  const length = c.req.header('content-length');
  if (length !== undefined && Number(length) > maxBodyBytes) throw tooLarge(maxBodyBytes, domain);
  const body = c.req.raw.body;
  if (body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = limitStream(body, maxBodyBytes, domain).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 5).map((i) => `${i.path.length === 0 ? '(root)' : i.path.join('.')}: ${i.message}`);
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return `request body is invalid: ${issues.join('; ')}${more}`;
}

/**
 * Read the request body as JSON. An empty body, a non-JSON media type, or malformed JSON is a 400
 * `ERROR_CODE_BAD_REQUEST` with a message that says which (never echoing the input); with a
 * `schema`, a mismatch is a 400 listing the offending fields; a body over the limit is a 413.
 */
export async function readJsonBody<T = unknown>(c: Context, options: ReadJsonOptions<T>): Promise<T> {
  const { domain } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const contentType = c.req.header('content-type');
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'request body must be application/json', { domain });
  }
  const text = await readText(c, maxBodyBytes, domain);
  if (text.trim() === '') throw new FscError('ERROR_CODE_BAD_REQUEST', 'request body is empty, expected JSON', { domain });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'request body is not valid JSON', { domain, cause: err });
  }
  if (options.schema === undefined) return value as T;
  const result = options.schema.safeParse(value);
  if (!result.success) throw new FscError('ERROR_CODE_BAD_REQUEST', describeIssues(result.error), { domain, reason: 'schema' });
  return result.data;
}
