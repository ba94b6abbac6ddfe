// data/demo/federation.json: everything a person or a test needs to talk to the running demo —
// URLs, peer ids, certificate and key paths per organisation, the contracts and the grant hash.
// Paths only, never key material (secrets are file paths, STYLE.md "Config").
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { DemoOrgLabel } from './pki.ts';

export const FEDERATION_FILE = 'federation.json';

export interface FederationOrganisation {
  label: DemoOrgLabel;
  /** FSC peer id: the OIN in the certificate's Subject serialNumber. */
  peerId: string;
  name: string;
  /** Leaf certificate followed by the CA (what the organisation presents on mTLS). */
  certificatePath: string;
  keyPath: string;
  /** FSC Manager API (`/v1`, mTLS with a certificate of the group). */
  managerUrl: string;
  /** Local admin API (bearer token from `adminTokenPath`) and the operator console. */
  adminUrl: string;
  adminTokenPath: string;
  /** The operator console (log in with the admin token). */
  consoleUrl: string;
  /** The directory's service catalogue page (directory only). */
  catalogueUrl?: string;
  dataDir: string;
  /**
   * This organisation's configuration as a file (absolute paths, defaults spelled out), for the
   * commands that take `--config`: `koppel logs verify|export`, `koppel config check`.
   */
  configPath: string;
  /** The SQLite transaction log of this organisation. */
  txlogPath: string;
  /** The process log (JSON lines) of this organisation's components. */
  logPath: string;
  inwayUrl?: string;
  outwayUrl?: string;
}

export interface FederationContract {
  contentHash: string;
  grantHash: string;
  /** True when this run negotiated the contract, false when it was found valid from an earlier run. */
  negotiatedNow: boolean;
}

export interface FederationInfo {
  version: 1;
  groupId: string;
  host: string;
  dataDir: string;
  trustAnchorPath: string;
  organisations: Record<DemoOrgLabel, FederationOrganisation>;
  /** The provider's internal person registry (behind the inway; not reachable for other organisations). */
  registryUrl: string;
  service: { name: string; providerPeerId: string; endpointUrl: string };
  contracts: { publication: FederationContract; connection: FederationContract };
  /** Grant hash of the demo ServiceConnectionGrant (for `Fsc-Grant-Hash`). */
  grantHash: string;
  examples: {
    bsn: string;
    /** `GET` through the outway, friendly address form `/{providerOIN}/{service}/…`. */
    friendlyUrl: string;
    /** `GET` through the outway, FSC form: this URL with header `Fsc-Grant-Hash`. */
    fscUrl: string;
  };
  startedAt: string;
}

/** Writes the file atomically (a reader never sees half of it). */
export async function writeFederationFile(path: string, info: FederationInfo): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

export async function readFederationFile(path: string): Promise<FederationInfo> {
  return JSON.parse(await readFile(path, 'utf8')) as FederationInfo;
}
