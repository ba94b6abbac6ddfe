// Loopback helpers: free ports, waiting for a listener, one plain GET.
import { get } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { ProcessFailure, type Started } from './processes.ts';

export const HOST = '127.0.0.1';

/** N distinct free TCP ports on 127.0.0.1 (held open together while they are picked). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(0, HOST, done);
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

const delay = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Resolves when every port accepts connections; fails when PROC ends first or after TIMEOUTMS. */
export async function waitForPorts(proc: Started, ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (!proc.running()) throw new ProcessFailure(`${proc.name} ended before it listened on ${port}`, proc.logPath);
      if (Date.now() > deadline) {
        throw new ProcessFailure(`${proc.name}: nothing listens on ${port} after ${timeoutMs / 1000} s`, proc.logPath);
      }
      await delay(100);
    }
  }
}

/** One GET without keep-alive: status and body. */
export function httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer after ${timeoutMs} ms`)));
    req.on('error', fail);
  });
}
