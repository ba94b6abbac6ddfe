// `koppel contracts list|accept|reject|revoke`, through the admin API.
// A HASH argument may be the full content hash or a unique prefix of it (as the table shows it).
import {
  adminOptions,
  createAdminClient,
  reportAdminError,
  resolveAdminTarget,
  type CliAdminClient,
} from './admin-client.ts';
import { formatTime, grantLabel, renderTable, shortHash } from './admin-table.ts';
import type { AdminContract } from '../gateway/admin/index.ts';
import { defineCommand, UsageError, type CommandRun } from './command.ts';
import { ExitCode } from './io.ts';

/** SHA3-512 in base64url without padding is 86 characters; `$1$1$` in front. */
const FULL_HASH = /^\$1\$1\$[A-Za-z0-9_-]{86}$/;
const MAX_CONTRACTS = 100_000;

async function allContracts(client: CliAdminClient, query: URLSearchParams): Promise<AdminContract[]> {
  const out: AdminContract[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '1000');
    if (cursor !== null) q.set('cursor', cursor);
    const page: { contracts: AdminContract[]; nextCursor: string | null } = await client.call(
      'GET',
      `/admin/contracts?${q.toString()}`,
    );
    out.push(...page.contracts);
    cursor = page.nextCursor;
  } while (cursor !== null && out.length < MAX_CONTRACTS);
  return out;
}

function serviceOf(contract: AdminContract): string {
  const names = [...new Set(contract.grants.map((g) => `${g.service.name}@${g.service.peerId}`))];
  return names.join(', ');
}

export function renderContracts(contracts: readonly AdminContract[]): string {
  if (contracts.length === 0) return 'no contracts\n';
  return renderTable(
    ['HASH', 'STATE', 'TYPE', 'SERVICE', 'OUTWAY', 'CREATED', 'WAITING FOR'],
    contracts.map((c) => [
      shortHash(c.hash),
      c.pendingForMe ? `${c.state} (you)` : c.state,
      [...new Set(c.grants.map((g) => grantLabel(g.type)))].join(','),
      serviceOf(c),
      [...new Set(c.grants.flatMap((g) => (g.outway === undefined ? [] : [g.outway.peerId])))].join(','),
      formatTime(c.createdAt),
      c.state === 'proposed' ? c.missingSigners.join(',') : '',
    ]),
  );
}

export const contractsList = defineCommand({
  description:
    'List the contracts of this peer with their state, the peers on them and who still has to accept. "(you)" marks contracts waiting for your decision.',
  options: {
    state: { type: 'string', valueName: 'STATE[,STATE]', description: 'proposed, valid, rejected, revoked or expired' },
    pending: { type: 'boolean', description: 'only contracts waiting for this peer to accept or reject' },
    type: {
      type: 'string',
      valueName: 'TYPE',
      description: 'publication, connection, delegated-publication or delegated-connection',
    },
    ...adminOptions,
  },
  examples: [
    'koppel contracts list --config peer.json --pending',
    'koppel contracts list --config peer.json --state valid --json',
  ],
  async run({ values, io, meta }) {
    const target = await resolveAdminTarget(values, io);
    const query = new URLSearchParams();
    if (values.state !== undefined) query.set('state', values.state);
    if (values.pending === true) query.set('pending', 'true');
    if (values.type !== undefined) query.set('type', values.type);
    try {
      const contracts = await allContracts(createAdminClient(target, io), query);
      io.stdout.write(values.json === true ? `${JSON.stringify(contracts, null, 2)}\n` : renderContracts(contracts));
      return ExitCode.ok;
    } catch (err) {
      return reportAdminError(err, io, meta.name);
    }
  },
});

/** The full hash for a full hash or a unique prefix (a trailing `…` from the table is ignored). */
async function resolveHash(client: CliAdminClient, given: string): Promise<string> {
  const prefix = given.replace(/…$/, '').trim();
  if (FULL_HASH.test(prefix)) return prefix;
  if (prefix.length < 8)
    throw new UsageError(`"${given}" is too short to name a contract: give the hash or at least 8 characters of it`);
  const matches = (await allContracts(client, new URLSearchParams())).filter((c) => c.hash.startsWith(prefix));
  if (matches.length === 1) return matches[0]!.hash;
  if (matches.length === 0) throw new UsageError(`no contract hash starts with ${prefix}`);
  throw new UsageError(`${matches.length} contract hashes start with ${prefix}: give more characters`);
}

const PAST: Readonly<Record<'accept' | 'reject' | 'revoke', string>> = {
  accept: 'accepted',
  reject: 'rejected',
  revoke: 'revoked',
};

function signCommand(type: 'accept' | 'reject' | 'revoke', description: string): CommandRun {
  return defineCommand({
    description,
    positionals: ['HASH'],
    options: adminOptions,
    examples: [`koppel contracts ${type} --config peer.json '$1$1$Xq3…'`],
    async run({ values, positionals, io, meta }) {
      const target = await resolveAdminTarget(values, io);
      const client = createAdminClient(target, io);
      try {
        const hash = await resolveHash(client, positionals[0] ?? '');
        const { contract } = await client.call<{ contract: AdminContract }>(
          'POST',
          `/admin/contracts/${encodeURIComponent(hash)}/${type}`,
        );
        if (values.json === true) io.stdout.write(`${JSON.stringify(contract, null, 2)}\n`);
        else {
          const waiting =
            contract.state === 'proposed' && contract.missingSigners.length > 0
              ? `, waiting for ${contract.missingSigners.join(', ')}`
              : '';
          io.stdout.write(`${PAST[type]} ${contract.hash}\n  state ${contract.state}${waiting}\n`);
        }
        return ExitCode.ok;
      } catch (err) {
        return reportAdminError(err, io, meta.name);
      }
    },
  });
}

export const contractsAccept = signCommand(
  'accept',
  'Accept (sign) a contract; the signature is sent to every other peer on it. It is valid once every peer on it accepted.',
);
export const contractsReject = signCommand('reject', 'Reject a proposed contract; this ends it for good.');
export const contractsRevoke = signCommand(
  'revoke',
  'Revoke a contract; this ends it for good, for every peer on it (access tokens are no longer issued).',
);
