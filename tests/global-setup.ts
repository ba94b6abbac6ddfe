// Runs once before the suite. Tests that need Redis use a real one: REDIS_URL if given, else the
// local default on 127.0.0.1:6379, else a private redis-server started here on a free port and
// stopped after the run (a newcomer's machine may have none running).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './integration/private-redis.ts';

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      socket.write('PING\r\n');
      socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    });
  });
}

let child: ChildProcess | undefined;
let dir: string | undefined;

export async function setup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  if (await answers('127.0.0.1', 6379)) {
    process.env.REDIS_URL = 'redis://127.0.0.1:6379';
    return;
  }
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'koppel-redis-'));
  child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  // A missing binary arrives as an 'error' event; report it as the setup's failure, not a crash.
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  for (let i = 0; i < 100; i++) {
    if (spawnError) throw new Error(`redis-server could not be started (is it installed?): ${spawnError.message}`);
    if (await answers('127.0.0.1', port)) {
      process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('a private redis-server did not answer within 5 s');
}

export function teardown(): void {
  child?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
}
