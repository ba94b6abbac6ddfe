// What the outbox holds, and how our own contracts and signatures are put into it: one item per
// (message, receiving peer), with an id derived from both, so queueing the same thing twice is a no-op.
import { peersOnContract } from '../../protocol/index.ts';
import type { ContractContent, SignatureType } from '../../protocol/index.ts';
import type { ManagerStore } from '../../store/index.ts';

export type OutboxPayload =
  | { op: 'contract'; contentHash: string; content: ContractContent; signature: string }
  | { op: 'signature'; contentHash: string; type: SignatureType; content: ContractContent; signature: string }
  | { op: 'announce'; address: string };

export interface EnqueueOptions {
  store: ManagerStore;
  selfPeerId: string;
  now: number;
}

/** Every peer on the contract except us. */
export function receiversOf(content: ContractContent, selfPeerId: string): string[] {
  return peersOnContract(content).filter((p) => p !== selfPeerId);
}

/** Queue our submission (content + our accept signature) for every other peer on the contract. */
export async function enqueueContract(
  options: EnqueueOptions,
  contentHash: string,
  content: ContractContent,
  signature: string,
): Promise<number> {
  let queued = 0;
  for (const peerId of receiversOf(content, options.selfPeerId)) {
    const payload: OutboxPayload = { op: 'contract', contentHash, content, signature };
    const isNew = await options.store.enqueue({
      id: `contract:${contentHash}:${peerId}`,
      peerId,
      kind: 'contract',
      payload,
      nextAttemptAt: options.now,
    });
    if (isNew) queued++;
  }
  return queued;
}

/** Queue one of our signatures for every other peer on the contract. */
export async function enqueueSignature(
  options: EnqueueOptions,
  contentHash: string,
  content: ContractContent,
  type: SignatureType,
  signature: string,
): Promise<number> {
  let queued = 0;
  for (const peerId of receiversOf(content, options.selfPeerId)) {
    const payload: OutboxPayload = { op: 'signature', contentHash, type, content, signature };
    const isNew = await options.store.enqueue({
      id: `signature:${contentHash}:${type}:${peerId}`,
      peerId,
      kind: 'signature',
      payload,
      nextAttemptAt: options.now,
    });
    if (isNew) queued++;
  }
  return queued;
}

/** Queue an announcement of our manager address to a peer (the directory, at start). */
export async function enqueueAnnounce(options: EnqueueOptions, peerId: string, address: string): Promise<boolean> {
  const payload: OutboxPayload = { op: 'announce', address };
  return options.store.enqueue({ id: `announce:${peerId}:${address}`, peerId, kind: 'announce', payload, nextAttemptAt: options.now });
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** The payload as stored, checked (an item from an older version or a damaged store is refused). */
export function readPayload(payload: unknown): OutboxPayload | undefined {
  if (!isObject(payload)) return undefined;
  switch (payload.op) {
    case 'contract':
      if (typeof payload.contentHash === 'string' && isObject(payload.content) && typeof payload.signature === 'string') {
        return payload as OutboxPayload;
      }
      return undefined;
    case 'signature':
      if (
        typeof payload.contentHash === 'string' &&
        isObject(payload.content) &&
        typeof payload.signature === 'string' &&
        (payload.type === 'accept' || payload.type === 'reject' || payload.type === 'revoke')
      ) {
        return payload as OutboxPayload;
      }
      return undefined;
    case 'announce':
      return typeof payload.address === 'string' ? (payload as OutboxPayload) : undefined;
    default:
      return undefined;
  }
}
