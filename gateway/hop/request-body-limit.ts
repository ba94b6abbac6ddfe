/**
 * The size limit of a request body that arrives without a declared length (`Transfer-Encoding:
 * chunked`). A declared `Content-Length` over the limit is refused by the listener before any token
 * work (runtime/server.ts); a chunked body can only be counted as it streams to the next hop. Once it
 * passes the limit the forward fails with 413 `ERROR_CODE_PAYLOAD_TOO_LARGE`: the next hop's request
 * is aborted (it never sees a complete body), the client gets the 413 with `Connection: close` when no
 * answer has started yet (else its connection is cut), and the completion record says so.
 */
import { Readable, Transform } from 'node:stream';
import { FscError, type ErrorDomain } from '../protocol/index.ts';
import type { ForwardTarget } from './forward.ts';
import type { HopCall } from './call.ts';

/** `target` with its body counted against `maxBytes` when the client sent it without a declared length. */
export function limitStreamedBody(
  call: HopCall,
  target: ForwardTarget,
  maxBytes: number,
  domain: ErrorDomain,
): ForwardTarget {
  const body = target.body;
  if (!(body instanceof Readable) || call.req.headers['content-length'] !== undefined) return target;
  let seen = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) {
        done(
          new FscError('ERROR_CODE_PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, {
            domain,
            reason: 'body-streamed',
          }),
        );
        return;
      }
      done(null, chunk);
    },
  });
  // pipe() forwards data and end, not errors: a client reset must fail the forward as before.
  body.once('error', (err) => limited.destroy(err));
  body.pipe(limited);
  return { ...target, body: limited };
}
