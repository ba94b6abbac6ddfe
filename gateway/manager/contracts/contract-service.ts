// Contracts and signatures: receiving them from other peers (POST /contracts, PUT /contracts/{hash}/…)
// and creating our own (the initiator and signer side, used by the admin API). Every check runs
// before the first write, so a refused request leaves nothing behind.
import {
  checkReceivingPeerOnContract,
  checkSubmittingPeerOnContract,
  contentHash as computeContentHash,
  contractState,
  createUuidV7Generator,
  FscError,
  grantHashes as computeGrantHashes,
  missingSigners,
  parseContractContent,
  parseHash,
  peersOnContract,
  signContract,
  validateContract,
  HashType,
} from '../../protocol/index.ts';
import type { ContractContent, HashScheme, SignatureType } from '../../protocol/index.ts';
import type { Logger } from '../../runtime/index.ts';
import { CONTRACTS_CHANGED_CHANNEL } from '../../store/index.ts';
import type { ListContractsOptions, ManagerStore, StoredContract } from '../../store/index.ts';
import { algorithmOf } from '../peers/jwks.ts';
import { enqueueContract, enqueueSignature } from '../outbox/messages.ts';
import type { SignatureVerifier } from './signature-verifier.ts';
import type {
  CallerIdentity,
  Clock,
  ContractDraft,
  ContractView,
  ManagerHooks,
  SelfIdentity,
} from '../types.ts';

export interface ContractServiceOptions {
  store: ManagerStore;
  logger: Logger;
  clock: Clock;
  groupId: string;
  hashScheme: HashScheme;
  self: SelfIdentity;
  verifier: SignatureVerifier;
  hooks: ManagerHooks;
  /** Called after items were queued, so the worker sends them now rather than at its next poll. */
  onEnqueued: () => void;
}

/** An inbound contract or signature request, as the routes hand it over. */
export interface InboundMessage {
  caller: CallerIdentity;
  /** The caller's Fsc-Manager-Address. */
  managerAddress: string;
  body: unknown;
}

export interface ContractService {
  /** POST /v1/contracts from another peer. */
  receiveContract(message: InboundMessage): Promise<ContractView>;
  /** PUT /v1/contracts/{hash}/{type} from another peer. */
  receiveSignature(message: InboundMessage & { urlHash: string; type: SignatureType }): Promise<ContractView>;
  /** Create a contract as initiator: validate, sign `accept`, store, send to every other peer. */
  submitContract(draft: ContractDraft): Promise<ContractView>;
  /** Place our signature of `type` on a stored contract and send it to every other peer. */
  sign(contentHash: string, type: SignatureType): Promise<ContractView>;
  getContract(contentHash: string): Promise<ContractView | undefined>;
  listContracts(options: ListContractsOptions): Promise<{ contracts: ContractView[]; nextCursor?: string }>;
  /** The view of a stored contract at the current time. */
  view(stored: StoredContract): ContractView;
}

interface SignatureBody {
  content: ContractContent;
  signature: string;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** manager.yaml `signatureRequest` / submitContract body: `{contract_content, signature}`, both required. */
function readBody(body: unknown): SignatureBody {
  if (!isPlainObject(body)) throw new FscError('ERROR_CODE_BAD_REQUEST', 'request body must be a JSON object', { reason: 'body-shape' });
  // Other top-level fields are ignored (manager.yaml does not forbid them, and a newer peer may send
  // more); the content itself is parsed strictly, because its hash covers every byte of it.
  if (!Object.hasOwn(body, 'contract_content')) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'contract_content is required', { reason: 'body-shape' });
  }
  if (typeof body.signature !== 'string' || body.signature === '') {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'signature is required and must be a string', { reason: 'body-shape' });
  }
  const content = parseContractContent(body.contract_content, { path: 'contract_content' });
  return { content, signature: body.signature };
}

const nowSeconds = (clock: Clock): number => Math.floor(clock() / 1000);

/**
 * A peer not on the contract is answered ERROR_CODE_PEER_NOT_PART_OF_CONTRACT, whether it is the
 * submitter or we are: fsc-core "Codes" requires the code to be one of manager.yaml `managerErrorCode`,
 * and that enum has only the combined code (the text's table names SUBMITTING_/RECEIVING_ variants).
 * The message still tells which peer is missing.
 */
const PEER_NOT_PART_OF_CONTRACT_CODE = 'combined';

