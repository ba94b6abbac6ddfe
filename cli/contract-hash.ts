/**
 * `koppel contract hash FILE [--scheme jcs|fsc-1.1]`: print the content hash and every grant hash of a
 * contract, one per line:
 *
 *   content $1$1$…
 *   grant[0] $1$3$…
 *
 * FILE holds a contract (`{"content": …, "signatures": …}`), a submit body (`{"contract_content": …}`)
 * or the content alone. Exit codes: 0 printed, 1 FILE unreadable, 2 usage error or invalid contract.
 */
import {
  contentHash,
  ContractValidationError,
  formatIssue,
  grantHashes,
  isFscError,
  parseContractContent,
} from '../gateway/protocol/index.ts';
import type { ContractContent, HashScheme } from '../gateway/protocol/index.ts';

export interface ContractHashIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  readFile(path: string): Promise<string | Uint8Array>;
}

const USAGE = 'usage: koppel contract hash FILE [--scheme jcs|fsc-1.1]\n';
const SCHEMES: readonly HashScheme[] = ['jcs', 'fsc-1.1'];

/** Run `koppel contract hash` with the arguments after `hash`; resolves to the exit code. */
export async function runContractHash(args: string[], io: ContractHashIo): Promise<number> {
  const parsed = parseArgs(args);
  if ('help' in parsed) {
    io.stdout.write(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr.write(`koppel contract hash: ${parsed.error}\n${USAGE}`);
    return 2;
  }

  let text: string;
  try {
    const raw = await io.readFile(parsed.file);
    text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? ` (${String(err.code)})` : '';
    io.stderr.write(`koppel contract hash: cannot read ${parsed.file}${code}\n`);
    return 1;
  }

  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    io.stderr.write(
      `koppel contract hash: ${parsed.file} is not JSON: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 2;
  }

  let content: ContractContent;
  let hashes: { content: string; grants: string[] };
  try {
    content = parseContractContent(...locateContent(doc));
    hashes = { content: contentHash(content, parsed.scheme), grants: grantHashes(content, parsed.scheme) };
  } catch (err) {
    if (err instanceof ContractValidationError) {
      io.stderr.write(`koppel contract hash: invalid contract in ${parsed.file}\n`);
      for (const issue of err.issues) io.stderr.write(`  ${formatIssue(issue)}\n`);
      return 2;
    }
    if (isFscError(err)) {
      io.stderr.write(`koppel contract hash: invalid contract in ${parsed.file}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const lines = [`content ${hashes.content}`, ...hashes.grants.map((h, i) => `grant[${i}] ${h}`)];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

type ParsedArgs = { file: string; scheme: HashScheme } | { error: string } | { help: true };

function parseArgs(args: readonly string[]): ParsedArgs {
  let file: string | undefined;
  let scheme: HashScheme = 'jcs';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    let value: string | undefined;
    if (arg === '--scheme') {
      value = args[++i];
      if (value === undefined) return { error: '--scheme needs a value (jcs or fsc-1.1)' };
    } else if (arg.startsWith('--scheme=')) {
      value = arg.slice('--scheme='.length);
    } else if (arg.startsWith('-') && arg !== '-') {
      return { error: `unknown option ${arg}` };
    } else {
      if (file !== undefined) return { error: 'only one FILE can be given' };
      file = arg;
      continue;
    }
    if (!(SCHEMES as readonly string[]).includes(value)) return { error: `unknown scheme ${value} (jcs or fsc-1.1)` };
    scheme = value as HashScheme;
  }
  if (file === undefined) return { error: 'FILE is missing' };
  return { file, scheme };
}

/** The content inside a contract document, and the path prefix for messages about it. */
function locateContent(doc: unknown): [unknown, { path: string }] {
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && !Object.hasOwn(doc, 'iv')) {
    if (Object.hasOwn(doc, 'content')) return [(doc as { content: unknown }).content, { path: 'content' }];
    if (Object.hasOwn(doc, 'contract_content')) {
      return [(doc as { contract_content: unknown }).contract_content, { path: 'contract_content' }];
    }
  }
  return [doc, { path: '' }];
}
