// Where is a peer's manager? fsc-core "Peer listing"/"Announce": every peer announces itself to the
// directory, so the directory's GET /v1/peers knows every manager address; peers that talked to us
// are in our own store already (their Fsc-Manager-Address).
import type { Logger } from '../../runtime/index.ts';
import type { ManagerStore } from '../../store/index.ts';
import { isManagerAddress } from './manager-address.ts';
import type { PeerClient } from './peer-client.ts';

export interface PeerDirectory {
  /** The manager address of a peer, or undefined when neither we nor the directory know it. */
  addressOf(peerId: string): Promise<string | undefined>;
}

export interface PeerDirectoryOptions {
  store: ManagerStore;
  peerClient: PeerClient;
  logger: Logger;
  clock: () => number;
  /** The directory's manager address; absent for the directory itself. */
  directoryAddress?: string | undefined;
  /** The directory's peer id when configured; otherwise asked from the directory (GET /v1/peer) once. */
  directoryPeerId?: string | undefined;
}

interface WirePeer {
  id?: unknown;
  name?: unknown;
  manager_address?: unknown;
}

export function createPeerDirectory(options: PeerDirectoryOptions): PeerDirectory {
  const { store, peerClient, logger, clock, directoryAddress } = options;
  let directoryPeerId = options.directoryPeerId;

  /** The directory does not list itself in its peers, so it is recognised by its peer id. */
  async function isDirectory(peerId: string): Promise<boolean> {
    if (directoryAddress === undefined) return false;
    if (directoryPeerId === undefined) {
      try {
        const res = await peerClient.getPeerInfo(directoryAddress);
        const id = (res.body as { peer_id?: unknown } | undefined)?.peer_id;
        if (res.status === 200 && typeof id === 'string') directoryPeerId = id;
      } catch (err) {
        logger.warn({ err }, 'directory unreachable for its peer info');
      }
    }
    return directoryPeerId === peerId;
  }

  async function askDirectory(peerId: string): Promise<string | undefined> {
    if (directoryAddress === undefined) return undefined;
    let body: unknown;
    try {
      const res = await peerClient.getPeers(directoryAddress, [peerId]);
      if (res.status !== 200) {
        logger.warn({ peerId, status: res.status }, 'directory peer lookup failed');
        return undefined;
      }
      body = res.body;
    } catch (err) {
      logger.warn({ err, peerId }, 'directory unreachable for peer lookup');
      return undefined;
    }
    const peers = (body as { peers?: unknown } | undefined)?.peers;
    if (!Array.isArray(peers)) return undefined;
    for (const p of peers as WirePeer[]) {
      if (p.id !== peerId || typeof p.name !== 'string' || !isManagerAddress(p.manager_address)) continue;
      await store.upsertPeer({ id: peerId, name: p.name, managerAddress: p.manager_address, seenAt: clock() });
      return p.manager_address;
    }
    return undefined;
  }

  return {
    async addressOf(peerId) {
      const known = await store.getPeer(peerId);
      if (known !== undefined) return known.managerAddress;
      if (await isDirectory(peerId)) return directoryAddress;
      return askDirectory(peerId);
    },
  };
}