export function createContractService(options: ContractServiceOptions): ContractService {
  const { store, logger, clock, groupId, hashScheme, self, verifier, hooks } = options;
  const uuidV7 = createUuidV7Generator({ now: clock });

  function view(stored: StoredContract): ContractView {
    const { content, signatures } = stored;
    return {
      contentHash: stored.contentHash,
      content,
      signatures,
      state: contractState(content, signatures, nowSeconds(clock)),
      grantHashes: computeGrantHashes(content, hashScheme),
      missingSigners: missingSigners(content, signatures),
    };
  }

  async function offeredServices(): Promise<Set<string>> {
    return new Set((await store.listServices()).map((s) => s.name));
  }

  /** Every rule of fsc-core "Contract Validation" for a contract we have not stored yet. */
  async function validateNew(content: ContractContent, hash: string, submittingPeerId: string, receivingPeerId: string): Promise<void> {
    const byIv = await store.getContractByIv(content.group_id, content.iv);
    const services = await offeredServices();
    validateContract(content, {
      groupId,
      now: nowSeconds(clock),
      submittingPeerId,
      receivingPeerId,
      ivInUse: () => byIv !== undefined && byIv.contentHash !== hash,
      offersService: (name) => services.has(name),
      peerNotPartOfContractCode: PEER_NOT_PART_OF_CONTRACT_CODE,
    });
  }

  /** For a contract we hold already only the peers are checked: its content passed validation before. */
  function checkPeers(content: ContractContent, submittingPeerId: string): void {
    const ctx = {
      groupId,
      now: nowSeconds(clock),
      submittingPeerId,
      receivingPeerId: self.peerId,
      peerNotPartOfContractCode: PEER_NOT_PART_OF_CONTRACT_CODE,
    } as const;
    checkSubmittingPeerOnContract(content, ctx);
    checkReceivingPeerOnContract(content, ctx);
  }

  async function persistContract(hash: string, content: ContractContent): Promise<void> {
    const outcome = await store.putContract({
      contentHash: hash,
      content,
      grants: computeGrantHashes(content, hashScheme).map((h, i) => ({ hash: h, type: content.grants[i]!.data.type })),
      peerIds: peersOnContract(content),
      createdAt: content.created_at,
    });
    // Lost a race with another request that claimed this iv for other content: same answer as validation.
    if (outcome === 'iv-taken') {
      throw new FscError('ERROR_CODE_INVALID_CONTRACT', 'iv: another contract already uses this iv', { reason: 'iv-not-unique' });
    }
  }

  /**
   * Tells the outway (and replicas) at once that a contract changed, so a revocation stops traffic
   * without waiting for a grant cache to expire. The write itself succeeded; a failed announcement
   * only delays that until the cache's own refresh, so it is logged, not thrown.
   */
  async function announceChange(hash: string): Promise<void> {
    try {
      await store.publish(CONTRACTS_CHANGED_CHANNEL, hash);
    } catch (err) {
      logger.warn({ err, contentHash: hash }, 'contract change announcement failed');
    }
  }

  async function load(hash: string): Promise<StoredContract> {
    const stored = await store.getContract(hash);
    if (stored === undefined) throw new FscError('ERROR_CODE_INTERNAL', 'contract vanished after it was stored');
    return stored;
  }

  function runHook(name: keyof ManagerHooks, run: () => void | Promise<void>): void {
    // After the response: a hook (e.g. the directory co-signing) must not slow down or fail the request.
    setImmediate(() => {
      Promise.resolve()
        .then(run)
        .catch((err: unknown) => logger.error({ err, hook: name }, 'manager hook failed'));
    });
  }

  async function receive(
    message: InboundMessage,
    expectedType: SignatureType,
    urlHash: string | undefined,
  ): Promise<ContractView> {
    const { caller } = message;
    // URL first: an unknown algorithm or a malformed hash is reported as such, before the body.
    let parsedUrl: string | undefined;
    if (urlHash !== undefined) {
      const parsed = parseHash(urlHash);
      if (parsed.type !== HashType.Contract) {
        throw new FscError('ERROR_CODE_BAD_REQUEST', 'the hash in the URL path is not a contract content hash', {
          reason: 'malformed-hash',
        });
      }
      parsedUrl = parsed.hash;
    }
    const { content, signature } = readBody(message.body);
    const hash = computeContentHash(content, hashScheme);
    if (parsedUrl !== undefined && parsedUrl !== hash) {
      throw new FscError(
        'ERROR_CODE_URL_PATH_CONTENT_HASH_MISMATCH',
        'the content hash in the URL path does not match the hash of contract_content',
      );
    }

    const existing = await store.getContract(hash);
    if (existing === undefined) await validateNew(content, hash, caller.peerId, self.peerId);
    else checkPeers(existing.content, caller.peerId);

    const verified = await verifier.verify({
      jws: signature,
      contentHash: hash,
      type: expectedType,
      caller,
      managerAddress: message.managerAddress,
    });

    // Every check passed: now write.
    if (existing === undefined) await persistContract(hash, content);
    await store.putSignature({ contentHash: hash, peerId: caller.peerId, type: expectedType, jws: signature, signedAt: verified.signedAt });
    await announceChange(hash);
    await store.upsertPeer({ id: caller.peerId, name: caller.name, managerAddress: message.managerAddress, seenAt: clock() });

    const result = view(await load(hash));
    logger.info(
      { contentHash: hash, from: caller.peerId, type: expectedType, state: result.state, isNew: existing === undefined },
      'contract signature received',
    );
    if (existing === undefined && hooks.onContractReceived !== undefined) {
      const hook = hooks.onContractReceived.bind(hooks);
      runHook('onContractReceived', () => hook({ from: caller.peerId, contract: result }));
    }
    if (hooks.onSignatureReceived !== undefined) {
      const hook = hooks.onSignatureReceived.bind(hooks);
      runHook('onSignatureReceived', () => hook({ from: caller.peerId, type: expectedType, contract: result }));
    }
    return result;
  }

  async function createSignature(hash: string, type: SignatureType): Promise<{ jws: string; signedAt: number }> {
    const [leaf] = self.chain;
    if (leaf === undefined) throw new FscError('ERROR_CODE_INTERNAL', 'no signing certificate configured');
    const signedAt = nowSeconds(clock);
    const jws = await signContract({
      contentHash: hash,
      type,
      signedAt,
      privateKey: self.privateKey,
      certificate: leaf,
      alg: algorithmOf(leaf),
    });
    return { jws, signedAt };
  }

  return {
    view,

    receiveContract: (message) => receive(message, 'accept', undefined),

    receiveSignature: (message) => receive(message, message.type, message.urlHash),

    async submitContract(draft) {
      const content = parseContractContent({
        iv: draft.iv ?? uuidV7(),
        group_id: groupId,
        validity: draft.validity,
        grants: draft.grants,
        hash_algorithm: draft.hash_algorithm ?? 'HASH_ALGORITHM_SHA3_512',
        created_at: draft.created_at ?? nowSeconds(clock),
      });
      const hash = computeContentHash(content, hashScheme);
      if ((await store.getContract(hash)) !== undefined) {
        throw new FscError('ERROR_CODE_CONTRACT_ALREADY_EXISTS', 'a contract with this content exists already');
      }
      // We submit it, and as a peer on it we apply the receiving side's rules too (e.g. that a
      // service of ours in a connection grant is one we offer).
      await validateNew(content, hash, self.peerId, self.peerId);
      const { jws, signedAt } = await createSignature(hash, 'accept');
      await persistContract(hash, content);
      await store.putSignature({ contentHash: hash, peerId: self.peerId, type: 'accept', jws, signedAt });
      await announceChange(hash);
      await enqueueContract({ store, selfPeerId: self.peerId, now: clock() }, hash, content, jws);
      options.onEnqueued();
      const result = view(await load(hash));
      logger.info({ contentHash: hash, state: result.state }, 'contract submitted');
      return result;
    },

    async sign(contentHash, type) {
      const stored = await store.getContract(contentHash);
      if (stored === undefined) throw new FscError('ERROR_CODE_CONTRACT_NOT_FOUND', 'no contract with this content hash');
      if (!peersOnContract(stored.content).includes(self.peerId)) {
        throw new FscError('ERROR_CODE_FORBIDDEN', 'this peer is not on the contract', { reason: 'not-on-contract' });
      }
      const current = view(stored);
      if (stored.signatures[type][self.peerId] !== undefined) return current;
      // Accepting something that has ended cannot make it valid; content never changes (fsc-core).
      if (type === 'accept' && current.state !== 'proposed' && current.state !== 'valid') {
        throw new FscError('ERROR_CODE_INVALID_CONTRACT', `the contract is ${current.state} and can no longer be accepted`, {
          reason: 'contract-ended',
        });
      }
      const { jws, signedAt } = await createSignature(contentHash, type);
      await store.putSignature({ contentHash, peerId: self.peerId, type, jws, signedAt });
      await announceChange(contentHash);
      await enqueueSignature({ store, selfPeerId: self.peerId, now: clock() }, contentHash, stored.content, type, jws);
      options.onEnqueued();
      const result = view(await load(contentHash));
      logger.info({ contentHash, type, state: result.state }, 'contract signed');
      return result;
    },

    async getContract(contentHash) {
      const stored = await store.getContract(contentHash);
      return stored === undefined ? undefined : view(stored);
    },

    async listContracts(listOptions) {
      const page = await store.listContracts(listOptions);
      const result: { contracts: ContractView[]; nextCursor?: string } = { contracts: page.items.map(view) };
      if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
      return result;
    },
  };
}
