// `koppel demo` (npm start): the demo federation on one machine. For now it prepares the demo PKI
// and explains what is there. It never fails: a newcomer's first command must not end in a stack trace.
import { relative, resolve } from 'node:path';
import { defineCommand } from './command.ts';
import { ensureDemoPki, DEMO_GROUP_ID } from './demo-pki.ts';
import { renderOverview } from './dispatch.ts';
import { ExitCode } from './io.ts';

export const demo = defineCommand({
  description:
    'Run a demo federation on this machine: a directory, a provider organisation with an inway and a consumer organisation with an outway. Prepares a development PKI in data/demo/pki on first run.',
  options: {
    dir: { type: 'string', valueName: 'DIR', description: 'demo data directory (default: data/demo)' },
  },
  async run({ values, io }) {
    io.stdout.write(`${renderOverview()}\n`);
    const dataDir = resolve(io.cwd, values.dir ?? 'data/demo');
    const show = (path: string): string => relative(io.cwd, path) || '.';
    try {
      const pki = await ensureDemoPki(resolve(dataDir, 'pki'));
      io.stdout.write(
        `Demo PKI (group ${DEMO_GROUP_ID}) in ${show(pki.dir)}: ${pki.created ? 'created' : 'already present'}\n`,
      );
      io.stdout.write(`  trust anchor  ${show(pki.caPath)}\n`);
      for (const peer of pki.peers) {
        io.stdout.write(
          `  ${peer.label.padEnd(12)}  ${peer.oin}  ${peer.name.padEnd(22)}  ${show(peer.certPath)}${peer.created ? ' (new)' : ''}\n`,
        );
      }
    } catch (err) {
      io.stderr.write(`koppel demo: the demo PKI could not be prepared: ${(err as Error).message}\n`);
    }
    io.stdout.write(
      '\nThe data plane (directory, manager, inway, outway) is coming: this command will start the whole federation and print working curl lines.\n',
    );
    return ExitCode.ok;
  },
});
