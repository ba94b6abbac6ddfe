// Our internal views in the exact shapes of manager.yaml.
import type { Contract } from '../protocol/index.ts';
import type { PeerRecord } from '../store/index.ts';
import type { ContractView } from './types.ts';

/** manager.yaml `contract`: `{content, signatures: {accept, reject, revoke}}`. */
export function toWireContract(view: ContractView): Contract {
  return {
    content: view.content,
    signatures: {
      accept: { ...view.signatures.accept },
      reject: { ...view.signatures.reject },
      revoke: { ...view.signatures.revoke },
    },
  };
}

/** manager.yaml `peer`: `{id, name, manager_address}`. */
export function toWirePeer(peer: PeerRecord): { id: string; name: string; manager_address: string } {
  return { id: peer.id, name: peer.name, manager_address: peer.managerAddress };
}
