// The development PKI of the demo federation: one group CA and a certificate for each demo
// organisation, created on first run under data/demo/pki and reused afterwards.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CA_CERT_FILE, CA_KEY_FILE, initGroupCa, issuePeerCertificate } from '../certs/index.ts';

export const DEMO_GROUP_ID = 'koppel-demo';
export const DEMO_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

/** The demo organisations. OINs are fake but well-formed (20 digits). */
export const DEMO_PEERS = [
  { label: 'directory', oin: '00000000000000000001', name: 'Koppel Demo Directory' },
  { label: 'provider', oin: '00000000000000000002', name: 'Gemeente Voorbeeld' },
  { label: 'consumer', oin: '00000000000000000003', name: 'Gemeente Buurdorp' },
] as const;

export interface DemoPkiPeer {
  label: string;
  oin: string;
  name: string;
  certPath: string;
  keyPath: string;
  created: boolean;
}

export interface DemoPki {
  dir: string;
  caPath: string;
  created: boolean;
  peers: DemoPkiPeer[];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Creates what is missing of the demo PKI in `dir`; existing keys and certificates are kept. */
export async function ensureDemoPki(dir: string): Promise<DemoPki> {
  const caPath = join(dir, CA_CERT_FILE);
  const caCreated = !(await exists(join(dir, CA_KEY_FILE)));
  if (caCreated) await initGroupCa({ groupId: DEMO_GROUP_ID, dir });
  const peers: DemoPkiPeer[] = [];
  for (const peer of DEMO_PEERS) {
    const out = join(dir, peer.label);
    const certPath = `${out}.pem`;
    const keyPath = `${out}.key.pem`;
    const created = !(await exists(keyPath));
    if (created) await issuePeerCertificate({ dir, oin: peer.oin, name: peer.name, hosts: DEMO_HOSTS, out });
    peers.push({ ...peer, certPath, keyPath, created });
  }
  return { dir, caPath, created: caCreated, peers };
}
