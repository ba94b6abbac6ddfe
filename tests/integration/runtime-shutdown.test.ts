// onShutdown for entry points: the first signal closes everything in order, once; a second signal
// forces the exit. In-process with an injected signal source, and for real in a child process.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, onShutdown, type Closer, type SignalSource } from '../../gateway/runtime/index.ts';

function harness() {
  const emitter = new EventEmitter();
  const signals: SignalSource = {
    on: (signal, listener) => emitter.on(signal, listener),
    off: (signal, listener) => emitter.off(signal, listener),
  };
  const exits: number[] = [];
  let exited!: (code: number) => void;
  const firstExit = new Promise<number>((resolve) => (exited = resolve));
  const exit = (code: number): void => {
    exits.push(code);
    exited(code);
  };
  const logger = createLogger({ level: 'silent', name: 'test' });
  return { emitter, signals, exits, firstExit, exit, logger };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('onShutdown (in process)', () => {
  it('closes in order, once, then exits 0', async () => {
    const h = harness();
    const order: string[] = [];
    const closers: Closer[] = ['server', 'agent', 'store'].map((name) => ({
      name,
      close: async () => {
        order.push(name);
        await Promise.resolve();
      },
    }));
    const handle = onShutdown(['SIGINT', 'SIGTERM'], closers, { signals: h.signals, exit: h.exit, logger: h.logger });
    h.emitter.emit('SIGTERM', 'SIGTERM');
    expect(await h.firstExit).toBe(0);
    expect(order).toEqual(['server', 'agent', 'store']);
    expect(await handle.shutdown()).toBe(0);
    expect(order).toHaveLength(3);
    expect(h.exits).toEqual([0]);
    handle.dispose();
  });

  it('runs the remaining closers when one fails, and exits 1', async () => {
    const h = harness();
    const order: string[] = [];
    onShutdown(
      ['SIGTERM'],
      [
        { name: 'a', close: () => void order.push('a') },
        {
          name: 'b',
          close: () => {
            throw new Error('b broke');
          },
        },
        { name: 'c', close: () => void order.push('c') },
      ],
      { signals: h.signals, exit: h.exit, logger: h.logger },
    );
    h.emitter.emit('SIGTERM', 'SIGTERM');
    expect(await h.firstExit).toBe(1);
    expect(order).toEqual(['a', 'c']);
  });

  it('forces the exit with 128 + signal number on a second signal', async () => {
    const h = harness();
    const entered = deferred();
    onShutdown(['SIGINT', 'SIGTERM'], [{ name: 'hang', close: () => (entered.resolve(), new Promise<void>(() => {})) }], {
      signals: h.signals,
      exit: h.exit,
      logger: h.logger,
    });
    h.emitter.emit('SIGTERM', 'SIGTERM');
    await entered.promise;
    h.emitter.emit('SIGINT', 'SIGINT');
    expect(await h.firstExit).toBe(130);
  });

  it('exits 1 when the closers miss the deadline', async () => {
    const h = harness();
    onShutdown(['SIGTERM'], [{ name: 'hang', close: () => new Promise<void>(() => {}) }], {
      signals: h.signals,
      exit: h.exit,
      logger: h.logger,
      timeoutMs: 50,
    });
    h.emitter.emit('SIGTERM', 'SIGTERM');
    expect(await h.firstExit).toBe(1);
  });

  it('stops listening after dispose()', () => {
    const h = harness();
    const handle = onShutdown(['SIGTERM'], [], { signals: h.signals, exit: h.exit, logger: h.logger });
    expect(h.emitter.listenerCount('SIGTERM')).toBe(1);
    handle.dispose();
    expect(h.emitter.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('onShutdown (real signals, child process)', () => {
  const child = fileURLToPath(new URL('./fixtures/runtime-shutdown-child.ts', import.meta.url));

  function run(args: string[]) {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    const waiting = new Map<string, () => void>();
    createInterface({ input: proc.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      waiting.get(String(line.msg))?.();
    });
    const seen = (msg: string) =>
      lines.some((l) => l.msg === msg) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(msg, resolve));
    const exitCode = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    return { proc, lines, seen, exitCode };
  }

  it('closes the server and exits 0 on SIGTERM', async () => {
    const c = run([]);
    await c.seen('ready');
    c.proc.kill('SIGTERM');
    expect(await c.exitCode).toBe(0);
    const msgs = c.lines.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['shutdown started', 'server closed', 'shutdown complete']));
    expect(msgs.indexOf('server closed')).toBeLessThan(msgs.indexOf('shutdown complete'));
  });

  it('exits 143 at once on a second SIGTERM while a closer hangs', async () => {
    const c = run(['hang']);
    await c.seen('ready');
    c.proc.kill('SIGTERM');
    await c.seen('server closed');
    c.proc.kill('SIGTERM');
    expect(await c.exitCode).toBe(143);
    expect(c.lines.map((l) => l.msg)).toContain('second signal, forcing exit');
  });
});
