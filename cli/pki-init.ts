// `koppel pki init`: create the development group CA.
import { resolve } from 'node:path';
import { initGroupCa } from '../certs/index.ts';
import { defineCommand } from './command.ts';
import { ExitCode } from './io.ts';
import { reportPkiError } from './pki-errors.ts';

export const pkiInit = defineCommand({
  description:
    'Create a development group CA (EC P-256, ten years) in DIR: ca.pem is the trust anchor every peer configures, ca.key.pem (mode 0600) signs peer certificates. Refuses to replace an existing CA. Not for production: use PKIoverheid there.',
  options: {
    group: { type: 'string', required: true, valueName: 'ID', description: 'FSC group id, e.g. fsc-demo' },
    dir: {
      type: 'string',
      required: true,
      valueName: 'DIR',
      description: 'directory for ca.pem and ca.key.pem (created if missing)',
    },
  },
  examples: ['koppel pki init --group fsc-demo --dir data/pki'],
  async run({ values, io, meta }) {
    try {
      const files = await initGroupCa({ groupId: values.group, dir: resolve(io.cwd, values.dir) });
      io.stdout.write(
        `group CA for ${values.group}\n  certificate ${files.certPath}\n  key         ${files.keyPath} (mode 0600)\n`,
      );
      return ExitCode.ok;
    } catch (err) {
      return reportPkiError(err, io, meta);
    }
  },
});
