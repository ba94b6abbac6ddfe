// A request body the outway may have to send twice: when the inway refuses an access token as expired
// or invalid, the outway fetches a new token and sends the request once more. That needs the body
// again, so small bodies with a declared length are read into memory first; any other body streams
// through untouched and is sent exactly once.
import type { IncomingMessage } from 'node:http';
import { FscError } from '../protocol/index.ts';

/** `none`: no body; `buffered`: the whole body in memory (replayable); `stream`: forwarded as it arrives. */
export type OutgoingBody = { kind: 'none' } | { kind: 'buffered'; bytes: Buffer } | { kind: 'stream'; source: IncomingMessage };

/**
 * Decide how to send the body of `incoming`: no `Transfer-Encoding` and no (or a zero)
 * `Content-Length` is no body (RFC 9112 §6.3); a `Content-Length` of at most `maxReplayBodyBytes` is
 * read now; anything else (chunked, or larger) streams.
 */
export async function prepareBody(incoming: IncomingMessage, maxReplayBodyBytes: number): Promise<OutgoingBody> {
  const chunked = incoming.headers['transfer-encoding'] !== undefined;
  const lengthHeader = incoming.headers['content-length'];
  if (!chunked && (lengthHeader === undefined || lengthHeader === '0')) return { kind: 'none' };
  const length = lengthHeader === undefined ? Number.NaN : Number(lengthHeader);
  if (chunked || !(length <= maxReplayBodyBytes)) return { kind: 'stream', source: incoming };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'the request body could not be read', { domain: 'ERROR_DOMAIN_OUTWAY', cause: err });
  }
  return { kind: 'buffered', bytes: Buffer.concat(chunks, size) };
}

/** True when the body can be sent again. */
export function isReplayable(body: OutgoingBody): boolean {
  return body.kind !== 'stream';
}
