// The command table of `koppel`. One line per command: its words, an argument synopsis, a summary
// for the overview, and a lazy import so that a command loads only what it uses.
import type { CommandMeta, CommandRun } from './command.ts';

export interface CommandEntry extends CommandMeta {
  load(): Promise<CommandRun>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'demo',
    args: '',
    summary: 'run a demo federation on this machine (npm start)',
    load: async () => (await import('./demo.ts')).demo,
  },
  {
    name: 'config check',
    args: 'FILE',
    summary: 'validate a configuration file and list every problem',
    load: async () => (await import('./config-check.ts')).configCheck,
  },
  {
    name: 'config docs',
    args: '[--out FILE]',
    summary: 'print the configuration reference (Markdown)',
    load: async () => (await import('./config-docs.ts')).configDocs,
  },
  {
    name: 'pki init',
    args: '--group ID --dir DIR',
    summary: 'create a development group CA',
    load: async () => (await import('./pki-init.ts')).pkiInit,
  },
  {
    name: 'pki issue',
    args: '--dir DIR --oin OIN --name NAME --host HOST[,HOST] [--out PREFIX]',
    summary: 'issue a peer certificate from the development CA',
    load: async () => (await import('./pki-issue.ts')).pkiIssue,
  },
  {
    name: 'contract hash',
    args: 'FILE [--scheme jcs|fsc-1.1]',
    summary: 'print the content hash and grant hashes of a contract',
    load: async () => (await import('./contract-hash.ts')).runContractHash,
  },
];
