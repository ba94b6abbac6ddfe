// What the console needs from the rest of the peer, as plain structural types: the console sits beside
// the manager and the directory (imports point down), so whoever mounts it adapts the admin API's
// functions to these shapes (the admin API's AdminContract and GroupService already fit).
import type { Logger } from '../runtime/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { TxLog } from '../txlog/index.ts';

export type ContractStateName = 'proposed' | 'valid' | 'rejected' | 'revoked' | 'expired';
export type SignAction = 'accept' | 'reject' | 'revoke';
export type HealthStatusName = 'up' | 'down' | 'unknown';

export interface ConsoleGrant {
  type: string;
  hash: string;
  service: { peerId: string; name: string; protocol?: string; delegatorPeerId?: string };
  outway?: { peerId: string; publicKeyThumbprint: string };
  directory?: { peerId: string };
  delegator?: { peerId: string };
}

/** A contract as the operator sees it (the admin API's AdminContract). */
export interface ConsoleContract {
  hash: string;
  state: ContractStateName;
  /** Unix seconds. */
  createdAt: number;
  validity: { notBefore: number; notAfter: number };
  grants: ConsoleGrant[];
  peers: { id: string; name: string }[];
  signatures: { accept: string[]; reject: string[]; revoke: string[] };
  missingSigners: string[];
  /** This peer still has to accept or reject it. */
  pendingForMe: boolean;
}

export interface ConsoleServiceHealth {
  status: HealthStatusName;
  /** Unix seconds. */
  checkedAt?: number;
  latencyMs?: number;
  since?: number;
  reason?: string;
}

/** One service of the group as the directory lists it (the admin API's GroupService). */
export interface ConsoleGroupService {
  peer: { id: string; name: string };
  name: string;
  protocol: string;
  delegator?: { id: string; name: string };
  inwayAddress?: string;
  health: ConsoleServiceHealth;
}

/** The admin operations the console calls. */
export interface ConsoleAdmin {
  /** Every contract in the store (the operator's view). */
  listContracts(): Promise<ConsoleContract[]>;
  /** Place this peer's signature; rejects with an Error whose message may be shown to the operator. */
  signContract(hash: string, action: SignAction): Promise<unknown>;
  /** The group's services from the directory, with health; rejects when the directory is unreachable. */
  listGroupServices(): Promise<ConsoleGroupService[]>;
}

export interface ConsoleOptions {
  /** This peer's manager store: own services (`listServices`) and peer names (`getPeer`). */
  store: Pick<ManagerStore, 'listServices' | 'getPeer'>;
  txlog: Pick<TxLog, 'query' | 'stream' | 'tail'>;
  admin: ConsoleAdmin;
  /** The admin bearer token, or a function reading it (e.g. from the token file). Never rendered. */
  adminToken: string | (() => Promise<string>);
  peerId: string;
  peerName?: string;
  logger: Logger;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Session idle timeout; default 30 minutes. */
  sessionIdleMs?: number;
  /** Session lifetime; default 12 hours. */
  sessionMaxAgeMs?: number;
  /**
   * Host names (without port) the console answers to; default loopback names only, so a web site
   * that rebinds its DNS name to 127.0.0.1 cannot use the operator's browser against the console.
   */
  allowedHosts?: readonly string[];
  /** Keep-alive comment interval of the live tail; default 15 000. */
  liveKeepAliveMs?: number;
}
