// The contract every ManagerStore implementation must meet (STYLE.md: "Every store implementation runs the
// same contract test suite"). store-sqlite.test.ts and store-redis.test.ts run it against real SQLite files
// and a real Redis; nothing here knows which one it is talking to, except the declared capabilities.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContractContent, GrantType } from '../../gateway/protocol/index.ts';
import { StoreError } from '../../gateway/store/index.ts';
import type {
  GrantIndexEntry,
  ManagerStore,
  OutboxItem,
  PutContractInput,
  SortOrder,
  StoreLogger,
  StoredContract,
} from '../../gateway/store/index.ts';

export interface OpenOptions {
  clock?: () => number;
  outboxLeaseMs?: number;
  logger?: StoreLogger;
}

/** One test's storage: a fresh SQLite directory or a fresh Redis key prefix. */
export interface StoreHarness {
  /** Opens a store on this storage. A second call opens another handle on the same data (a restart, a replica). */
  open(options?: OpenOptions): Promise<ManagerStore>;
  /** Removes every trace of the storage. */
  cleanup(): Promise<void>;
}

export interface StoreCapabilities {
  /** A message published on one handle reaches subscribers of another handle (Redis: yes; SQLite: in-process only). */
  crossHandlePubSub: boolean;
}

const GROUP = 'fsc-test';
const PEER_A = '00000000000000000001';
const PEER_B = '00000000000000000002';
const PEER_C = '00000000000000000003';
const SC: GrantType = 'GRANT_TYPE_SERVICE_CONNECTION';
const SP: GrantType = 'GRANT_TYPE_SERVICE_PUBLICATION';
const DSC: GrantType = 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION';

/** A mutable clock in Unix milliseconds, injected into the store. */
class TestClock {
  now = 1_700_000_000_000;
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

let counter = 0;

/** A unique, realistic-looking hash string; `tag` fixes its order among equal createdAt values. */
function hashString(type: number, tag = ''): string {
  counter += 1;
  return `$1$${type}$${tag}${Buffer.from(`${counter}-${randomUUID()}`).toString('base64url')}`;
}

function content(createdAt: number, overrides: Partial<ContractContent> = {}): ContractContent {
  return {
    iv: randomUUID(),
    group_id: GROUP,
    validity: { not_before: createdAt, not_after: createdAt + 86_400 },
    grants: [
      {
        data: {
          type: 'GRANT_TYPE_SERVICE_CONNECTION',
          outway: { peer_id: PEER_A, public_key_thumbprint: 'a'.repeat(64) },
          service: { type: 'SERVICE_TYPE_SERVICE', peer_id: PEER_B, name: 'basisregistratie' },
        },
      },
    ],
    hash_algorithm: 'HASH_ALGORITHM_SHA3_512',
    created_at: createdAt,
    ...overrides,
  };
}

function contractInput(
  createdAt: number,
  options: { grants?: GrantIndexEntry[]; peerIds?: string[]; tag?: string; content?: Partial<ContractContent> } = {},
): PutContractInput {
  return {
    contentHash: hashString(1, options.tag),
    content: content(createdAt, options.content),
    grants: options.grants ?? [{ hash: hashString(3), type: SC }],
    peerIds: options.peerIds ?? [PEER_A, PEER_B],
    createdAt,
  };
}

function expectedOrder(inputs: readonly PutContractInput[], sortOrder: SortOrder): string[] {
  const sorted = [...inputs].sort(
    (a, b) => a.createdAt - b.createdAt || (a.contentHash < b.contentHash ? -1 : a.contentHash > b.contentHash ? 1 : 0),
  );
  if (sortOrder === 'SORT_ORDER_DESCENDING') sorted.reverse();
  return sorted.map((c) => c.contentHash);
}

/** Follows nextCursor to the end, returning every page's hashes. */
async function allPages(
  store: ManagerStore,
  options: Omit<Parameters<ManagerStore['listContracts']>[0], 'cursor'>,
): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listContracts(cursor === undefined ? options : { ...options, cursor });
    pages.push(page.items.map((c) => c.contentHash));
    if (page.nextCursor === undefined) return pages;
    expect(pages.length).toBeLessThan(100);
    cursor = page.nextCursor;
  }
}

async function expectStoreError(promise: Promise<unknown>, code: StoreError['code']): Promise<void> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
}

