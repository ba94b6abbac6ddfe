// Naive Node reference "outway": plain HTTP in, mTLS (client certificate) out to the inway, undici Pool.
// Env: PORT, UPSTREAM (https://127.0.0.1:PORT), CA, CERT, KEY (PEM files), SERVERNAME (default localhost).
import { createServer } from 'node:http';
import { createForwarder, readPem, requiredEnv, sendError, stopOnSignal, tuneServer } from './proxy-common.ts';

const port = Number(requiredEnv('PORT'));
const upstream = requiredEnv('UPSTREAM');
const forward = createForwarder(upstream, {
  ca: readPem('CA'),
  cert: readPem('CERT'),
  key: readPem('KEY'),
  servername: process.env.SERVERNAME ?? 'localhost',
});

const server = tuneServer(
  createServer((req, res) => {
    try {
      forward(req, res);
    } catch (err) {
      sendError(res, 500, (err as Error).message);
    }
  }),
);
server.listen(port, '127.0.0.1', () =>
  console.log(`outway http://127.0.0.1:${port} -> ${upstream} pid=${process.pid}`),
);
stopOnSignal(server);
