// Builds the console's admin operations from the manager's service API, in-process. A contract is shown
// exactly as the admin API shows it: the view comes from the manager's face (toAdminContract), so the
// console and `GET /admin/v1/contracts` cannot drift apart. The service itself is typed structurally
// (ManagerServiceLike) so a test or an assembly can hand in anything with these methods.
import type { ContractView } from '../manager/index.ts';
import { createPeerNames, toAdminContract } from './contract-view.ts';
import type { SignatureType } from '../protocol/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { AdminContract } from './contract-view.ts';
import type { GroupService } from './group-services.ts';

export type SignAction = 'accept' | 'reject' | 'revoke';

/** The admin operations the console calls (in-process, beside the admin API). */
export interface ConsoleAdmin {
  /** Every contract in the store (the operator's view). */
  listContracts(): Promise<AdminContract[]>;
  /** Place this peer's signature; rejects with an Error whose message may be shown to the operator. */
  signContract(hash: string, action: SignAction): Promise<unknown>;
  /** The group's services from the directory, with health; rejects when the directory is unreachable. */
  listGroupServices(): Promise<GroupService[]>;
}

/** The parts of the manager's ManagerService the console calls. */
export interface ManagerServiceLike {
  readonly peerId: string;
  listContracts(options: {
    limit: number;
    cursor?: string;
    sortOrder?: 'SORT_ORDER_ASCENDING' | 'SORT_ORDER_DESCENDING';
  }): Promise<{
    contracts: ContractView[];
    nextCursor?: string;
  }>;
  sign(contentHash: string, type: SignatureType): Promise<unknown>;
}

export interface ConsoleAdminFromOptions {
  service: ManagerServiceLike;
  store: Pick<ManagerStore, 'getPeer'>;
  /** The group's services (the directory's view, or the admin API's remote directory); absent: none. */
  groupServices?: { listServices(): Promise<GroupService[]> } | undefined;
  /** This peer's name, for its own id on contracts. */
  peerName?: string;
}

const PAGE = 500;
/** Most contracts the console lists; an operator page with more is not usable anyway. */
const MAX_CONTRACTS = 5_000;

/** The console's admin operations on top of the manager's service (in-process, no HTTP). */
export function consoleAdminFrom(options: ConsoleAdminFromOptions): ConsoleAdmin {
  const { service, store } = options;
  return {
    async listContracts() {
      const views: ContractView[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.listContracts({
          limit: PAGE,
          sortOrder: 'SORT_ORDER_DESCENDING',
          ...(cursor === undefined ? {} : { cursor }),
        });
        views.push(...page.contracts);
        cursor = page.nextCursor;
      } while (cursor !== undefined && views.length < MAX_CONTRACTS);
      const nameOf = createPeerNames(store, { peerId: service.peerId, peerName: options.peerName });
      return Promise.all(views.map((v) => toAdminContract(v, service.peerId, nameOf)));
    },
    signContract: (hash, action) => service.sign(hash, action),
    listGroupServices: () => options.groupServices?.listServices() ?? Promise.resolve([]),
  };
}
