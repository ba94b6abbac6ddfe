/**
 * Signal handling for the entry points (each role's `main.ts`, `cli/`). This is the one runtime function
 * that ends the process: it calls `process.exit` (injectable for tests), because only entry
 * points use it (DESIGN.md rule: only cli/ and main files exit).
 */
import { constants } from 'node:os';
import type { Logger } from './logger.ts';

/** Something to close on shutdown, named for the log. */
export interface Closer {
  name: string;
  close(): void | Promise<void>;
}

/** Where signals come from: `process` unless a test passes its own emitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of {@link onShutdown}. */
export interface ShutdownOptions {
  logger?: Logger;
  /** Force exit when the closers have not finished after this long. Default 30 000. */
  timeoutMs?: number;
  /** Ends the process; default `process.exit`. */
  exit?: (code: number) => void;
  /** Default `process`. */
  signals?: SignalSource;
}

/** Returned by {@link onShutdown}. */
export interface ShutdownHandle {
  /** Start the shutdown as if a signal came (e.g. after a fatal error); resolves with the exit code. */
  shutdown(reason?: string): Promise<number>;
  /** Remove the signal listeners (tests, or handing over to another handler). */
  dispose(): void;
}

function signalExitCode(signal: NodeJS.Signals): number {
  // Shell convention: 128 + signal number.
  const n = (constants.signals as Partial<Record<NodeJS.Signals, number>>)[signal];
  return n === undefined ? 1 : 128 + n;
}

/**
 * On the first of `signals` (e.g. `['SIGINT', 'SIGTERM']`), close `closers` one after another in
 * the given order (stop accepting, drain, close clients, flush logs) exactly once, then exit 0 (1 if
 * a closer failed or the deadline passed). A second signal during shutdown exits at once with
 * 128 + signal number.
 */
export function onShutdown(
  signals: readonly NodeJS.Signals[],
  closers: readonly Closer[],
  options: ShutdownOptions = {},
): ShutdownHandle {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = options.signals ?? process;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let running: Promise<number> | undefined;

  async function run(reason: string): Promise<number> {
    logger?.info({ reason }, 'shutdown started');
    const deadline = setTimeout(() => {
      logger?.error({ timeoutMs }, 'shutdown deadline reached, exiting');
      exit(1);
    }, timeoutMs);
    deadline.unref();
    let code = 0;
    for (const closer of closers) {
      try {
        await closer.close();
        logger?.debug({ closer: closer.name }, 'closed');
      } catch (err) {
        code = 1;
        logger?.error({ closer: closer.name, err }, 'close failed');
      }
    }
    clearTimeout(deadline);
    logger?.info({ code }, 'shutdown complete');
    logger?.flush();
    exit(code);
    return code;
  }

  function shutdown(reason = 'requested'): Promise<number> {
    running ??= run(reason);
    return running;
  }

  function onSignal(signal: NodeJS.Signals): void {
    if (running !== undefined) {
      logger?.warn({ signal }, 'second signal, forcing exit');
      logger?.flush();
      exit(signalExitCode(signal));
      return;
    }
    void shutdown(signal);
  }

  for (const signal of signals) source.on(signal, onSignal);
  return {
    shutdown,
    dispose(): void {
      for (const signal of signals) source.off(signal, onSignal);
    },
  };
}