/** Resolves with the first `count` messages a subscription receives. */
function collector(count: number): { handler: (m: string) => void; received: string[]; done: Promise<string[]> } {
  const received: string[] = [];
  let resolve: (v: string[]) => void = () => undefined;
  const done = new Promise<string[]>((r) => (resolve = r));
  return {
    received,
    done,
    handler: (m: string) => {
      received.push(m);
      if (received.length === count) resolve([...received]);
    },
  };
}

export function describeStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness>,
  capabilities: StoreCapabilities,
): void {
  describe(`ManagerStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let clock: TestClock;
    let store: ManagerStore;
    const opened: ManagerStore[] = [];

    /** Opens another handle on the same storage (closed after the test). */
    async function openHandle(options: OpenOptions = {}): Promise<ManagerStore> {
      const handle = await harness.open({ clock: clock.fn, ...options });
      opened.push(handle);
      return handle;
    }

    beforeEach(async () => {
      harness = await makeHarness();
      clock = new TestClock();
      store = await openHandle({ outboxLeaseMs: 5_000 });
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      await harness.cleanup();
    });

    describe('contracts', () => {
      it('stores a contract once and returns it with empty signatures', async () => {
        const input = contractInput(1_700_000_000);
        expect(await store.putContract(input)).toBe('created');
        expect(await store.putContract(input)).toBe('exists');
        // Same hash, other content: the store keeps what it has (content is immutable, fsc-core).
        expect(await store.putContract({ ...input, content: content(1) })).toBe('exists');

        const stored = await store.getContract(input.contentHash);
        expect(stored).toEqual({
          contentHash: input.contentHash,
          content: input.content,
          createdAt: input.createdAt,
          signatures: { accept: {}, reject: {}, revoke: {} },
        } satisfies StoredContract);
        expect(await store.getContract(hashString(1))).toBeUndefined();
      });

      it('refuses a second contract with the same iv in the group and leaves no trace of it', async () => {
        const first = contractInput(100);
        const grantHash = hashString(3);
        const clash = contractInput(200, {
          content: { iv: first.content.iv },
          grants: [{ hash: grantHash, type: SP }],
          peerIds: [PEER_C],
        });
        expect(await store.putContract(first)).toBe('created');
        expect(await store.putContract(clash)).toBe('iv-taken');

        expect(await store.getContract(clash.contentHash)).toBeUndefined();
        expect(await store.findByGrantHash(grantHash)).toEqual([]);
        expect((await store.listContracts({ limit: 10, grantTypes: [SP] })).items).toEqual([]);
        expect((await store.listContracts({ limit: 10, peerId: PEER_C })).items).toEqual([]);
        expect((await store.listContracts({ limit: 10 })).items.map((c) => c.contentHash)).toEqual([first.contentHash]);

        // The same iv in another group is another contract.
        const otherGroup = contractInput(300, { content: { iv: first.content.iv, group_id: 'other-group' } });
        expect(await store.putContract(otherGroup)).toBe('created');
        expect((await store.getContractByIv(GROUP, first.content.iv))?.contentHash).toBe(first.contentHash);
        expect((await store.getContractByIv('other-group', first.content.iv))?.contentHash).toBe(
          otherGroup.contentHash,
        );
        expect(await store.getContractByIv(GROUP, randomUUID())).toBeUndefined();
      });

      it('rejects a createdAt it cannot order and stores nothing', async () => {
        const bad = contractInput(-1);
        await expectStoreError(store.putContract(bad), 'STORE_INVALID_ARGUMENT');
        await expectStoreError(store.putContract({ ...bad, createdAt: 1.5 }), 'STORE_INVALID_ARGUMENT');
        expect(await store.getContract(bad.contentHash)).toBeUndefined();
        expect(await store.getContractByIv(GROUP, bad.content.iv)).toBeUndefined();
      });

      it('pages through contracts in (createdAt, contentHash) order, ascending and descending', async () => {
        // Ties on createdAt are ordered by content hash; insertion order is deliberately mixed.
        const inputs = [
          contractInput(500, { tag: 'm' }),
          contractInput(100, { tag: 'z' }),
          contractInput(300, { tag: 'b' }),
          contractInput(300, { tag: 'a' }),
          contractInput(100, { tag: 'a' }),
          contractInput(900, { tag: 'q' }),
          contractInput(300, { tag: 'c' }),
        ];
        for (const input of inputs) expect(await store.putContract(input)).toBe('created');

        for (const sortOrder of ['SORT_ORDER_ASCENDING', 'SORT_ORDER_DESCENDING'] as const) {
          const pages = await allPages(store, { limit: 3, sortOrder });
          expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
          expect(pages.flat()).toEqual(expectedOrder(inputs, sortOrder));
          // One page holding everything has no next cursor.
          const single = await store.listContracts({ limit: 7, sortOrder });
          expect(single.items.map((c) => c.contentHash)).toEqual(expectedOrder(inputs, sortOrder));
          expect(single.nextCursor).toBeUndefined();
        }
        // Ascending is the default.
        expect((await store.listContracts({ limit: 1000 })).items.map((c) => c.contentHash)).toEqual(
          expectedOrder(inputs, 'SORT_ORDER_ASCENDING'),
        );
      });

      it('keeps a cursor stable when contracts are added before it', async () => {
        const inputs = [contractInput(10), contractInput(20), contractInput(30), contractInput(40)];
        for (const input of inputs) await store.putContract(input);
        const first = await store.listContracts({ limit: 2 });
        expect(first.nextCursor).toBeDefined();
        await store.putContract(contractInput(5));
        await store.putContract(contractInput(15));
        const second = await store.listContracts({ limit: 2, cursor: first.nextCursor ?? '' });
        expect(second.items.map((c) => c.createdAt)).toEqual([30, 40]);
        expect(second.nextCursor).toBeUndefined();
      });

      it('filters by grant type, grant hash and peer, and pages through filtered results', async () => {
        const g = (type: GrantType): GrantIndexEntry => ({ hash: hashString(type === SP ? 2 : 3), type });
        const publication = contractInput(10, { grants: [g(SP)], peerIds: [PEER_B, PEER_C] });
        const connectionAB1 = contractInput(20, { grants: [g(SC)], peerIds: [PEER_A, PEER_B] });
        const connectionAB2 = contractInput(30, { grants: [g(SC), g(SC)], peerIds: [PEER_A, PEER_B] });
        const delegatedAC = contractInput(40, { grants: [g(DSC), g(SC)], peerIds: [PEER_A, PEER_C] });
        const connectionBC = contractInput(50, { grants: [g(SC)], peerIds: [PEER_B, PEER_C] });
        const all = [publication, connectionAB1, connectionAB2, delegatedAC, connectionBC];
        for (const input of all) await store.putContract(input);
        const hashes = (...inputs: PutContractInput[]): string[] => inputs.map((c) => c.contentHash);

        expect((await allPages(store, { limit: 1, grantTypes: [SC] })).flat()).toEqual(
          hashes(connectionAB1, connectionAB2, delegatedAC, connectionBC),
        );
        expect((await allPages(store, { limit: 2, grantTypes: [SP, DSC] })).flat()).toEqual(
          hashes(publication, delegatedAC),
        );
        expect(
          (await allPages(store, { limit: 1, grantTypes: [DSC], sortOrder: 'SORT_ORDER_DESCENDING' })).flat(),
        ).toEqual(hashes(delegatedAC));
        expect((await allPages(store, { limit: 2, peerId: PEER_C })).flat()).toEqual(
          hashes(publication, delegatedAC, connectionBC),
        );
        expect(
          (await allPages(store, { limit: 1, peerId: PEER_C, sortOrder: 'SORT_ORDER_DESCENDING' })).flat(),
        ).toEqual(hashes(connectionBC, delegatedAC, publication));
        // Filters combine with AND.
        expect((await allPages(store, { limit: 1, peerId: PEER_A, grantTypes: [DSC] })).flat()).toEqual(
          hashes(delegatedAC),
        );
        expect((await allPages(store, { limit: 1, peerId: PEER_B, grantTypes: [SC, SP] })).flat()).toEqual(
          hashes(publication, connectionAB1, connectionAB2, connectionBC),
        );

        const grantHashes = [
          connectionBC.grants[0]?.hash ?? '',
          publication.grants[0]?.hash ?? '',
          connectionAB2.grants[1]?.hash ?? '',
          hashString(3),
        ];
        expect((await allPages(store, { limit: 1, grantHashes })).flat()).toEqual(
          hashes(publication, connectionAB2, connectionBC),
        );
        expect((await allPages(store, { limit: 2, grantHashes, sortOrder: 'SORT_ORDER_DESCENDING' })).flat()).toEqual(
          hashes(connectionBC, connectionAB2, publication),
        );
        expect((await allPages(store, { limit: 5, grantHashes, grantTypes: [SP] })).flat()).toEqual(
          hashes(publication),
        );
        expect((await allPages(store, { limit: 5, grantHashes, peerId: PEER_A })).flat()).toEqual(
          hashes(connectionAB2),
        );
        // Empty filter lists mean no filter.
        expect((await allPages(store, { limit: 1000, grantHashes: [], grantTypes: [] })).flat()).toEqual(
          hashes(...all),
        );
        expect((await store.listContracts({ limit: 10, peerId: 'unknown-peer' })).items).toEqual([]);
      });

      it('finds contracts by grant hash', async () => {
        const shared = hashString(3);
        const one = contractInput(20, { grants: [{ hash: shared, type: SC }] });
        const two = contractInput(10, {
          grants: [
            { hash: shared, type: SC },
            { hash: hashString(3), type: SC },
          ],
        });
        await store.putContract(one);
        await store.putContract(two);
        expect((await store.findByGrantHash(shared)).map((c) => c.contentHash)).toEqual([
          two.contentHash,
          one.contentHash,
        ]);
        const onlyTwo = two.grants[1]?.hash ?? '';
        const [found] = await store.findByGrantHash(onlyTwo);
        expect(found?.content).toEqual(two.content);
        expect(await store.findByGrantHash(hashString(3))).toEqual([]);
      });

      it('rejects limits outside 1–1000 and cursors it did not produce', async () => {
        await store.putContract(contractInput(1));
        for (const limit of [0, 1001, 2.5, -1]) {
          await expectStoreError(store.listContracts({ limit }), 'STORE_INVALID_ARGUMENT');
        }
        await store.listContracts({ limit: 1000 });
        for (const cursor of ['', 'not a cursor!', Buffer.from('c:abc:x').toString('base64url')]) {
          await expectStoreError(store.listContracts({ limit: 1, cursor }), 'STORE_INVALID_CURSOR');
        }
        // A peer cursor is not a contract cursor.
        await store.upsertPeer({ id: PEER_A, name: 'A', managerAddress: 'https://a:8443', seenAt: 1 });
        await store.upsertPeer({ id: PEER_B, name: 'B', managerAddress: 'https://b:8443', seenAt: 1 });
        const peerCursor = (await store.listPeers({ limit: 1 })).nextCursor ?? '';
        await expectStoreError(store.listContracts({ limit: 1, cursor: peerCursor }), 'STORE_INVALID_CURSOR');
      });
    });

    describe('signatures', () => {
      it('stores one signature per (contract, peer, type) and returns it with the contract', async () => {
        const input = contractInput(10);
        await store.putContract(input);
        const sig = { contentHash: input.contentHash, signedAt: 10 };
        expect(await store.putSignature({ ...sig, peerId: PEER_A, type: 'accept', jws: 'jws-a-1' })).toBe('created');
        expect(await store.putSignature({ ...sig, peerId: PEER_A, type: 'accept', jws: 'jws-a-2' })).toBe('exists');
        expect(await store.putSignature({ ...sig, peerId: PEER_B, type: 'accept', jws: 'jws-b' })).toBe('created');
        expect(await store.putSignature({ ...sig, peerId: PEER_A, type: 'revoke', jws: 'jws-a-revoke' })).toBe(
          'created',
        );
        expect(await store.putSignature({ ...sig, peerId: PEER_C, type: 'reject', jws: 'jws-c-reject' })).toBe(
          'created',
        );
        const expected = {
          accept: { [PEER_A]: 'jws-a-1', [PEER_B]: 'jws-b' },
          reject: { [PEER_C]: 'jws-c-reject' },
          revoke: { [PEER_A]: 'jws-a-revoke' },
        };
        expect((await store.getContract(input.contentHash))?.signatures).toEqual(expected);
        expect((await store.listContracts({ limit: 1 })).items[0]?.signatures).toEqual(expected);
        expect((await store.getContractByIv(GROUP, input.content.iv))?.signatures).toEqual(expected);
        expect((await store.findByGrantHash(input.grants[0]?.hash ?? ''))[0]?.signatures).toEqual(expected);
      });

      it('refuses a signature for an unknown contract', async () => {
        const hash = hashString(1);
        expect(
          await store.putSignature({ contentHash: hash, peerId: PEER_A, type: 'accept', jws: 'x', signedAt: 1 }),
        ).toBe('no-contract');
        expect(await store.getContract(hash)).toBeUndefined();
      });

      it('lets exactly one of many concurrent signatures for the same slot win, across handles', async () => {
        const input = contractInput(10);
        await store.putContract(input);
        const other = await openHandle();
        const attempts = Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : other).putSignature({
            contentHash: input.contentHash,
            peerId: PEER_A,
            type: 'accept',
            jws: `jws-${i}`,
            signedAt: i,
          }),
        );
        const outcomes = await Promise.all(attempts);
        expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'exists')).toHaveLength(19);
        const winner = outcomes.indexOf('created');
        expect((await other.getContract(input.contentHash))?.signatures.accept).toEqual({ [PEER_A]: `jws-${winner}` });
      });

      it('lets exactly one of many concurrent puts of a contract win, across handles', async () => {
        const input = contractInput(10);
        const other = await openHandle();
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).putContract(input)),
        );
        expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
        expect((await store.listContracts({ limit: 10 })).items).toHaveLength(1);
      });
    });

    describe('peers', () => {
      it('inserts, replaces and returns peers', async () => {
        expect(
          await store.upsertPeer({ id: PEER_A, name: 'Gemeente A', managerAddress: 'https://a:8443', seenAt: 1 }),
        ).toBe(true);
        expect(
          await store.upsertPeer({ id: PEER_A, name: 'Gemeente A2', managerAddress: 'https://a2:8443', seenAt: 2 }),
        ).toBe(false);
        expect(await store.getPeer(PEER_A)).toEqual({
          id: PEER_A,
          name: 'Gemeente A2',
          managerAddress: 'https://a2:8443',
          seenAt: 2,
        });
        expect(await store.getPeer(PEER_B)).toBeUndefined();
      });

      it('pages through peers by id, filters by ids and by name case-insensitively', async () => {
        const names = ['Gemeente Súdwest-Fryslân', 'Kadaster', 'Gemeente Utrecht', 'RvIG', 'gemeente Ede'];
        const ids = names.map((_, i) => String((i * 7) % 5).padStart(20, '0'));
        for (const [i, name] of names.entries()) {
          await store.upsertPeer({ id: ids[i] ?? '', name, managerAddress: `https://p${i}:8443`, seenAt: i });
        }
        const sorted = [...ids].sort();
        const collect = async (
          options: Omit<Parameters<ManagerStore['listPeers']>[0], 'cursor'>,
        ): Promise<string[][]> => {
          const pages: string[][] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listPeers(cursor === undefined ? options : { ...options, cursor });
            pages.push(page.items.map((p) => p.id));
            cursor = page.nextCursor;
          } while (cursor !== undefined && pages.length < 20);
          return pages;
        };
        const asc = await collect({ limit: 2 });
        expect(asc.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(asc.flat()).toEqual(sorted);
        expect((await collect({ limit: 3, sortOrder: 'SORT_ORDER_DESCENDING' })).flat()).toEqual([...sorted].reverse());

        const byName = (await collect({ limit: 1, nameContains: 'GEMEENTE' })).flat();
        expect(byName).toEqual(sorted.filter((id) => names[ids.indexOf(id)]?.toLowerCase().includes('gemeente')));
        expect(byName).toHaveLength(3);
        // Unicode case folding, not only ASCII.
        expect((await collect({ limit: 5, nameContains: 'SÚDWEST' })).flat()).toEqual([ids[0]]);

        const wanted = [ids[3] ?? '', ids[1] ?? '', 'unknown-peer'];
        expect((await collect({ limit: 1, peerIds: wanted })).flat()).toEqual([ids[1], ids[3]].sort());
        expect((await collect({ limit: 5, peerIds: wanted, sortOrder: 'SORT_ORDER_DESCENDING' })).flat()).toEqual(
          [ids[1], ids[3]].sort().reverse(),
        );
        expect((await collect({ limit: 5, peerIds: wanted, nameContains: 'kadaster' })).flat()).toEqual([ids[1]]);
        await expectStoreError(store.listPeers({ limit: 0 }), 'STORE_INVALID_ARGUMENT');
        await expectStoreError(store.listPeers({ limit: 1, cursor: '!!' }), 'STORE_INVALID_CURSOR');
      });
    });

    describe('outbox', () => {
      const item = (id: string, peerId: string, nextAttemptAt: number) => ({
        id,
        peerId,
        kind: 'signature' as const,
        payload: { contract_content_hash: `$1$1$${id}`, nested: [1, 'two', null] },
        nextAttemptAt,
      });

      it('enqueues once per id and hands out due items oldest first', async () => {
        expect(await store.enqueue(item('m2', PEER_B, 200))).toBe(true);
        expect(await store.enqueue(item('m1', PEER_A, 100))).toBe(true);
        expect(await store.enqueue(item('m3', PEER_A, 300))).toBe(true);
        expect(await store.enqueue({ ...item('m1', PEER_C, 1), kind: 'announce' })).toBe(false);

        expect(await store.due(50, 10)).toEqual([]);
        const due = await store.due(250, 10);
        expect(due.map((i) => i.id)).toEqual(['m1', 'm2']);
        expect(due[0]).toEqual({
          id: 'm1',
          peerId: PEER_A,
          kind: 'signature',
          payload: { contract_content_hash: '$1$1$m1', nested: [1, 'two', null] },
          createdAt: clock.now,
          nextAttemptAt: 250 + 5_000,
          attempts: 0,
          leasedUntil: 250 + 5_000,
        } satisfies OutboxItem);
        // The limit applies.
        expect((await store.due(10_000, 1)).map((i) => i.id)).toEqual(['m3']);
      });

      it('leases claimed items until the lease ends, then hands them out again', async () => {
        await store.enqueue(item('m1', PEER_A, 1_000));
        expect((await store.due(1_000, 10)).map((i) => i.id)).toEqual(['m1']);
        expect(await store.due(1_000, 10)).toEqual([]);
        expect(await store.due(5_999, 10)).toEqual([]);
        // The worker died: after the lease the item is due again.
        const again = await store.due(6_000, 10);
        expect(again.map((i) => [i.id, i.leasedUntil])).toEqual([['m1', 11_000]]);
      });

      it('retries with attempts and last error, and completes', async () => {
        await store.enqueue(item('m1', PEER_A, 100));
        await store.enqueue(item('m2', PEER_B, 100));
        await store.due(100, 10);
        expect(await store.retry('m1', 400, 1, 'connect ECONNREFUSED')).toBe(true);
        expect(await store.retry('unknown', 400, 1, 'x')).toBe(false);
        expect(await store.due(399, 10)).toEqual([]);
        const [retried] = await store.due(400, 10);
        expect(retried).toMatchObject({ id: 'm1', attempts: 1, lastError: 'connect ECONNREFUSED' });

        expect(await store.complete('m2')).toBe(true);
        expect(await store.complete('m2')).toBe(false);
        expect(await store.retry('m2', 1, 1, 'x')).toBe(false);
        expect((await store.pending()).map((i) => i.id)).toEqual(['m1']);
        expect(await store.complete('m1')).toBe(true);
        expect(await store.pending()).toEqual([]);
        expect(await store.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      });

      it('lists pending items for operators, per peer, leased or not', async () => {
        await store.enqueue(item('m1', PEER_A, 300));
        await store.enqueue(item('m2', PEER_B, 100));
        await store.enqueue(item('m3', PEER_A, 200));
        await store.due(250, 10);
        await store.retry('m3', 900, 2, 'timeout');

        const all = await store.pending();
        expect(all.map((i) => [i.id, i.nextAttemptAt, i.attempts, i.leasedUntil])).toEqual([
          ['m1', 300, 0, undefined],
          ['m3', 900, 2, undefined],
          ['m2', 5_250, 0, 5_250],
        ]);
        expect(all[1]?.lastError).toBe('timeout');
        expect((await store.pending(PEER_A)).map((i) => i.id)).toEqual(['m1', 'm3']);
        expect((await store.pending(PEER_B)).map((i) => i.id)).toEqual(['m2']);
        expect(await store.pending(PEER_C)).toEqual([]);
      });

      it('never hands the same item to two concurrent workers', async () => {
        const total = 60;
        for (let i = 0; i < total; i++) await store.enqueue(item(`m${String(i).padStart(3, '0')}`, PEER_A, i));
        const workerB = await openHandle({ outboxLeaseMs: 5_000 });
        const claimed: string[] = [];
        const work = async (worker: ManagerStore): Promise<void> => {
          for (;;) {
            const batch = await worker.due(1_000, 7);
            if (batch.length === 0) return;
            claimed.push(...batch.map((i) => i.id));
            // Deliver half at once; leave the rest leased (a slow delivery) — neither may be handed out again.
            await Promise.all(batch.filter((_, j) => j % 2 === 0).map((i) => worker.complete(i.id)));
          }
        };
        await Promise.all([work(store), work(workerB), work(store), work(workerB)]);
        expect(claimed).toHaveLength(total);
        expect(new Set(claimed).size).toBe(total);
      });

      it('rejects a limit outside 1–1000', async () => {
        await expectStoreError(store.due(0, 0), 'STORE_INVALID_ARGUMENT');
        await expectStoreError(store.due(0, 1001), 'STORE_INVALID_ARGUMENT');
      });
    });

    describe('published services', () => {
      it('puts, replaces, lists by name and deletes services', async () => {
        const basis = {
          name: 'basisregistratie',
          endpointUrl: 'http://127.0.0.1:9000/api',
          inwayAddress: 'https://inway.a:443',
          protocol: 'PROTOCOL_TCP_HTTP_1.1' as const,
        };
        const adres = { ...basis, name: 'adressen', protocol: 'PROTOCOL_TCP_HTTP_2' as const };
        expect(await store.putService(basis)).toBe(true);
        expect(await store.putService(adres)).toBe(true);
        expect(await store.putService({ ...basis, endpointUrl: 'http://127.0.0.1:9001/api' })).toBe(false);
        expect(await store.getService('basisregistratie')).toEqual({
          ...basis,
          endpointUrl: 'http://127.0.0.1:9001/api',
        });
        expect(await store.getService('unknown')).toBeUndefined();
        expect((await store.listServices()).map((s) => s.name)).toEqual(['adressen', 'basisregistratie']);
        expect(await store.deleteService('adressen')).toBe(true);
        expect(await store.deleteService('adressen')).toBe(false);
        expect(await store.listServices()).toEqual([{ ...basis, endpointUrl: 'http://127.0.0.1:9001/api' }]);
      });
    });

    describe('key-value cache', () => {
      it('returns values until their TTL passes on the store clock', async () => {
        await store.kvSet('token:abc', 'eyJ…', 60_000);
        await store.kvSet('forever', 'v');
        expect(await store.kvGet('token:abc')).toBe('eyJ…');
        clock.advance(59_999);
        expect(await store.kvGet('token:abc')).toBe('eyJ…');
        clock.advance(1);
        expect(await store.kvGet('token:abc')).toBeUndefined();
        clock.advance(365 * 86_400_000);
        expect(await store.kvGet('forever')).toBe('v');
        expect(await store.kvGet('never-set')).toBeUndefined();
      });

      it('overwrites values and their TTL, and deletes', async () => {
        await store.kvSet('k', 'one', 1_000);
        await store.kvSet('k', 'two|with bar\nand newline');
        clock.advance(2_000);
        expect(await store.kvGet('k')).toBe('two|with bar\nand newline');
        expect(await store.kvDelete('k')).toBe(true);
        expect(await store.kvDelete('k')).toBe(false);
        expect(await store.kvGet('k')).toBeUndefined();
        await store.kvSet('short', 'x', 10);
        clock.advance(10);
        // An expired value is gone: deleting it reports nothing deleted.
        expect(await store.kvDelete('short')).toBe(false);
        await store.kvSet('empty', '');
        expect(await store.kvGet('empty')).toBe('');
      });

      it('rejects a TTL that is not a positive integer', async () => {
        await expectStoreError(store.kvSet('k', 'v', 0), 'STORE_INVALID_ARGUMENT');
        await expectStoreError(store.kvSet('k', 'v', -5), 'STORE_INVALID_ARGUMENT');
        expect(await store.kvGet('k')).toBeUndefined();
      });
    });

    describe('fan-out', () => {
      it('delivers published messages to every subscriber of the channel, and not after unsubscribe', async () => {
        const revoked = collector(2);
        const leaving = collector(1);
        const other = collector(1);
        await store.subscribe('revoked', revoked.handler);
        const unsubscribe = await store.subscribe('revoked', leaving.handler);
        await store.subscribe('other', other.handler);

        await store.publish('revoked', '$1$1$first');
        expect(await leaving.done).toEqual(['$1$1$first']);
        await unsubscribe();
        await unsubscribe();
        await store.publish('revoked', '$1$1$second');
        await store.publish('other', 'o');
        expect(await revoked.done).toEqual(['$1$1$first', '$1$1$second']);
        // Messages of one connection arrive in order: 'o' came after '$1$1$second'.
        expect(await other.done).toEqual(['o']);
        expect(leaving.received).toEqual(['$1$1$first']);
      });

      it('keeps delivering to other subscribers when a handler throws, and logs the failure', async () => {
        const warnings = collector(4);
        const handle = await openHandle({
          logger: { warn: (obj, msg) => warnings.handler(`${msg}: ${(obj as { err: Error }).err.message}`) },
        });
        const good = collector(2);
        await handle.subscribe('c', () => {
          throw new Error('handler bug');
        });
        await handle.subscribe('c', () => Promise.reject(new Error('async handler bug')));
        await handle.subscribe('c', good.handler);
        await handle.publish('c', '1');
        await handle.publish('c', '2');
        expect(await good.done).toEqual(['1', '2']);
        expect((await warnings.done).sort()).toEqual([
          'store subscriber failed: async handler bug',
          'store subscriber failed: async handler bug',
          'store subscriber failed: handler bug',
          'store subscriber failed: handler bug',
        ]);
      });

      it.runIf(capabilities.crossHandlePubSub)('reaches subscribers on another replica', async () => {
        const replica = await openHandle();
        const got = collector(1);
        await replica.subscribe('revoked', got.handler);
        await store.publish('revoked', '$1$1$abc');
        expect(await got.done).toEqual(['$1$1$abc']);
      });
    });

    describe('lifecycle', () => {
      it('closes idempotently and refuses calls afterwards', async () => {
        const handle = await openHandle();
        await handle.close();
        await handle.close();
        await expectStoreError(handle.getContract('x'), 'STORE_CLOSED');
        await expectStoreError(handle.putContract(contractInput(1)), 'STORE_CLOSED');
        await expectStoreError(handle.kvGet('x'), 'STORE_CLOSED');
        await expectStoreError(handle.due(0, 1), 'STORE_CLOSED');
        await expectStoreError(handle.publish('c', 'm'), 'STORE_CLOSED');
        await expectStoreError(
          handle.subscribe('c', () => undefined),
          'STORE_CLOSED',
        );
        // The other handle on the same storage is unaffected.
        expect(await store.listContracts({ limit: 1 })).toEqual({ items: [] });
      });

      it('closes a store that has subscriptions', async () => {
        const handle = await openHandle();
        const unsubscribe = await handle.subscribe('c', () => undefined);
        await handle.close();
        await unsubscribe();
      });

      it('keeps everything across close and reopen', async () => {
        const input = contractInput(42, { grants: [{ hash: hashString(2), type: SP }] });
        await store.putContract(input);
        await store.putSignature({
          contentHash: input.contentHash,
          peerId: PEER_B,
          type: 'accept',
          jws: 'jws',
          signedAt: 42,
        });
        await store.upsertPeer({ id: PEER_B, name: 'B', managerAddress: 'https://b:8443', seenAt: 7 });
        await store.enqueue({ id: 'o1', peerId: PEER_B, kind: 'contract', payload: { a: 1 }, nextAttemptAt: 10 });
        await store.enqueue({ id: 'o2', peerId: PEER_B, kind: 'announce', payload: null, nextAttemptAt: 20 });
        await store.due(10, 1);
        const service = {
          name: 's',
          endpointUrl: 'http://127.0.0.1:1/',
          inwayAddress: 'https://i:443',
          protocol: 'PROTOCOL_TCP_HTTP_1.1' as const,
        };
        await store.putService(service);
        await store.kvSet('cache', 'v', 60_000);
        const before = await store.pending();
        await store.close();

        const reopened = await openHandle({ outboxLeaseMs: 5_000 });
        expect(await reopened.getContract(input.contentHash)).toEqual({
          contentHash: input.contentHash,
          content: input.content,
          createdAt: 42,
          signatures: { accept: { [PEER_B]: 'jws' }, reject: {}, revoke: {} },
        });
        expect((await reopened.listContracts({ limit: 5, grantTypes: [SP], peerId: PEER_A })).items).toHaveLength(1);
        expect(await reopened.findByGrantHash(input.grants[0]?.hash ?? '')).toHaveLength(1);
        expect(await reopened.getContractByIv(GROUP, input.content.iv)).toBeDefined();
        expect(await reopened.putContract(input)).toBe('exists');
        expect(await reopened.getPeer(PEER_B)).toEqual({
          id: PEER_B,
          name: 'B',
          managerAddress: 'https://b:8443',
          seenAt: 7,
        });
        expect(await reopened.pending()).toEqual(before);
        // The lease taken before the restart still holds; the other item is due.
        expect((await reopened.due(20, 10)).map((i) => i.id)).toEqual(['o2']);
        expect(await reopened.getService('s')).toEqual(service);
        expect(await reopened.kvGet('cache')).toBe('v');
      });
    });
  });
}
