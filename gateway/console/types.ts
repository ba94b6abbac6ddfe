// What the console needs from the rest of the peer: the store and log it reads, and the admin
// operations (gateway/admin) it calls. Contracts and services are shown as the admin API shows them
// (AdminContract, GroupService), so the console and `GET /admin/contracts` cannot drift apart.
import type { ConsoleAdmin } from '../admin/index.ts';
import type { Logger } from '../runtime/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { TxLog } from '../txlog/index.ts';

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
