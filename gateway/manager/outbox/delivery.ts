// Sends one outbox item to its peer and classifies the answer for the worker.
import { upstreamErrorFor } from '../../runtime/index.ts';
import type { OutboxItem } from '../../store/index.ts';
import type { DeliveryOutcome } from './worker.ts';
import { readPayload } from './messages.ts';
import type { PeerClient, PeerResponse } from '../peers/peer-client.ts';
import type { PeerDirectory } from '../peers/peer-directory.ts';

export interface DeliveryOptions {
  peerClient: PeerClient;
  peerDirectory: PeerDirectory;
}

/**
 * 2xx: delivered. 409: the peer has it already. 404 (e.g. a peer that does not know the contract yet),
 * 408, 425, 429 and 5xx: try again. Any other 4xx: the peer refuses the content itself, so repeating
 * the same bytes cannot succeed.
 */
export function classify(res: PeerResponse): DeliveryOutcome {
  const s = res.status;
  if ((s >= 200 && s < 300) || s === 409) return { result: 'delivered' };
  const error = `HTTP ${s}${res.errorCode === undefined ? '' : ` ${res.errorCode}`}`;
  if (s === 404 || s === 408 || s === 425 || s === 429 || s >= 500) return { result: 'retry', error };
  return { result: 'rejected', error };
}

function networkError(err: unknown): string {
  const { kind, code } = upstreamErrorFor(err);
  return code === undefined ? kind : `${kind} (${code})`;
}

export function createDelivery(options: DeliveryOptions): (item: OutboxItem) => Promise<DeliveryOutcome> {
  const { peerClient, peerDirectory } = options;
  return async function deliver(item) {
    const payload = readPayload(item.payload);
    if (payload === undefined) return { result: 'rejected', error: 'unreadable outbox payload' };
    const address = payload.op === 'announce' ? payload.address : await peerDirectory.addressOf(item.peerId);
    if (address === undefined) return { result: 'retry', error: 'manager address of peer unknown' };
    try {
      switch (payload.op) {
        case 'announce':
          return classify(await peerClient.announce(address));
        case 'contract':
          return classify(
            await peerClient.submitContract(address, { contract_content: payload.content, signature: payload.signature }),
          );
        case 'signature':
          return classify(
            await peerClient.putSignature(address, payload.contentHash, payload.type, {
              contract_content: payload.content,
              signature: payload.signature,
            }),
          );
      }
    } catch (err) {
      return { result: 'retry', error: networkError(err) };
    }
  };
}
