// What a command may touch of the outside world. Commands get it as a parameter so tests can run
// them in-process with captured output; only cli/main.ts binds it to the real process.
import { readFile } from 'node:fs/promises';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  readFile(path: string): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/** Exit codes of every `koppel` command. */
export const ExitCode = {
  ok: 0,
  /** The command could not do its work (I/O error, refusal to overwrite, a service that failed). */
  failure: 1,
  /** Wrong usage or invalid input (unknown option, bad OIN, invalid configuration). */
  usage: 2,
} as const;

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readFile: (path) => readFile(path, 'utf8'),
    env: process.env,
    cwd: process.cwd(),
  };
}
