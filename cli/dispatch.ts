// Finds the command named by the first words of argv and runs it. Knows nothing about any command
// except what the table in commands.ts says.
import { readFile } from 'node:fs/promises';
import { commands, type CommandEntry } from './commands.ts';
import { ExitCode, type CliIo } from './io.ts';

function words(entry: CommandEntry): string[] {
  return entry.name.split(' ');
}

function listing(entries: readonly CommandEntry[]): string {
  const rows = entries.map((e) => [`${e.name}${e.args === '' ? '' : ` ${e.args}`}`, e.summary] as const);
  const width = Math.min(Math.max(...rows.map(([left]) => left.length)), 44);
  return rows
    .map(([left, right]) =>
      left.length > width ? `  ${left}\n  ${''.padEnd(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`,
    )
    .join('\n');
}

/** The overview printed by `koppel --help` (and by `koppel demo`). */
export function renderOverview(): string {
  return [
    'koppel: a Common Ground integration gateway speaking FSC (Federated Service Connectivity)',
    '',
    'Usage: koppel <command> [options]',
    '',
    'Commands:',
    listing(commands),
    '',
    'Run `koppel <command> --help` for the options of a command.',
    'Exit codes: 0 ok, 1 failure, 2 usage error or invalid input.',
    '',
  ].join('\n');
}

function renderGroup(group: string, entries: readonly CommandEntry[]): string {
  return [
    `Usage: koppel ${group} <command> [options]`,
    '',
    'Commands:',
    listing(entries),
    '',
    `Run \`koppel ${group} <command> --help\` for its options.`,
    '',
  ].join('\n');
}

/**
 * The command name to suggest for a mistyped one. config/ owns the "did you mean" rule; it is imported only on
 * this error path, so a command that works does not load the configuration schema just for it (commands.ts
 * loads lazily for the same reason). Case counts and the allowance is one edit per three characters, as before.
 */
async function suggestCommand(word: string, candidates: readonly string[]): Promise<string | undefined> {
  const { closest } = await import('../config/index.ts');
  return closest(word, candidates, { charsPerEdit: 3, ignoreCase: false });
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h' || arg === 'help';

/** Runs `koppel` with `argv` (the arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args = [...argv];
  if (args.length === 0) {
    io.stderr.write(renderOverview());
    return ExitCode.usage;
  }
  if (args[0] === '--version' || args[0] === '-v') {
    io.stdout.write(`koppel ${await version()}\n`);
    return ExitCode.ok;
  }
  if (isHelp(args[0])) {
    if (args.length === 1) {
      io.stdout.write(renderOverview());
      return ExitCode.ok;
    }
    // `koppel help pki issue` is `koppel pki issue --help`.
    args = [...args.slice(1), '--help'];
  }

  // Longest match: `pki issue` before a hypothetical `pki`.
  const entry = [...commands]
    .sort((a, b) => words(b).length - words(a).length)
    .find((e) => words(e).every((w, i) => args[i] === w));
  if (entry !== undefined) {
    try {
      const run = await entry.load();
      return await run(args.slice(words(entry).length), io, entry);
    } catch (err) {
      // A bug or an unexpected I/O failure: say what, without a stack trace; exit 1.
      io.stderr.write(`koppel ${entry.name}: ${err instanceof Error ? err.message : String(err)}\n`);
      return ExitCode.failure;
    }
  }

  const group = commands.filter((e) => words(e).length > 1 && words(e)[0] === args[0]);
  if (group.length > 0) {
    const sub = args[1];
    if (sub === undefined || isHelp(sub)) {
      (sub === undefined ? io.stderr : io.stdout).write(renderGroup(args[0] ?? '', group));
      return sub === undefined ? ExitCode.usage : ExitCode.ok;
    }
    const hint = await suggestCommand(
      `${args[0]} ${sub}`,
      group.map((e) => e.name),
    );
    io.stderr.write(
      `koppel: unknown command "${args[0]} ${sub}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}\n\n${renderGroup(args[0] ?? '', group)}`,
    );
    return ExitCode.usage;
  }
  const hint = await suggestCommand(args[0] ?? '', [...new Set(commands.map((e) => words(e)[0] ?? ''))]);
  io.stderr.write(
    `koppel: unknown command "${args[0] ?? ''}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}\nRun \`koppel --help\` for the list of commands.\n`,
  );
  return ExitCode.usage;
}
