// `koppel config check FILE`: validate a configuration exactly as a starting process would
// (defaults < file < KOPPEL_* environment) and list every problem — also in the files it names: the
// peer's certificate, key and trust anchor read and checked as the peer will at start, plus whether
// the certificate is valid now and chains to the trust anchor, as every other peer will check it.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatIssue, isConfigError, loadConfig, type ConfigIssue, type KoppelConfig } from '../config/index.ts';
import { certificateChainProblem, loadPeerTls } from '../gateway/runtime/index.ts';
import { defineCommand } from './command.ts';
import { ExitCode } from './io.ts';

// A password in a URL (redis://:secret@host) stays off the terminal.
function redactUrlPasswords(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@') : value;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Problems with the files and folders the configuration names (none for a good setup). */
async function fileProblems(config: KoppelConfig): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  try {
    const material = await loadPeerTls({
      trustAnchorFile: config.peer.trustAnchorPath,
      certFile: config.peer.certificatePath,
      keyFile: config.peer.keyPath,
    });
    const chain = certificateChainProblem(material);
    if (chain !== undefined) issues.push({ path: 'peer.certificatePath', message: chain });
  } catch (err) {
    issues.push({ path: 'peer', message: messageOf(err) });
  }
  const appTls = config.outway.tls;
  if (appTls !== undefined) {
    try {
      await loadPeerTls({ trustAnchorFile: config.peer.trustAnchorPath, certFile: appTls.certificatePath, keyFile: appTls.keyPath });
    } catch (err) {
      issues.push({ path: 'outway.tls', message: messageOf(err) });
    }
  }
  const password = config.store.redisPasswordPath;
  if (password !== undefined) {
    try {
      await access(password, constants.R_OK);
    } catch (err) {
      issues.push({ path: 'store.redisPasswordPath', message: `cannot read ${password} (${(err as { code?: string }).code ?? 'unreadable'})` });
    }
  }
  // The data folder is created at start when missing: then its nearest existing parent must be writable.
  let folder = config.dataDir;
  for (;;) {
    try {
      const st = await stat(folder);
      if (!st.isDirectory()) issues.push({ path: 'dataDir', message: `${folder} is not a folder` });
      else await access(folder, constants.W_OK);
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' && dirname(folder) !== folder) {
        folder = dirname(folder);
        continue;
      }
      issues.push({ path: 'dataDir', message: `${folder} cannot be written (${code ?? 'unknown'})` });
      break;
    }
  }
  return issues;
}

export const configCheck = defineCommand({
  description:
    'Validate a configuration file together with the KOPPEL_* environment variables, as `koppel <role>` would at start. Prints OK, or every problem (exit 2).',
  positionals: ['FILE'],
  options: {
    'ignore-env': { type: 'boolean', description: 'check the file alone, without KOPPEL_* environment variables' },
    print: { type: 'boolean', description: 'print the effective configuration (defaults applied) as JSON' },
    'skip-files': {
      type: 'boolean',
      description: 'check the configuration alone, not the files it names (a template, certificates not issued yet)',
    },
  },
  examples: [
    'koppel config check /etc/koppel/peer.json',
    'koppel config check config/example.json --skip-files',
    'KOPPEL_MANAGER_LISTEN_PORT=9443 koppel config check peer.json --print',
  ],
  async run({ values, positionals, io }) {
    const [file = ''] = positionals;
    const report = (issues: readonly ConfigIssue[]): number => {
      const n = issues.length;
      io.stderr.write(`${file}: ${n} problem${n === 1 ? '' : 's'}\n${issues.map((i) => `  ${formatIssue(i)}\n`).join('')}`);
      return ExitCode.usage;
    };
    let config: KoppelConfig;
    try {
      config = await loadConfig({
        path: resolve(io.cwd, file),
        env: values['ignore-env'] === true ? {} : io.env,
      });
    } catch (err) {
      if (!isConfigError(err)) throw err;
      return report(err.issues);
    }
    if (values['skip-files'] !== true) {
      const problems = await fileProblems(config);
      if (problems.length > 0) return report(problems);
    }
    io.stdout.write(values.print === true ? `${JSON.stringify(config, redactUrlPasswords, 2)}\n` : `OK ${file}\n`);
    return ExitCode.ok;
  },
});
