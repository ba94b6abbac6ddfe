// Every process the benchmark starts goes through one Supervisor: output to a log file in the run's
// temporary directory, optional CPU pinning (`taskset -c`), and a stop by PID — SIGTERM, then SIGKILL
// after a grace period — for the process and any descendant it left behind, on success, failure or Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { processTree, readStat, type ProcStat } from './proc-cpu.ts';

const STOP_GRACE_MS = 5_000;

export interface StartOptions {
  env?: Record<string, string>;
  /** `taskset -c` CPU list; undefined: no pinning. */
  cpus?: string | undefined;
  cwd?: string;
}

export interface Started {
  name: string;
  pid: number;
  logPath: string;
  /** Resolves with the exit code (null after a signal) when the process ends. */
  exited: Promise<number | null>;
  running(): boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class ProcessFailure extends Error {
  constructor(
    message: string,
    readonly logPath: string,
  ) {
    super(message);
  }
}

/** The last LINES lines of a log file ('' when it cannot be read). */
export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Sends SIGNAL to PID; a process that is already gone is not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

const delay = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export class Supervisor {
  readonly #logDir: string;
  readonly #children = new Map<number, { started: Started; child: ChildProcess }>();
  #seq = 0;

  constructor(logDir: string) {
    this.#logDir = logDir;
  }

  #spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: StartOptions,
    stdio: 'log' | 'pipe',
  ): { started: Started; child: ChildProcess } {
    const logPath = join(this.#logDir, `${String(++this.#seq).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '-')}.log`);
    const fd = openSync(logPath, 'a');
    const [file, argv] =
      options.cpus === undefined ? [command, args] : ['taskset', ['-c', options.cpus, command, ...args]];
    let child: ChildProcess;
    try {
      child = spawn(file, argv, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: stdio === 'log' ? ['ignore', fd, fd] : ['ignore', 'pipe', 'pipe'],
      });
    } finally {
      if (stdio === 'log') closeSync(fd);
    }
    if (stdio === 'pipe') {
      const copy = (chunk: Buffer): void => void writeSync(fd, chunk);
      child.stdout?.on('data', copy);
      child.stderr?.on('data', copy);
      child.once('close', () => closeSync(fd));
    }
    const pid = child.pid;
    if (pid === undefined) throw new ProcessFailure(`${name}: could not start ${file}`, logPath);
    let ended = false;
    const exited = new Promise<number | null>((done) => {
      child.once('exit', (code) => {
        ended = true;
        this.#children.delete(pid);
        done(code);
      });
    });
    const started: Started = { name, pid, logPath, exited, running: () => !ended };
    this.#children.set(pid, { started, child });
    return { started, child };
  }

  /** Starts a long-running process whose stdout and stderr go to its log file. */
  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): Started {
    return this.#spawn(name, command, args, options, 'log').started;
  }

  /** Runs a command to its end (stopped after TIMEOUTMS), capturing its output (also logged). */
  async run(
    name: string,
    command: string,
    args: readonly string[],
    options: StartOptions & { timeoutMs: number },
  ): Promise<RunResult & { logPath: string }> {
    const { started, child } = this.#spawn(name, command, args, options, 'pipe');
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // 'exit' can come before the last output; 'close' follows once the pipes are drained.
    const closed = new Promise<void>((done) => child.once('close', () => done()));
    const timer = setTimeout(() => void this.stop(started), options.timeoutMs);
    const code = await started.exited;
    clearTimeout(timer);
    await Promise.race([closed, delay(2_000)]);
    return { code, stdout, stderr, logPath: started.logPath };
  }

  /** Stops one process: SIGTERM, SIGKILL after a grace period, then any descendant still alive. */
  async stop(started: Started): Promise<void> {
    const descendants: ProcStat[] = processTree(started.pid).slice(1);
    if (started.running()) {
      signal(started.pid, 'SIGTERM');
      const timer = delay(STOP_GRACE_MS).then(() => 'timeout' as const);
      if ((await Promise.race([started.exited, timer])) === 'timeout' && started.running()) {
        console.error(`  ${started.name} (pid ${started.pid}) ignored SIGTERM; sending SIGKILL`);
        signal(started.pid, 'SIGKILL');
        await started.exited;
      }
    }
    // Children normally end with their parent; give them a moment, then end the ones left over.
    const alive = (p: ProcStat): boolean => readStat(p.pid)?.startTicks === p.startTicks;
    for (let i = 0; i < 20 && descendants.some(alive); i++) await delay(100);
    for (const p of descendants.filter(alive)) signal(p.pid, 'SIGKILL');
  }

  /** Stops every process still running, the most recently started first. */
  async stopAll(): Promise<void> {
    const all = [...this.#children.values()].map((c) => c.started).reverse();
    await Promise.all(all.map((s) => this.stop(s)));
  }

  /** Last resort when this process exits without having stopped its children. */
  killAllNow(): void {
    for (const pid of this.#children.keys()) signal(pid, 'SIGKILL');
  }
}
