// One way to write a command: declare options and positionals once, get argument parsing
// (node:util parseArgs, strict), `--help` and usage errors (exit 2) from them.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, type CliIo } from './io.ts';

/** Name, arguments and one-line summary of a command, as listed in the command table. */
export interface CommandMeta {
  /** Words after `koppel`, e.g. `pki issue`. */
  name: string;
  /** Synopsis of the arguments, e.g. `--dir DIR --oin OIN`. */
  args: string;
  summary: string;
}

/** Runs a command with the arguments after its name; resolves to the exit code. */
export type CommandRun = (args: string[], io: CliIo, meta: CommandMeta) => Promise<number>;

export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  required?: boolean;
  /** Placeholder in the help, e.g. `DIR`. */
  valueName?: string;
  description: string;
}

type OptionValue<O extends CliOption> = O['type'] extends 'boolean'
  ? O['multiple'] extends true
    ? boolean[]
    : boolean
  : O['multiple'] extends true
    ? string[]
    : string;

/** Parsed option values: required options are present, the others may be missing. */
export type CliValues<O extends Record<string, CliOption>> = {
  [K in keyof O as O[K]['required'] extends true ? K : never]: OptionValue<O[K]>;
} & {
  [K in keyof O as O[K]['required'] extends true ? never : K]?: OptionValue<O[K]>;
};

export interface CommandSpec<O extends Record<string, CliOption>> {
  /** What the command does, in a sentence or two, shown under the usage line. */
  description: string;
  options: O;
  /** Names of the positional arguments, all required, e.g. `['FILE']`. */
  positionals?: readonly string[];
  examples?: readonly string[];
  run(input: { values: CliValues<O>; positionals: string[]; io: CliIo; meta: CommandMeta }): Promise<number>;
}

/** A usage error: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function optionLabel(name: string, option: CliOption): string {
  const long = `--${name}${option.type === 'string' ? ` ${option.valueName ?? 'VALUE'}` : ''}`;
  return option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`;
}

export function renderHelp(
  meta: CommandMeta,
  spec: { description: string; options: Record<string, CliOption>; examples?: readonly string[] },
): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => {
    const notes = [option.required === true ? 'required' : '', option.multiple === true ? 'repeatable' : ''].filter(
      (n) => n !== '',
    );
    return [optionLabel(name, option), `${option.description}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    `Usage: koppel ${meta.name}${meta.args === '' ? '' : ` ${meta.args}`}`,
    '',
    spec.description,
    '',
    'Options:',
    ...rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`),
  ];
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Builds a command from its declaration. */
export function defineCommand<const O extends Record<string, CliOption>>(spec: CommandSpec<O>): CommandRun {
  return async function runCommand(args, io, meta) {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(renderHelp(meta, spec));
      return ExitCode.ok;
    }
    try {
      const config: ParseArgsConfig = {
        args,
        options: Object.fromEntries(
          Object.entries(spec.options).map(([name, o]) => [
            name,
            {
              type: o.type,
              ...(o.short === undefined ? {} : { short: o.short }),
              ...(o.multiple === true ? { multiple: true } : {}),
            },
          ]),
        ),
        strict: true,
        allowPositionals: true,
      };
      let parsed: { values: Record<string, unknown>; positionals: string[] };
      try {
        parsed = parseArgs(config);
      } catch (err) {
        // parseArgs errors (ERR_PARSE_ARGS_*) are phrased for the user already.
        throw new UsageError((err as Error).message);
      }
      for (const [name, option] of Object.entries(spec.options)) {
        if (option.required === true && parsed.values[name] === undefined)
          throw new UsageError(`--${name} is required`);
      }
      const expected = spec.positionals ?? [];
      if (parsed.positionals.length < expected.length) {
        throw new UsageError(`${expected.slice(parsed.positionals.length).join(' ')} missing`);
      }
      if (parsed.positionals.length > expected.length) {
        throw new UsageError(`unexpected argument "${parsed.positionals[expected.length] ?? ''}"`);
      }
      return await spec.run({ values: parsed.values as CliValues<O>, positionals: parsed.positionals, io, meta });
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr.write(`koppel ${meta.name}: ${err.message}\nRun \`koppel ${meta.name} --help\` for usage.\n`);
        return ExitCode.usage;
      }
      throw err;
    }
  };
}
