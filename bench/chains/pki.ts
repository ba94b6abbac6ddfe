// One development group CA and a certificate per peer, made with `koppel pki init|issue` as a user would.
// The reference chains use the same certificates (provider = inway server, consumer = outway client), so
// every chain pays for the same keys.
import { join } from 'node:path';
import type { Supervisor } from '../processes.ts';
import { koppelCli } from './koppel-cli.ts';

export const PEERS = {
  directory: { oin: '00000001000000000001', name: 'Bench Directory' },
  provider: { oin: '00000001000000000002', name: 'Bench Provider' },
  consumer: { oin: '00000001000000000003', name: 'Bench Consumer' },
} as const;
export type PeerLabel = keyof typeof PEERS;

export interface PeerFiles {
  /** Certificate followed by the CA. */
  certificatePath: string;
  keyPath: string;
}

export interface BenchPki {
  groupId: string;
  caPath: string;
  peers: Record<PeerLabel, PeerFiles>;
}

export const GROUP_ID = 'koppel-bench';

export async function createBenchPki(supervisor: Supervisor, repoRoot: string, dir: string): Promise<BenchPki> {
  const pkiDir = join(dir, 'pki');
  await koppelCli(supervisor, repoRoot, 'pki init', ['pki', 'init', '--group', GROUP_ID, '--dir', pkiDir]);
  const labels = Object.keys(PEERS) as PeerLabel[];
  await Promise.all(
    labels.map((label) =>
      koppelCli(supervisor, repoRoot, `pki issue ${label}`, [
        'pki',
        'issue',
        '--dir',
        pkiDir,
        '--oin',
        PEERS[label].oin,
        '--name',
        PEERS[label].name,
        '--host',
        'localhost,127.0.0.1',
        '--out',
        join(pkiDir, label),
      ]),
    ),
  );
  const files = (label: PeerLabel): PeerFiles => ({
    certificatePath: join(pkiDir, `${label}.pem`),
    keyPath: join(pkiDir, `${label}.key.pem`),
  });
  return {
    groupId: GROUP_ID,
    caPath: join(pkiDir, 'ca.pem'),
    peers: { directory: files('directory'), provider: files('provider'), consumer: files('consumer') },
  };
}
