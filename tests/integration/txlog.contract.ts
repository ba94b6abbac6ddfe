// The contract every TxLog store must meet (STYLE.md: "Every store implementation runs the same contract
// test suite"). txlog-sqlite.test.ts and txlog-redis.test.ts run it against a real SQLite file and a real
// Redis; the only store-specific parts are the harness: how to read behind the log's back and how to
// tamper with the stored data directly (SQL / Redis commands), the way an attacker with access would.
import { generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createUuidV7Generator, isFscError } from '../../gateway/protocol/index.ts';
import {
  createJwsHeadSigner,
  createJwsHeadVerifier,
  hashEntry,
  type CommonTxLogOptions,
  type HeadSigner,
  type HeadVerifier,
  type LogRecord,
  type RecordEntryBody,
  type StoredEntry,
  type StoredRecord,
  type TxLog,
  type VerifyResult,
} from '../../gateway/txlog/index.ts';

export type HarnessOptions = Partial<Omit<CommonTxLogOptions, 'peerId'>>;

/** One test's storage: a fresh SQLite directory or a fresh Redis key prefix. */
export interface TxLogHarness {
  /** Opens a log of PEER on this storage. Another call opens another handle on the same data (restart, replica). */
  open(options?: HarnessOptions): Promise<TxLog>;
  /** Whether a record with this transaction id is in the store, read over an independent connection. */
  seenIndependently(log: TxLog, transactionId: string): Promise<boolean>;
  tamper: Tamper;
  /** Removes every trace of the storage. */
  cleanup(): Promise<void>;
}

/** Direct manipulation of the stored data, bypassing the TxLog. */
export interface Tamper {
  /** Change service_name of the entry at seq, leaving its hash as it was. */
  alter(log: TxLog, seq: number, serviceName: string): Promise<void>;
  /** Change service_name and store the hash recomputed over the new content. */
  alterAndRehash(log: TxLog, seq: number, serviceName: string): Promise<void>;
  /** Delete the entry at seq. */
  remove(log: TxLog, seq: number): Promise<void>;
  /** Swap the positions of the entries at seqs a and b in the storage order. */
  swap(log: TxLog, a: number, b: number): Promise<void>;
  /** Put a forged entry (valid hash, claims forged.seq) in front of the genuine entry with that seq. */
  insert(log: TxLog, forged: StoredEntry): Promise<void>;
  /** Delete the last entry and move the store's head pointer back to the one before it. */
  truncateLast(log: TxLog): Promise<void>;
  /** Overwrite the stored hash of the newest signed head with another entry's hash. */
  forgeHeadHash(log: TxLog, hash: string): Promise<void>;
}

export const PEER = '00000000000000000001';
const PEER_B = '00000000000000000002';
const PEER_C = '00000000000000000003';
const PEER_D = '00000000000000000004';
const GRANT_1 = '$1$3$grant-one';
const GRANT_2 = '$1$3$grant-two';
const T0 = 1_700_000_000; // Unix seconds
const DAY_MS = 86_400_000;

const uuid = createUuidV7Generator();

/** A mutable clock in Unix milliseconds, injected into the log. */
export class TestClock {
  now = T0 * 1000;
  readonly fn = (): number => this.now;
}

export function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    transaction_id: uuid(),
    direction: 'DIRECTION_OUTGOING',
    grant_hash: GRANT_1,
    source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: PEER },
    destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: PEER_B },
    service_name: 'basisregistratie',
    created_at: T0,
    ...overrides,
  };
}

async function keys(): Promise<{ signer: HeadSigner; verifier: HeadVerifier; otherSigner: HeadSigner }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  return {
    signer: createJwsHeadSigner({ privateKey, x5tS256: 'dGVzdC1jZXJ0aWZpY2F0ZQ' }),
    verifier: createJwsHeadVerifier({ publicKey }),
    otherSigner: createJwsHeadSigner({ privateKey: other.privateKey, x5tS256: 'b3RoZXI' }),
  };
}

/** Write n records one after another (distinct seqs in write order); returns their transaction ids. */
async function writeN(log: TxLog, n: number, overrides: Partial<LogRecord> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = record(overrides);
    await log.write(r);
    ids.push(r.transaction_id);
  }
  return ids;
}

