// What the admin routes share: the manager's operations, the store, how to find the directory, and
// the key our outway presents (for connection requests).
import type { KoppelConfig } from '../../config/index.ts';
import { FscError } from '../protocol/index.ts';
import type { Logger } from '../runtime/index.ts';
import type { ListContractsOptions, ManagerStore } from '../store/index.ts';
import type { ManagerService } from '../manager/index.ts';
import type { GroupServicesSource } from './group-services.ts';
import { noDirectory } from './publication.ts';
import type { PeerClient } from '../manager/index.ts';
import type { Clock, ContractView } from '../manager/index.ts';

export interface AdminContext {
  config: KoppelConfig;
  logger: Logger;
  store: ManagerStore;
  service: ManagerService;
  clock: Clock;
  /** Where the group's services come from; undefined when no directory is configured. */
  groupServices: GroupServicesSource | undefined;
  /** The directory's peer id (config, or asked from the directory once). */
  directoryPeerId(): Promise<string>;
  /** Hex SHA-256 of our outway's public key (contracts bind the outway by it). */
  outwayPublicKeyThumbprint: string;
}

const PAGE = 500;

/** Every stored contract matching `filter`, page by page (the operator's view, not a peer's). */
export async function* allContracts(
  service: ManagerService,
  filter: Omit<ListContractsOptions, 'limit' | 'cursor'>,
): AsyncGenerator<ContractView> {
  let cursor: string | undefined;
  do {
    const page = await service.listContracts({ ...filter, limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.contracts;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

export interface DirectoryPeerIdOptions {
  config: KoppelConfig;
  selfPeerId: string;
  peerClient: PeerClient;
}

/** Resolves the directory's peer id once and remembers it. */
export function directoryPeerIdResolver(options: DirectoryPeerIdOptions): () => Promise<string> {
  const { config, selfPeerId, peerClient } = options;
  let known: string | undefined = config.manager.mode === 'directory' ? selfPeerId : config.manager.directoryPeerId;
  return async () => {
    if (known !== undefined) return known;
    const address = config.manager.directoryAddress;
    if (address === undefined) throw noDirectory();
    let id: unknown;
    try {
      const res = await peerClient.getPeerInfo(address);
      id = res.status === 200 ? (res.body as { peer_id?: unknown } | undefined)?.peer_id : undefined;
    } catch (err) {
      throw new FscError('ERROR_CODE_PEER_UNREACHABLE', 'the directory could not be reached', {
        cause: err,
        reason: 'directory-unreachable',
      });
    }
    if (typeof id !== 'string' || id === '') {
      throw new FscError('ERROR_CODE_PEER_UNREACHABLE', 'the directory did not tell its peer id', {
        reason: 'directory-bad-answer',
      });
    }
    known = id;
    return id;
  };
}
