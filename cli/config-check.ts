// `koppel config check FILE`: validate a configuration exactly as a starting process would
// (defaults < file < KOPPEL_* environment) and list every problem.
import { resolve } from 'node:path';
import { formatIssue, isConfigError, loadConfig } from '../config/index.ts';
import { defineCommand } from './command.ts';
import { ExitCode } from './io.ts';

// A password in a URL (redis://:secret@host) stays off the terminal.
function redactUrlPasswords(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@') : value;
}

export const configCheck = defineCommand({
  description:
    'Validate a configuration file together with the KOPPEL_* environment variables, as `koppel <role>` would at start. Prints OK, or every problem (exit 2).',
  positionals: ['FILE'],
  options: {
    'ignore-env': { type: 'boolean', description: 'check the file alone, without KOPPEL_* environment variables' },
    print: { type: 'boolean', description: 'print the effective configuration (defaults applied) as JSON' },
  },
  examples: [
    'koppel config check config/example.json',
    'KOPPEL_MANAGER_LISTEN_PORT=9443 koppel config check peer.json --print',
  ],
  async run({ values, positionals, io }) {
    const [file = ''] = positionals;
    try {
      const config = await loadConfig({
        path: resolve(io.cwd, file),
        env: values['ignore-env'] === true ? {} : io.env,
      });
      io.stdout.write(values.print === true ? `${JSON.stringify(config, redactUrlPasswords, 2)}\n` : `OK ${file}\n`);
      return ExitCode.ok;
    } catch (err) {
      if (!isConfigError(err)) throw err;
      const n = err.issues.length;
      io.stderr.write(
        `${file}: ${n} problem${n === 1 ? '' : 's'}\n${err.issues.map((i) => `  ${formatIssue(i)}\n`).join('')}`,
      );
      return ExitCode.usage;
    }
  },
});
