// `koppel config docs`: the configuration reference, generated from the schema.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderConfigReference } from '../config/index.ts';
import { defineCommand } from './command.ts';
import { ExitCode } from './io.ts';

export const configDocs = defineCommand({
  description:
    'Print the configuration reference (Markdown) generated from the configuration schema, or write it to a file.',
  options: {
    out: {
      type: 'string',
      valueName: 'FILE',
      description: 'write to FILE instead of standard output (docs/configuration.md)',
    },
  },
  examples: ['koppel config docs --out docs/configuration.md'],
  async run({ values, io }) {
    const markdown = renderConfigReference();
    if (values.out === undefined) {
      io.stdout.write(markdown);
    } else {
      await writeFile(resolve(io.cwd, values.out), markdown);
      io.stdout.write(`wrote ${values.out}\n`);
    }
    return ExitCode.ok;
  },
});
