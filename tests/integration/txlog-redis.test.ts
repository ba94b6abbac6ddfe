// The TxLog contract against a real Redis (REDIS_URL, else 127.0.0.1:6379), each test under its own key
// prefix, removed afterwards; plus what only Redis has: the key layout, the live tail across replicas,
// and failing closed when Redis is unreachable or stops (a private redis-server started and stopped here).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteUnder as redisDeleteUnder,
  freePort,
  keysUnder as redisKeysUnder,
  PrivateRedis,
} from './private-redis.ts';
import {
  canonicalJson,
  createTxLog,
  hashEntry,
  RedisTxLog,
  type EntryBody,
  type StoredEntry,
  type TxLog,
} from '../../gateway/txlog/index.ts';
import { describeTxLogContract, PEER, record, type TxLogHarness } from './txlog.contract.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `koppel-test-${process.pid}-${randomUUID()}`;
const GROUP = 'fsc-test';
let admin: Redis;

const keysUnder = (prefix: string): Promise<string[]> => redisKeysUnder(admin, prefix);
const deleteUnder = (prefix: string): Promise<void> => redisDeleteUnder(admin, prefix);

function redis(log: TxLog): RedisTxLog {
  if (!(log instanceof RedisTxLog)) throw new Error('not a Redis log');
  return log;
}

async function body(log: TxLog, member: string): Promise<EntryBody> {
  const j = await admin.hget(redis(log).keys.entry(member), 'j');
  if (j === null) throw new Error(`no entry ${member}`);
  return JSON.parse(j) as EntryBody;
}

