// The development PKI of the demo federation: one group CA and a certificate for each demo
// organisation, created on first run under <dataDir>/pki and reused afterwards. Keys are written
// mode 0600 by certs/ and never overwritten (a replaced key would orphan every contract that binds it).
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CA_CERT_FILE, CA_KEY_FILE, initGroupCa, issuePeerCertificate } from '../certs/index.ts';
import { peerFromCertificate } from '../gateway/protocol/index.ts';

export const DEMO_GROUP_ID = 'koppel-demo';
/** Every demo component listens on loopback; the certificates name both spellings of it. */
export const DEMO_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

export type DemoOrgLabel = 'directory' | 'provider' | 'consumer';

/** The demo organisations. OINs are fake but well-formed (20 digits, fsc-core "Peer ID"). */
export const DEMO_PEERS = [
  { label: 'directory', oin: '00000000000000000001', name: 'Koppel Demo Directory' },
  { label: 'provider', oin: '00000000000000000002', name: 'Gemeente Stroomveld' },
  { label: 'consumer', oin: '00000000000000000003', name: 'Gemeente Buurdorp' },
] as const satisfies readonly { label: DemoOrgLabel; oin: string; name: string }[];

export interface DemoPkiPeer {
  label: DemoOrgLabel;
  /** Read from the certificate (Subject serialNumber), so a PKI made by an older demo still works. */
  oin: string;
  /** Read from the certificate (Subject O). */
  name: string;
  /** Leaf certificate followed by the CA certificate. */
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
    const identity = peerFromCertificate(await readFile(certPath, 'utf8'));
    peers.push({ label: peer.label, oin: identity.peerId, name: identity.name, certPath, keyPath, created });
  }
  return { dir, caPath, created: caCreated, peers };
}

/** The PKI entry of one organisation (always present: ensureDemoPki makes all three). */
export function demoPeer(pki: DemoPki, label: DemoOrgLabel): DemoPkiPeer {
  const peer = pki.peers.find((p) => p.label === label);
  if (peer === undefined) throw new Error(`the demo PKI has no ${label} certificate`);
  return peer;
}
