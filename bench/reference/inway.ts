// Naive Node reference "inway": mTLS in (client certificate of the group CA required), plain HTTP out,
// adding X-Client-Subject (with the OIN) for the backend. undici Pool.
// Env: PORT, UPSTREAM (http://127.0.0.1:PORT), CA, CERT, KEY (PEM files).
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createForwarder, readPem, requiredEnv, sendError, stopOnSignal, tuneServer } from './proxy-common.ts';

const port = Number(requiredEnv('PORT'));
const upstream = requiredEnv('UPSTREAM');
const forward = createForwarder(upstream);

// The peer certificate is parsed once per TLS connection, not once per request.
const subjects = new WeakMap<TLSSocket, string>();
function peerSubject(socket: TLSSocket): string {
  let subject = subjects.get(socket);
  if (subject === undefined) {
    const s = socket.getPeerCertificate().subject as Record<string, string | undefined> | undefined;
    subject = `serialNumber=${s?.serialNumber ?? ''},CN=${s?.CN ?? ''},O=${s?.O ?? ''}`;
    subjects.set(socket, subject);
  }
  return subject;
}

const server = tuneServer(
  createServer(
    {
      key: readPem('KEY'),
      cert: readPem('CERT'),
      ca: readPem('CA'),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      if (!socket.authorized) {
        sendError(res, 401, 'client certificate required');
        return;
      }
      try {
        forward(req, res, { 'x-client-subject': peerSubject(socket) });
      } catch (err) {
        sendError(res, 500, (err as Error).message);
      }
    },
  ),
);
server.listen(port, '127.0.0.1', () =>
  console.log(`inway https://127.0.0.1:${port} -> ${upstream} pid=${process.pid}`),
);
stopOnSignal(server);
