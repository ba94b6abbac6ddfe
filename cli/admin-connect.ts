// `koppel connect PEER_ID SERVICE`: request a connection to another peer's service through the
// admin API (a ServiceConnection contract the provider's operator then accepts).
import { adminOptions, createAdminClient, reportAdminError, resolveAdminTarget } from './admin-client.ts';
import type { AdminContract } from '../gateway/admin/index.ts';
import { defineCommand, UsageError } from './command.ts';
import { ExitCode } from './io.ts';

export const connect = defineCommand({
  description:
    "Ask PEER_ID for access to its SERVICE: a ServiceConnection contract for this peer's outway key is signed and sent to the provider, whose operator accepts it (`koppel contracts accept`).",
  positionals: ['PEER_ID', 'SERVICE'],
  options: {
    'validity-days': { type: 'string', valueName: 'DAYS', description: 'how long the contract runs (default 365)' },
    ...adminOptions,
  },
  examples: ['koppel connect --config peer.json 00000001234567890000 basisregistratie'],
  async run({ values, positionals, io, meta }) {
    const [peerId = '', service = ''] = positionals;
    const body: Record<string, unknown> = { peerId, service };
    if (values['validity-days'] !== undefined) {
      const days = Number(values['validity-days']);
      if (!Number.isInteger(days) || days < 1) throw new UsageError('--validity-days must be a whole number of days');
      body.validityDays = days;
    }
    const target = await resolveAdminTarget(values, io);
    try {
      const { contract } = await createAdminClient(target, io).call<{ contract: AdminContract }>(
        'POST',
        '/admin/connections',
        body,
      );
      if (values.json === true) io.stdout.write(`${JSON.stringify(contract, null, 2)}\n`);
      else {
        io.stdout.write(
          `connection to ${service} of ${peerId} requested\n  contract ${contract.hash} (${contract.state}, waiting for ${contract.missingSigners.join(', ') || 'nobody'})\n`,
        );
      }
      return ExitCode.ok;
    } catch (err) {
      return reportAdminError(err, io, meta.name);
    }
  },
});
