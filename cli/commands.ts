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
  {
    name: 'manager',
    args: '--config FILE',
    summary: "run this peer's manager and admin API (a directory in directory mode)",
    load: async () => (await import('./run-role.ts')).runManager,
  },
  {
    name: 'directory',
    args: '--config FILE',
    summary: 'run the group directory (manager.mode "directory")',
    load: async () => (await import('./run-role.ts')).runDirectory,
  },
  {
    name: 'inway',
    args: '--config FILE',
    summary: "run this peer's inway (provider side)",
    load: async () => (await import('./run-role.ts')).runInway,
  },
  {
    name: 'outway',
    args: '--config FILE',
    summary: "run this peer's outway (consumer side)",
    load: async () => (await import('./run-role.ts')).runOutway,
  },
  {
    name: 'peer',
    args: '--config FILE',
    summary: 'run manager, admin API and the enabled inway/outway in one process',
    load: async () => (await import('./run-role.ts')).runPeer,
  },

  {
    name: 'services',
    args: '[--config FILE] [--json]',
    summary: "list this peer's services and the group's, with inway health (admin API)",
    load: async () => (await import('./admin-services.ts')).services,
  },
  {
    name: 'publish',
    args: '--name NAME --endpoint URL [--inway URL] [--protocol P] [--config FILE]',
    summary: 'publish a service in the group directory (admin API)',
    load: async () => (await import('./admin-services.ts')).publish,
  },
  {
    name: 'connect',
    args: 'PEER_ID SERVICE [--config FILE]',
    summary: "request a connection to another peer's service (admin API)",
    load: async () => (await import('./admin-connect.ts')).connect,
  },
  {
    name: 'contracts list',
    args: '[--state S] [--pending] [--type T] [--config FILE] [--json]',
    summary: 'list contracts with state and who still has to sign (admin API)',
    load: async () => (await import('./admin-contracts.ts')).contractsList,
  },
  {
    name: 'contracts accept',
    args: 'HASH [--config FILE]',
    summary: 'accept a contract (admin API)',
    load: async () => (await import('./admin-contracts.ts')).contractsAccept,
  },
  {
    name: 'contracts reject',
    args: 'HASH [--config FILE]',
    summary: 'reject a proposed contract (admin API)',
    load: async () => (await import('./admin-contracts.ts')).contractsReject,
  },
  {
    name: 'contracts revoke',
    args: 'HASH [--config FILE]',
    summary: 'revoke a contract (admin API)',
    load: async () => (await import('./admin-contracts.ts')).contractsRevoke,
  },
  {
    name: 'logs verify',
    args: '--config FILE [--from TIME] [--to TIME] [--certificate FILE]',
    summary: 'check the hash chain and signed heads of the transaction log',
    load: async () => (await import('./logs-verify.ts')).logsVerify,
  },
  {
    name: 'logs export',
    args: '--config FILE --from TIME --to TIME --format jsonl|csv [--subject T=V] [--process-id P] [--out FILE]',
    summary: 'write transaction-log records of a period as JSON Lines or CSV',
    load: async () => (await import('./logs-export.ts')).logsExport,
  },
];
