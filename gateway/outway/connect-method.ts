// fsc-core Outway "Codes": ERROR_CODE_METHOD_UNSUPPORTED (405) — "The CONNECT method is not
// supported". Node's HTTP server hands CONNECT to a separate 'connect' event (it is a tunnel request,
// not a normal request) and simply drops the connection when nobody listens; this listener answers
// with the FSC error instead, then closes the connection (there is no tunnel to keep it open for).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { FSC_ERROR_CODE, FscError, errorBody } from '../protocol/index.ts';
import type { Logger } from '../runtime/index.ts';

/** The raw HTTP/1.1 405 response for a CONNECT request. */
export function connectRefusal(): string {
  const err = new FscError('ERROR_CODE_METHOD_UNSUPPORTED', 'the outway does not support the CONNECT method', {
    domain: 'ERROR_DOMAIN_OUTWAY',
  });
  const body = JSON.stringify(errorBody(err));
  return [
    'HTTP/1.1 405 Method Not Allowed',
    'content-type: application/json',
    `${FSC_ERROR_CODE}: ${err.code}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

/** A Node `'connect'` listener that refuses every CONNECT with 405. */
export function refuseConnect(logger: Logger): (req: IncomingMessage, socket: Duplex) => void {
  const response = connectRefusal();
  return function refuseConnectMethod(_req, socket) {
    logger.info({ method: 'CONNECT', status: 405, code: 'ERROR_CODE_METHOD_UNSUPPORTED' }, 'request rejected');
    socket.on('error', () => socket.destroy());
    if (socket.writable) socket.end(response);
    else socket.destroy();
  };
}
