// `koppel` commands as separate processes, the way a deployment runs them: spawn one, wait until it
// printed its summary, and keep track of every process a test file started so it can be stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface KoppelProcess {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

/** The processes started by {@link koppel} and not yet taken by {@link stopAll}. */
const running: KoppelProcess[] = [];

export function koppel(args: readonly string[], env: Record<string, string> = {}): KoppelProcess {
  const child = spawn(process.execPath, ['bin/koppel.js', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const proc = { child, output: () => out, stdout: () => stdout, exited };
  running.push(proc);
  return proc;
}

/** Resolves when the process printed its summary; rejects with its output when it ended first. */
export function started(proc: KoppelProcess, timeoutMs = 60_000): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`not started after ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
    const check = (): void => {
      if (proc.output().includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        done();
      }
    };
    proc.child.stderr?.on('data', check);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`ended with ${code} before it started:\n${proc.output()}`));
    });
    check();
  });
}

/** SIGKILL every process still running that {@link koppel} started (for afterEach). */
export async function stopAll(): Promise<void> {
  for (const proc of running.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }
}
