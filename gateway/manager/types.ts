// Types shared by the manager's files (the public ones are re-exported by index.ts).
import type { KeyObject, X509Certificate } from 'node:crypto';
import type {
  ContractContent,
  ContractSignatures,
  Grant,
  HashAlgorithm,
  SignatureType,
  Validity,
} from '../protocol/index.ts';
import type { ContractState } from '../protocol/index.ts';

/** Milliseconds since the Unix epoch (the same shape as the store's clock). */
export type Clock = () => number;

/** The peer on the other end of an mTLS connection, from its verified client certificate. */
export interface CallerIdentity {
  peerId: string;
  name: string;
  /** Leaf first, then any intermediates the client sent. */
  chain: readonly X509Certificate[];
}

/** This peer's own identity and signing material. */
export interface SelfIdentity {
  peerId: string;
  name: string;
  /** Our certificate chain as configured, leaf first. */
  chain: readonly X509Certificate[];
  privateKey: KeyObject;
}

/** A contract as the manager's service API hands it out. */
export interface ContractView {
  contentHash: string;
  content: ContractContent;
  signatures: ContractSignatures;
  /** At the time of the call. */
  state: ContractState;
  /** In the order of `content.grants`. */
  grantHashes: string[];
  /** Required signers that have not accepted yet. */
  missingSigners: string[];
}

/** What an initiator supplies; the manager fills iv, group id, hash algorithm and created_at. */
export interface ContractDraft {
  grants: Grant[];
  validity: Validity;
  iv?: string;
  /** Unix seconds; default now. */
  created_at?: number;
  hash_algorithm?: HashAlgorithm;
}

export interface ContractReceivedEvent {
  /** The peer that sent it (its certificate). */
  from: string;
  contract: ContractView;
}

export interface SignatureReceivedEvent {
  from: string;
  type: SignatureType;
  contract: ContractView;
}

/**
 * Extension points, e.g. for the directory role (auto-signing publication contracts). Hooks run after
 * the request was answered; a hook that throws is logged and does not affect the request.
 */
export interface ManagerHooks {
  /** A contract we had not seen arrived from another peer and was stored. */
  onContractReceived?(event: ContractReceivedEvent): void | Promise<void>;
  /** Another peer's signature was verified and stored. */
  onSignatureReceived?(event: SignatureReceivedEvent): void | Promise<void>;
}
