// The ManagerStore contract against a real Redis (REDIS_URL, else 127.0.0.1:6379), each test under its own key
// prefix, removed afterwards; plus what only Redis has: the key layout and namespace isolation between peers.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, StoreError } from '../../gateway/store/index.ts';
import type { ManagerStore } from '../../gateway/store/index.ts';
import { deleteUnder as redisDeleteUnder, keysUnder as redisKeysUnder } from './private-redis.ts';
import { describeStoreContract, type StoreHarness } from './store.contract.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `koppel-test-${process.pid}-${randomUUID()}`;
let admin: Redis;

const keysUnder = (prefix: string): Promise<string[]> => redisKeysUnder(admin, prefix);
const deleteUnder = (prefix: string): Promise<void> => redisDeleteUnder(admin, prefix);

function redisHarness(): StoreHarness {
  const keyPrefix = `${runPrefix}:${randomUUID()}`;
  return {
    open: (options = {}) =>
      createStore({ kind: 'redis', url, groupId: 'fsc-test', peerId: '00000000000000000001', keyPrefix, ...options }),
    cleanup: () => deleteUnder(keyPrefix),
  };
}

beforeAll(() => {
  admin = new Redis(url);
});

afterAll(async () => {
  await deleteUnder(runPrefix);
  expect(await keysUnder(runPrefix)).toEqual([]);
  await admin.quit();
});

describeStoreContract('redis', () => Promise.resolve(redisHarness()), { crossHandlePubSub: true });

describe('redis store specifics', () => {
  it('keeps every key of a peer under one Redis Cluster hash tag', async () => {
    const keyPrefix = `${runPrefix}:${randomUUID()}`;
    const store = await createStore({
      kind: 'redis',
      url,
      groupId: 'fsc-test',
      peerId: '00000000000000000009',
      keyPrefix,
    });
    try {
      await store.putContract({
        contentHash: '$1$1$abc',
        content: {
          iv: randomUUID(),
          group_id: 'fsc-test',
          validity: { not_before: 1, not_after: 2 },
          grants: [],
          hash_algorithm: 'HASH_ALGORITHM_SHA3_512',
          created_at: 1,
        },
        grants: [{ hash: '$1$3$def', type: 'GRANT_TYPE_SERVICE_CONNECTION' }],
        peerIds: ['00000000000000000009', '00000000000000000008'],
        createdAt: 1,
      });
      await store.putSignature({
        contentHash: '$1$1$abc',
        peerId: '00000000000000000008',
        type: 'accept',
        jws: 'j',
        signedAt: 1,
      });
      await store.upsertPeer({ id: '00000000000000000008', name: 'B', managerAddress: 'https://b:8443', seenAt: 1 });
      await store.enqueue({ id: 'o', peerId: '00000000000000000008', kind: 'contract', payload: {}, nextAttemptAt: 1 });
      await store.putService({
        name: 's',
        endpointUrl: 'http://x',
        inwayAddress: 'https://i:443',
        protocol: 'PROTOCOL_TCP_HTTP_2',
      });
      await store.kvSet('k', 'v', 60_000);
      const keys = await keysUnder(keyPrefix);
      expect(keys.length).toBeGreaterThanOrEqual(10);
      for (const key of keys) expect(key.startsWith(`${keyPrefix}:{fsc-test:00000000000000000009}:`)).toBe(true);
    } finally {
      await store.close();
      await deleteUnder(keyPrefix);
    }
  });

  it('isolates peers and groups that share one Redis', async () => {
    const keyPrefix = `${runPrefix}:${randomUUID()}`;
    const stores: ManagerStore[] = [];
    const open = async (groupId: string, peerId: string): Promise<ManagerStore> => {
      const store = await createStore({ kind: 'redis', url, groupId, peerId, keyPrefix });
      stores.push(store);
      return store;
    };
    try {
      const a = await open('g', '00000000000000000001');
      const b = await open('g', '00000000000000000002');
      const otherGroup = await open('h', '00000000000000000001');
      await a.kvSet('k', 'a');
      await a.upsertPeer({ id: 'p', name: 'P', managerAddress: 'https://p:8443', seenAt: 1 });
      expect(await b.kvGet('k')).toBeUndefined();
      expect(await otherGroup.kvGet('k')).toBeUndefined();
      expect((await b.listPeers({ limit: 10 })).items).toEqual([]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await deleteUnder(keyPrefix);
    }
  });

  it('rejects a group or peer id that would break the hash tag', async () => {
    const err: unknown = await createStore({
      kind: 'redis',
      url,
      groupId: 'g}',
      peerId: 'p',
      keyPrefix: runPrefix,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_INVALID_ARGUMENT');
  });

  it('fails to open when Redis cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there.
    await expect(
      createStore({ kind: 'redis', url: 'redis://127.0.0.1:1', groupId: 'g', peerId: 'p', keyPrefix: runPrefix }),
    ).rejects.toThrow();
  });
});