async function bySeq(log: TxLog, seq: number): Promise<StoredRecord> {
  const all = await collect(log);
  const found = all.find((r) => r.seq === seq);
  if (!found) throw new Error(`no record with seq ${seq}`);
  return found;
}

async function collect(log: TxLog, filter = {}): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const r of log.stream(filter)) out.push(r);
  return out;
}

function broken(result: VerifyResult): Extract<VerifyResult, { ok: false }>['firstBroken'] {
  if (result.ok) throw new Error('verify reported ok');
  return result.firstBroken;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

export function describeTxLogContract(name: string, makeHarness: () => Promise<TxLogHarness>): void {
  describe(`txlog contract: ${name}`, () => {
    let harness: TxLogHarness | undefined;
    const opened: TxLog[] = [];

    async function open(options: HarnessOptions = {}): Promise<TxLog> {
      harness ??= await makeHarness();
      const log = await harness.open({ headIntervalMs: 0, pruneIntervalMs: 0, ...options });
      opened.push(log);
      return log;
    }

    function h(): TxLogHarness {
      if (!harness) throw new Error('open a log first');
      return harness;
    }

    afterEach(async () => {
      for (const log of opened.splice(0)) await log.close();
      await harness?.cleanup();
      harness = undefined;
    });

    describe('writing', () => {
      it('stores the FSC record as given and returns it from a query', async () => {
        const log = await open();
        const plain = record({ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
        const delegated = record({
          direction: 'DIRECTION_INCOMING',
          source: { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: PEER_C, delegator_peer_id: PEER_D },
          destination: {
            type: 'DESTINATION_TYPE_DELEGATED_DESTINATION',
            service_peer_id: PEER,
            delegator_peer_id: PEER_B,
          },
          additional_data: { process_id: 'proc-1', data_subject: 'bsn=999993653,kenteken=AB-12-CD', user_id: 'u1' },
        });
        const a = await log.write(plain);
        const b = await log.write(delegated);
        expect(a.seq).toBe(1);
        expect(b.seq).toBe(2);
        expect(a.hash).toMatch(/^[0-9a-f]{64}$/);

        const { records, nextCursor } = await log.query({});
        expect(nextCursor).toBe('');
        expect(records.map((r) => r.record)).toEqual([plain, delegated]);
        expect(records[1]).toMatchObject({ peer_id: PEER, seq: 2, prev_hash: a.hash, hash: b.hash });
      });

      it('resolves a write only once the record is readable over an independent connection', async () => {
        const log = await open();
        const ids = Array.from({ length: 50 }, () => record());
        const checks = ids.map((r) => log.write(r).then(() => h().seenIndependently(log, r.transaction_id)));
        expect(await Promise.all(checks)).toEqual(ids.map(() => true));
      });

      it('commits concurrent writes together (group commit) and one by one when they arrive one by one', async () => {
        const log = await open();
        const before = log.stats().commits;
        const receipts = await Promise.all(Array.from({ length: 200 }, () => log.write(record())));
        const grouped = log.stats().commits - before;
        expect(grouped).toBeGreaterThanOrEqual(1);
        expect(grouped).toBeLessThanOrEqual(4);
        expect(receipts.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

        const mid = log.stats().commits;
        await writeN(log, 5);
        expect(log.stats().commits - mid).toBe(5);
        expect(log.stats()).toMatchObject({ failedCommits: 0, entries: 205, pending: 0 });
        expect((await log.verify()).ok).toBe(true);
      });

      it('refuses an invalid record with TRANSACTION_LOG_WRITE_ERROR without failing the records beside it', async () => {
        const log = await open();
        const good = log.write(record());
        const bad = log.write(record({ transaction_id: 'not-a-uuid' }));
        const badSource = log.write(record({ source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: '' } }));
        const err = await rejection(bad);
        expect(isFscError(err) && err.code).toBe('TRANSACTION_LOG_WRITE_ERROR');
        expect(isFscError(err) && err.status).toBe(500);
        expect(isFscError(err) && err.reason).toBe('invalid-record');
        await expect(badSource).rejects.toMatchObject({ code: 'TRANSACTION_LOG_WRITE_ERROR' });
        expect((await good).seq).toBe(1);
        expect((await log.query({})).records).toHaveLength(1);
      });

      it('appends the completion as its own chained entry and joins it to the record in queries', async () => {
        const log = await open();
        const r = record();
        await log.write(r);
        await log.write(record());
        const c = await log.writeCompletion({
          transaction_id: r.transaction_id,
          direction: r.direction,
          status: 200,
          duration_ms: 12,
        });
        expect(c.seq).toBe(3);
        const { records } = await log.query({});
        expect(records).toHaveLength(2);
        expect(records[0]?.completion).toMatchObject({ status: 200, duration_ms: 12, seq: 3 });
        expect(records[1]?.completion).toBeUndefined();
        expect(await log.verify()).toMatchObject({ ok: true, records: 3 });
      });

      it('rejects writes after close, and close is idempotent', async () => {
        const log = await open();
        await log.write(record());
        await Promise.all([log.close(), log.close()]);
        await log.close();
        await expect(log.write(record())).rejects.toMatchObject({
          code: 'TRANSACTION_LOG_WRITE_ERROR',
          reason: 'closed',
        });
      });

      it('commits writes that were pending when close was called', async () => {
        const log = await open();
        const writes = Array.from({ length: 20 }, () => log.write(record()));
        const closing = log.close();
        expect((await Promise.all(writes)).map((w) => w.seq).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        await closing;
        const again = await open();
        expect((await again.query({}, { limit: 100 })).records).toHaveLength(20);
      });
    });

    describe('queries (GET /v1/logs)', () => {
      it('filters on after/before, grant hashes and service names, with OR inside a list', async () => {
        const log = await open();
        await log.write(record({ created_at: T0, grant_hash: GRANT_1, service_name: 'a-service' }));
        await log.write(record({ created_at: T0 + 10, grant_hash: GRANT_2, service_name: 'b-service' }));
        await log.write(record({ created_at: T0 + 20, grant_hash: GRANT_1, service_name: 'c-service' }));
        const seqs = async (filter: Parameters<TxLog['query']>[0]): Promise<number[]> =>
          (await log.query(filter)).records.map((r) => r.seq);
        expect(await seqs({ after: T0 })).toEqual([2, 3]);
        expect(await seqs({ before: T0 + 20 })).toEqual([1, 2]);
        expect(await seqs({ after: T0, before: T0 + 20 })).toEqual([2]);
        expect(await seqs({ grantHashes: [GRANT_1] })).toEqual([1, 3]);
        expect(await seqs({ grantHashes: [GRANT_1, GRANT_2] })).toEqual([1, 2, 3]);
        expect(await seqs({ serviceNames: ['a-service', 'b-service'] })).toEqual([1, 2]);
        expect(await seqs({ serviceNames: ['b-service'], grantHashes: [GRANT_1] })).toEqual([]);
        expect(await seqs({ grantHashes: [] })).toEqual([]);
      });

      it('lets transaction_ids override the other filters and pagination', async () => {
        const log = await open();
        const ids = await writeN(log, 5);
        const result = await log.query(
          {
            transactionIds: [ids[3] as string, (ids[1] as string).toUpperCase(), uuid()],
            serviceNames: ['nope'],
            after: T0 + 1000,
          },
          { limit: 1 },
        );
        expect(result.records.map((r) => r.record.transaction_id)).toEqual([ids[1], ids[3]]);
        expect(result.nextCursor).toBe('');
      });

      it('pages with a cursor in both orders', async () => {
        const log = await open();
        await writeN(log, 7);
        const pages = async (order: 'SORT_ORDER_ASCENDING' | 'SORT_ORDER_DESCENDING'): Promise<number[][]> => {
          const out: number[][] = [];
          let cursor = '';
          do {
            const r = await log.query({}, { limit: 3, order, ...(cursor ? { cursor } : {}) });
            out.push(r.records.map((x) => x.seq));
            cursor = r.nextCursor;
          } while (cursor);
          return out;
        };
        expect(await pages('SORT_ORDER_ASCENDING')).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
        expect(await pages('SORT_ORDER_DESCENDING')).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
        expect((await log.query({}, { limit: 7 })).nextCursor).toBe('');
      });

      it('refuses a bad cursor or limit with a 400', async () => {
        const log = await open();
        await expect(log.query({}, { cursor: 'not a cursor!' })).rejects.toMatchObject({
          code: 'ERROR_CODE_BAD_REQUEST',
          status: 400,
        });
        await expect(log.query({}, { cursor: Buffer.from('x:1').toString('base64url') })).rejects.toMatchObject({
          code: 'ERROR_CODE_BAD_REQUEST',
        });
        await expect(log.query({}, { limit: 0 })).rejects.toMatchObject({ code: 'ERROR_CODE_BAD_REQUEST' });
        await expect(log.query({}, { limit: 1001 })).rejects.toMatchObject({ code: 'ERROR_CODE_BAD_REQUEST' });
      });

      it('shows a peer only the records it is source, destination or delegator of', async () => {
        const log = await open();
        // seq 1: PEER → B; 2: C → PEER on behalf of D; 3: PEER → B, service on behalf of C; 4: B → PEER
        await log.write(record());
        await log.write(
          record({
            direction: 'DIRECTION_INCOMING',
            source: { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: PEER_C, delegator_peer_id: PEER_D },
            destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: PEER },
          }),
        );
        await log.write(
          record({
            destination: {
              type: 'DESTINATION_TYPE_DELEGATED_DESTINATION',
              service_peer_id: PEER_B,
              delegator_peer_id: PEER_C,
            },
          }),
        );
        const incomingFromB = record({
          direction: 'DIRECTION_INCOMING',
          source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: PEER_B },
          destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: PEER },
        });
        await log.write(incomingFromB);
        const seqs = async (visibleTo: string, extra = {}): Promise<number[]> =>
          (await log.query({ visibleTo, ...extra })).records.map((r) => r.seq);
        expect(await seqs(PEER)).toEqual([1, 2, 3, 4]);
        expect(await seqs(PEER_B)).toEqual([1, 3, 4]);
        expect(await seqs(PEER_C)).toEqual([2, 3]);
        expect(await seqs(PEER_D)).toEqual([2]);
        expect(await seqs('09999999999999999999')).toEqual([]);
        // transaction_ids never widens what a peer may see
        expect(await seqs(PEER_D, { transactionIds: [incomingFromB.transaction_id] })).toEqual([]);
        expect(await seqs(PEER_B, { transactionIds: [incomingFromB.transaction_id] })).toEqual([4]);
        // combined with the console's peer filter and a data filter
        expect(await seqs(PEER_C, { peerId: PEER_D })).toEqual([2]);
        expect(await seqs(PEER_B, { direction: 'DIRECTION_INCOMING' })).toEqual([4]);
      });

      it('finds records by data subject, process id, peer and direction (console filters)', async () => {
        const log = await open();
        await log.write(
          record({ additional_data: { data_subject: 'bsn=999993653, kenteken=AB-12-CD', process_id: 'p-1' } }),
        );
        await log.write(record({ additional_data: { data_subject: 'BSN=999993653', process_id: 'p-2' } }));
        await log.write(
          record({
            additional_data: { data_subject: 'bsn=111222333', process_id: 'p-1' },
            direction: 'DIRECTION_INCOMING',
          }),
        );
        await log.write(record({ destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: PEER_C } }));
        const seqs = async (filter: Parameters<TxLog['query']>[0]): Promise<number[]> =>
          (await log.query(filter)).records.map((r) => r.seq);
        expect(await seqs({ dataSubject: 'bsn=999993653' })).toEqual([1, 2]);
        expect(await seqs({ dataSubject: ' Bsn = 999993653 ' })).toEqual([1, 2]);
        expect(await seqs({ dataSubject: 'kenteken=AB-12-CD' })).toEqual([1]);
        expect(await seqs({ dataSubject: 'kenteken=ab-12-cd' })).toEqual([]);
        expect(await seqs({ processId: 'p-1' })).toEqual([1, 3]);
        expect(await seqs({ processId: 'p-1', direction: 'DIRECTION_OUTGOING' })).toEqual([1]);
        expect(await seqs({ dataSubject: 'bsn=999993653', processId: 'p-2' })).toEqual([2]);
        expect(await seqs({ peerId: PEER_C })).toEqual([4]);
        expect(await seqs({ peerId: PEER_C, dataSubject: 'bsn=111222333' })).toEqual([]);
        expect(await seqs({ direction: 'DIRECTION_INCOMING' })).toEqual([3]);
        const page = await log.query({ dataSubject: 'bsn=999993653' }, { limit: 1, order: 'SORT_ORDER_DESCENDING' });
        expect(page.records.map((r) => r.seq)).toEqual([2]);
        expect(
          (
            await log.query(
              { dataSubject: 'bsn=999993653' },
              { limit: 1, cursor: page.nextCursor, order: 'SORT_ORDER_DESCENDING' },
            )
          ).records.map((r) => r.seq),
        ).toEqual([1]);
      });

      it('finds the few records of one data subject among many', async () => {
        const log = await open();
        const N = 5000;
        for (let start = 0; start < N; start += 1000) {
          await Promise.all(
            Array.from({ length: 1000 }, (_, i) =>
              log.write(
                record({
                  additional_data: {
                    data_subject:
                      (start + i) % 1700 === 7
                        ? `bsn=123456782,kenteken=K-${start + i}`
                        : `bsn=${100000000 + start + i}`,
                  },
                }),
              ),
            ),
          );
        }
        const started = performance.now();
        const found = await log.query({ dataSubject: 'bsn=123456782' });
        const elapsedMs = performance.now() - started;
        expect(found.records.map((r) => r.seq)).toEqual([8, 1708, 3408]);
        expect(found.nextCursor).toBe('');
        // A loose guard only (the machine may be busy); the SQLite test checks the query plan itself.
        expect(elapsedMs).toBeLessThan(1000);
        expect((await log.query({ dataSubject: 'kenteken=K-1707' })).records.map((r) => r.seq)).toEqual([1708]);
      });

      it('streams every matching record across pages', async () => {
        const log = await open();
        await writeN(log, 30, { service_name: 'one' });
        await writeN(log, 5, { service_name: 'two' });
        const all: number[] = [];
        for await (const r of log.stream({ serviceNames: ['one'] }, { batchSize: 7 })) all.push(r.seq);
        expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        const desc: number[] = [];
        for await (const r of log.stream({}, { batchSize: 4, order: 'SORT_ORDER_DESCENDING' })) desc.push(r.seq);
        expect(desc).toEqual(Array.from({ length: 35 }, (_, i) => 35 - i));
      });

      it('tells tail listeners about every entry committed after they subscribed', async () => {
        const log = await open();
        await log.write(record());
        const seen: StoredEntry[] = [];
        const unsubscribe = await log.tail((e) => seen.push(e));
        const r = record();
        const w = await log.write(r);
        await log.writeCompletion({
          transaction_id: r.transaction_id,
          direction: r.direction,
          status: 502,
          duration_ms: 3,
        });
        await expect.poll(() => seen.length).toBe(2);
        expect(seen[0]).toMatchObject({ kind: 'record', seq: 2, hash: w.hash, transaction_id: r.transaction_id });
        expect(seen[1]).toMatchObject({ kind: 'completion', seq: 3, status: 502 });
        unsubscribe();
        await log.write(record());
        const sentinel: StoredEntry[] = [];
        const unsubscribe2 = await log.tail((e) => sentinel.push(e));
        const last = await log.write(record());
        // On Redis the notice of the write just before subscribing travels on another connection and
        // may still arrive; what counts is that the new listener gets the entry committed after it
        // subscribed, and that the listener that left gets nothing more.
        await expect.poll(() => sentinel.some((e) => e.hash === last.hash)).toBe(true);
        expect(seen).toHaveLength(2);
        unsubscribe2();
      });
    });

    describe('tamper evidence', () => {
      it('verifies an intact chain with its signed heads', async () => {
        const k = await keys();
        const log = await open({ signer: k.signer, verifier: k.verifier });
        expect(await log.verify()).toMatchObject({ ok: true, records: 0, heads: 0, lastSeq: 0 });
        await writeN(log, 4);
        const head = await log.signHead();
        expect(head).toMatchObject({ seq: 4 });
        expect(head?.jws?.split('.')).toHaveLength(3);
        expect(await log.signHead()).toBeNull(); // nothing new
        await writeN(log, 3);
        await log.signHead();
        await writeN(log, 2);
        expect(await log.verify()).toMatchObject({
          ok: true,
          records: 9,
          heads: 2,
          signaturesChecked: true,
          lastSeq: 9,
          unsignedTail: 2,
        });
        expect(await log.verify({ from: 3, to: 6 })).toMatchObject({ ok: true, records: 4, lastSeq: 6 });
      });

      it('signs the head at close, so a restart finds the whole log covered', async () => {
        const k = await keys();
        const log = await open({ signer: k.signer, verifier: k.verifier });
        await writeN(log, 3);
        await log.close();
        const again = await open({ signer: k.signer, verifier: k.verifier });
        expect(await again.verify()).toMatchObject({ ok: true, records: 3, heads: 1, unsignedTail: 0 });
      });

      it('detects an altered record (hash-mismatch at that record)', async () => {
        const log = await open();
        const ids = await writeN(log, 10);
        await h().tamper.alter(log, 5, 'forged-service');
        expect(broken(await log.verify())).toMatchObject({ what: 'hash-mismatch', seq: 5, transactionId: ids[4] });
      });

      it('detects an altered record whose hash was recomputed (the next record no longer links)', async () => {
        const log = await open();
        const ids = await writeN(log, 10);
        await h().tamper.alterAndRehash(log, 5, 'forged-service');
        expect(broken(await log.verify())).toMatchObject({ what: 'prev-hash-mismatch', seq: 6, transactionId: ids[5] });
      });

      it('detects a rehashed last record through the signed head', async () => {
        const k = await keys();
        const log = await open({ signer: k.signer, verifier: k.verifier });
        const ids = await writeN(log, 6);
        await log.signHead();
        await h().tamper.alterAndRehash(log, 6, 'forged-service');
        expect(broken(await log.verify())).toMatchObject({ what: 'head-mismatch', seq: 6, transactionId: ids[5] });
      });

      it('detects a deleted record (missing-seq)', async () => {
        const log = await open();
        const ids = await writeN(log, 10);
        await h().tamper.remove(log, 4);
        expect(broken(await log.verify())).toMatchObject({ what: 'missing-seq', seq: 4, transactionId: ids[4] });
      });

      it('detects reordered records', async () => {
        const log = await open();
        const ids = await writeN(log, 10);
        await h().tamper.swap(log, 5, 6);
        expect(broken(await log.verify())).toMatchObject({ what: 'reordered', transactionId: ids[5] });
      });

      it('detects an inserted record, even one with a valid hash and link', async () => {
        const log = await open();
        await writeN(log, 10);
        const before = await bySeq(log, 5);
        const body: RecordEntryBody = {
          ...record({ service_name: 'forged-service' }),
          v: 1,
          kind: 'record',
          peer_id: PEER,
          seq: 6,
          prev_hash: before.hash,
          at_ms: before.at_ms,
        };
        const forged: StoredEntry = { ...body, hash: hashEntry(body) };
        await h().tamper.insert(log, forged);
        expect(broken(await log.verify())).toMatchObject({
          what: 'inserted',
          seq: 6,
          transactionId: body.transaction_id,
        });
      });

      it('detects records cut off the end through the signed head', async () => {
        const k = await keys();
        const log = await open({ signer: k.signer, verifier: k.verifier });
        await writeN(log, 8);
        await log.signHead();
        await h().tamper.truncateLast(log);
        expect(broken(await log.verify())).toMatchObject({ what: 'missing-seq', seq: 8 });
      });

      it('detects a signed head whose stored hash was changed', async () => {
        const k = await keys();
        const log = await open({ signer: k.signer, verifier: k.verifier });
        await writeN(log, 5);
        await log.signHead();
        await h().tamper.forgeHeadHash(log, (await bySeq(log, 2)).hash);
        expect(broken(await log.verify())).toMatchObject({ what: 'head-signature-invalid', seq: 5 });
      });

      it('detects a head signed with a key other than the peer key', async () => {
        const k = await keys();
        const log = await open({ signer: k.otherSigner, verifier: k.verifier });
        await writeN(log, 3);
        await log.signHead();
        expect(broken(await log.verify())).toMatchObject({ what: 'head-signature-invalid', seq: 3 });
      });

      it('keeps one valid chain when several handles write to the same store at once', async () => {
        const logs = [await open(), await open(), await open(), await open()];
        const writes: Promise<unknown>[] = [];
        for (let round = 0; round < 25; round++) {
          for (const log of logs) writes.push(log.write(record()));
          if (round % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(writes);
        const result = await (logs[0] as TxLog).verify();
        expect(result).toMatchObject({ ok: true, records: 100, lastSeq: 100 });
        const seqs = (await collect(logs[3] as TxLog)).map((r) => r.seq);
        expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      });
    });

    describe('retention', () => {
      it('prunes expired records behind a signed anchor and keeps verification intact', async () => {
        const k = await keys();
        const clock = new TestClock();
        const log = await open({ signer: k.signer, verifier: k.verifier, clock: clock.fn, retentionDays: 1 });
        const old = await writeN(log, 12);
        await log.signHead();
        clock.now += 2 * DAY_MS;
        const kept = await writeN(log, 3);
        const result = await log.prune(clock.now);
        expect(result).toMatchObject({ removed: 12, anchor: { seq: 12 } });
        expect(result.anchor?.jws).toBeDefined();
        expect(
          (await log.query({ transactionIds: [...old, ...kept] })).records.map((r) => r.record.transaction_id),
        ).toEqual(kept);
        expect(await log.verify()).toMatchObject({ ok: true, records: 3, anchor: { seq: 12 }, lastSeq: 15 });

        await writeN(log, 2);
        await log.signHead();
        expect(await log.verify()).toMatchObject({ ok: true, records: 5, heads: 1, lastSeq: 17 });
        expect(await log.prune(clock.now)).toMatchObject({ removed: 0 });

        // a second cut continues from the first anchor
        clock.now += 2 * DAY_MS;
        expect(await log.prune(clock.now)).toMatchObject({ removed: 5, anchor: { seq: 17 } });
        expect(await log.verify()).toMatchObject({ ok: true, records: 0, lastSeq: 17 });
        expect((await log.write(record())).seq).toBe(18);
        expect(await log.verify()).toMatchObject({ ok: true, records: 1, lastSeq: 18 });
      });

      it('prunes more than one batch', async () => {
        const clock = new TestClock();
        const log = await open({ clock: clock.fn, retentionMs: 1000 });
        await Promise.all(Array.from({ length: 1200 }, () => log.write(record())));
        clock.now += 5000;
        await writeN(log, 1);
        expect(await log.prune(clock.now)).toMatchObject({ removed: 1200, anchor: { seq: 1200 } });
        expect(await log.verify()).toMatchObject({ ok: true, records: 1, lastSeq: 1201 });
      });

      it('refuses to prune over a tampered record, so retention never erases evidence', async () => {
        const clock = new TestClock();
        const log = await open({ clock: clock.fn, retentionDays: 1 });
        await writeN(log, 6);
        await h().tamper.alter(log, 3, 'forged-service');
        clock.now += 2 * DAY_MS;
        const result = await log.prune(clock.now);
        expect(result.removed).toBe(0);
        expect(result.refused).toContain('seq 3');
        expect(broken(await log.verify())).toMatchObject({ what: 'hash-mismatch', seq: 3 });
      });

      it('detects records deleted after a prune, behind the anchor', async () => {
        const k = await keys();
        const clock = new TestClock();
        const log = await open({ signer: k.signer, verifier: k.verifier, clock: clock.fn, retentionDays: 1 });
        await writeN(log, 4);
        clock.now += 2 * DAY_MS;
        await writeN(log, 4);
        expect(await log.prune(clock.now)).toMatchObject({ removed: 4 });
        // without pruning rights: delete what retention kept
        await h().tamper.remove(log, 5);
        expect(broken(await log.verify())).toMatchObject({ what: 'missing-seq', seq: 5 });
      });
    });
  });
}