function redisHarness(): TxLogHarness {
  const keyPrefix = `${runPrefix}:${randomUUID()}`;
  return {
    open: (options = {}) => createTxLog({ kind: 'redis', url, groupId: GROUP, peerId: PEER, keyPrefix, ...options }),
    seenIndependently: async (log, transactionId) => {
      const members = await admin.zrange(redis(log).keys.transaction(transactionId), '0', '-1');
      const entries = await Promise.all(members.map((m) => admin.exists(redis(log).keys.entry(m))));
      return entries.includes(1);
    },
    tamper: {
      alter: async (log, seq, serviceName) => {
        const b = await body(log, String(seq));
        await admin.hset(redis(log).keys.entry(String(seq)), 'j', canonicalJson({ ...b, service_name: serviceName }));
      },
      alterAndRehash: async (log, seq, serviceName) => {
        const b = { ...(await body(log, String(seq))), service_name: serviceName } as EntryBody;
        await admin.hset(redis(log).keys.entry(String(seq)), 'j', canonicalJson(b), 'h', hashEntry(b));
      },
      remove: async (log, seq) => {
        await admin.del(redis(log).keys.entry(String(seq)));
      },
      swap: async (log, a, b) => {
        await admin.zadd(redis(log).keys.chain, b, String(a), a, String(b));
      },
      insert: async (log, forged: StoredEntry) => {
        const { hash, ...b } = forged;
        const member = `forged-${b.transaction_id}`;
        await admin.hset(redis(log).keys.entry(member), 'j', canonicalJson(b), 'h', hash);
        await admin.zadd(redis(log).keys.chain, b.seq - 0.5, member);
      },
      truncateLast: async (log) => {
        const k = redis(log).keys;
        const last = Number(await admin.hget(k.head, 'seq'));
        const prev = await admin.hget(k.entry(String(last - 1)), 'h');
        await admin.del(k.entry(String(last)));
        await admin.zrem(k.chain, String(last));
        await admin.hset(k.head, 'seq', String(last - 1), 'hash', prev ?? '');
      },
      forgeHeadHash: async (log, hash) => {
        const k = redis(log).keys;
        const [member, score] = await admin.zrevrange(k.heads, 0, 0, 'WITHSCORES');
        if (member === undefined || score === undefined) throw new Error('no signed head');
        await admin.zrem(k.heads, member);
        await admin.zadd(k.heads, score, JSON.stringify({ ...(JSON.parse(member) as object), hash }));
      },
    },
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

describeTxLogContract('redis', () => Promise.resolve(redisHarness()));

describe('redis txlog specifics', () => {
  const opened: TxLog[] = [];
  const servers: PrivateRedis[] = [];
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
    for (const s of servers.splice(0)) await s.dispose();
  });

  async function open(options: { url?: string; keyPrefix?: string; peerId?: string } = {}): Promise<RedisTxLog> {
    const log = redis(
      await createTxLog({
        kind: 'redis',
        url: options.url ?? url,
        groupId: GROUP,
        peerId: options.peerId ?? PEER,
        keyPrefix: options.keyPrefix ?? `${runPrefix}:${randomUUID()}`,
        headIntervalMs: 0,
      }),
    );
    opened.push(log);
    return log;
  }

  it('keeps every key of a peer log under one Redis Cluster hash tag, apart from other peers', async () => {
    const keyPrefix = `${runPrefix}:${randomUUID()}`;
    const a = await open({ keyPrefix });
    const b = await open({ keyPrefix, peerId: '00000000000000000002' });
    const r = record({ additional_data: { data_subject: 'bsn=999993653', process_id: 'p' } });
    await a.write(r);
    await a.writeCompletion({ transaction_id: r.transaction_id, direction: r.direction, status: 200, duration_ms: 1 });
    await b.write(record());
    const keys = await keysUnder(keyPrefix);
    expect(keys.length).toBeGreaterThan(10);
    const tags = new Set(keys.map((k) => /\{[^}]*\}/.exec(k)?.[0]));
    expect(tags).toEqual(new Set([`{txlog:${GROUP}:${PEER}}`, `{txlog:${GROUP}:00000000000000000002}`]));
    expect((await b.query({})).records).toHaveLength(1);
    expect(await b.verify()).toMatchObject({ ok: true, records: 1 });
  });

  it('shows a record written by one replica on the live tail of another', async () => {
    const keyPrefix = `${runPrefix}:${randomUUID()}`;
    const viewer = await open({ keyPrefix });
    const replica = await open({ keyPrefix });
    const seen: StoredEntry[] = [];
    const unsubscribe = await viewer.tail((e) => seen.push(e));
    const r = record();
    await replica.write(r);
    await expect.poll(() => seen.map((e) => e.transaction_id)).toEqual([r.transaction_id]);
    unsubscribe();
  });

  it('links racing replicas into one chain by compare-and-set on the head', async () => {
    const keyPrefix = `${runPrefix}:${randomUUID()}`;
    const replicas = [await open({ keyPrefix }), await open({ keyPrefix }), await open({ keyPrefix })];
    const writes = replicas.flatMap((log) => Array.from({ length: 40 }, () => log.write(record())));
    const receipts = await Promise.all(writes);
    // they all started from the same head, so some appends lost the race and were re-linked
    expect(replicas.reduce((n, log) => n + log.stats().casRetries, 0)).toBeGreaterThan(0);
    expect(receipts.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(await (replicas[1] as TxLog).verify()).toMatchObject({ ok: true, records: 120, lastSeq: 120 });
  });

  it('rejects a write within about a second when Redis cannot be reached', async () => {
    const log = await open({ url: `redis://127.0.0.1:${await freePort()}` });
    const started = performance.now();
    await expect(log.write(record())).rejects.toMatchObject({
      code: 'TRANSACTION_LOG_WRITE_ERROR',
      reason: 'store-unavailable',
    });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('fails closed while Redis is stopped, stores nothing of the refused writes, and recovers', async () => {
    const server = new PrivateRedis(await freePort());
    servers.push(server);
    await server.start();
    const log = await open({ url: server.url, keyPrefix: 'koppel' });
    await log.write(record());

    await server.stop();
    const refused = Array.from({ length: 10 }, () => record());
    const started = performance.now();
    const results = await Promise.allSettled(refused.map((r) => log.write(r)));
    expect(performance.now() - started).toBeLessThan(1500);
    for (const r of results) {
      expect(r).toMatchObject({
        status: 'rejected',
        reason: { code: 'TRANSACTION_LOG_WRITE_ERROR', reason: 'store-unavailable' },
      });
    }

    await server.start();
    const back = record();
    await expect
      .poll(
        () =>
          log.write(back).then(
            () => true,
            () => false,
          ),
        { timeout: 5000, interval: 100 },
      )
      .toBe(true);
    const found = await log.query({ transactionIds: [...refused.map((r) => r.transaction_id), back.transaction_id] });
    expect(found.records.map((r) => r.record.transaction_id)).toEqual([back.transaction_id]);
    expect(await log.verify()).toMatchObject({ ok: true, records: 2, lastSeq: 2 });
  });
});
