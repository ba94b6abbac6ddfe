// `node bin/koppel.js …` as a one-shot command, the way an operator runs it.
import { join } from 'node:path';
import { ProcessFailure, type RunResult, type Supervisor } from '../processes.ts';

const TIMEOUT_MS = 90_000;

/** Runs `koppel ARGS`; fails with the command's log when it does not exit 0. */
export async function koppelCli(
  supervisor: Supervisor,
  repoRoot: string,
  label: string,
  args: readonly string[],
): Promise<RunResult> {
  const res = await supervisor.run(`koppel ${label}`, process.execPath, [join(repoRoot, 'bin', 'koppel.js'), ...args], {
    cwd: repoRoot,
    env: { NO_COLOR: '1' },
    timeoutMs: TIMEOUT_MS,
  });
  if (res.code !== 0) {
    throw new ProcessFailure(`koppel ${args.join(' ')} ended with ${res.code}`, res.logPath);
  }
  return res;
}

/** Runs `koppel ARGS --json` and parses its answer. */
export async function koppelJson<T>(
  supervisor: Supervisor,
  repoRoot: string,
  label: string,
  args: readonly string[],
): Promise<T> {
  const res = await koppelCli(supervisor, repoRoot, label, [...args, '--json']);
  return JSON.parse(res.stdout) as T;
}
