// Recomputes one peer's hash chain and checks its signed heads and newest retention anchor. Both stores
// feed it their entries in STORAGE order (SQLite: by seq; Redis: by the score in the chain sorted set),
// so a reorder, a deletion or an insertion made directly in the store shows up as a break at the first
// entry that is out of place. docs/transaction-log.md "Verification" describes the classification.
import { HeadVerifierError } from './errors.ts';
import { tryHashEntry, withSeq } from './canonical.ts';
import type { Anchor, ChainBreak, EntryBody, HeadVerifier, SignedHead, VerifyResult } from './types.ts';
import { GENESIS_HASH } from './types.ts';

/** One stored entry as read back: the parsed body (undefined when unreadable) and the stored hash. */
export interface ScanEntry {
  body: EntryBody | undefined;
  hash: string;
}

/** What a store hands to {@link verifyChain}. */
export interface ChainSource {
  peerId: string;
  /** The newest retention anchor, if the log was ever pruned. */
  anchor: Anchor | undefined;
  /** The store's own head pointer (seq and hash of the last committed entry), read BEFORE the entries. */
  head: { seq: number; hash: string } | undefined;
  /** Signed heads with seq above the anchor, read BEFORE `head` (so none is newer than the head pointer). */
  heads: SignedHead[];
  /** Entries with a storage position in (startSeq − 1, endSeq], in storage order. */
  entries(afterSeq: number, endSeq: number): AsyncIterable<ScanEntry>;
  /** Stored hash of the entry at seq (to start a partial verification in the middle). */
  hashAt(seq: number): Promise<string | undefined>;
}

export interface VerifyChainOptions {
  verifier?: HeadVerifier | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

/** How far ahead and around a break we look to tell a moved entry from a deleted or altered one. */
const WINDOW = 16;

class Peekable<T> {
  readonly #it: AsyncIterator<T>;
  readonly #buffer: T[] = [];
  #done = false;

  constructor(iterable: AsyncIterable<T>) {
    this.#it = iterable[Symbol.asyncIterator]();
  }

  async next(): Promise<T | undefined> {
    if (this.#buffer.length > 0) return this.#buffer.shift();
    return this.#pull();
  }

  async peek(n: number): Promise<T[]> {
    while (this.#buffer.length < n && !this.#done) {
      const v = await this.#pull();
      if (v === undefined) break;
      this.#buffer.push(v);
    }
    return this.#buffer.slice(0, n);
  }

  async close(): Promise<void> {
    if (!this.#done) await this.#it.return?.();
  }

  async #pull(): Promise<T | undefined> {
    if (this.#done) return undefined;
    const r = await this.#it.next();
    if (r.done) {
      this.#done = true;
      return undefined;
    }
    return r.value;
  }
}

interface CheckedHead {
  head: SignedHead;
  /** Why the signature is not acceptable, or undefined when it is (or could not be checked). */
  problem: string | undefined;
}

/** Checks that a JWS is valid and says what its stored fields say. */
async function checkSignature(
  verifier: HeadVerifier,
  jws: string | undefined,
  expected: Record<string, string | number>,
): Promise<string | undefined> {
  if (jws === undefined) return 'it is not signed';
  let payload: unknown;
  try {
    payload = await verifier(jws);
  } catch (err) {
    return err instanceof HeadVerifierError
      ? `its signature cannot be checked: ${err.message}`
      : 'its signature is not valid';
  }
  if (typeof payload !== 'object' || payload === null) return 'its signed payload is not an object';
  const p = payload as Record<string, unknown>;
  for (const [k, v] of Object.entries(expected)) {
    if (p[k] !== v) return `its signed ${k} differs from the stored one`;
  }
  return undefined;
}

function txid(body: EntryBody | undefined): string | undefined {
  return body?.transaction_id;
}

function brk(
  what: ChainBreak['what'],
  seq: number,
  detail: string,
  extra: { expectedSeq?: number; transactionId?: string | undefined } = {},
): ChainBreak {
  const b: ChainBreak = { what, seq, detail };
  if (extra.expectedSeq !== undefined) b.expectedSeq = extra.expectedSeq;
  if (extra.transactionId !== undefined) b.transactionId = extra.transactionId;
  return b;
}

/** The seq (other than its own) at which this body hashes to `hash`, searched near `near`. */
function originalSeq(body: EntryBody, hash: string, near: number): number | undefined {
  for (let d = 0; d <= WINDOW; d++) {
    for (const s of d === 0 ? [near] : [near - d, near + d]) {
      if (s < 1 || s === body.seq) continue;
      if (tryHashEntry(withSeq(body, s)) === hash) return s;
    }
  }
  return undefined;
}

/** Recompute the chain of `source`; the first break (lowest position) wins. */
export async function verifyChain(source: ChainSource, options: VerifyChainOptions = {}): Promise<VerifyResult> {
  const { verifier, peerId } = { verifier: options.verifier, peerId: source.peerId };
  const anchor = source.anchor;
  let records = 0;
  let headsChecked = 0;
  const broken = (firstBroken: ChainBreak): VerifyResult => ({ ok: false, records, heads: headsChecked, firstBroken });

  // The anchor is where the chain starts after pruning: it must be ours and (with a verifier) signed.
  if (anchor && verifier) {
    const problem = await checkSignature(verifier, anchor.jws, {
      typ: 'koppel-txlog-anchor',
      peer_id: peerId,
      seq: anchor.seq,
      hash: anchor.hash,
      at_ms: anchor.at_ms,
    });
    if (problem)
      return broken(brk('head-signature-invalid', anchor.seq, `the retention anchor at seq ${anchor.seq}: ${problem}`));
  }

  const anchorSeq = anchor?.seq ?? 0;
  let startSeq = anchorSeq + 1;
  let prevHash = anchor?.hash ?? GENESIS_HASH;
  if (options.from !== undefined && options.from > startSeq) {
    const h = await source.hashAt(options.from - 1);
    if (h === undefined) return broken(brk('missing-seq', options.from - 1, `seq ${options.from - 1} is missing`));
    startSeq = options.from;
    prevHash = h;
  }
  const endSeq = options.to ?? source.head?.seq ?? Number.MAX_SAFE_INTEGER;

  const heads: CheckedHead[] = [];
  for (const head of [...source.heads].sort((a, b) => a.seq - b.seq)) {
    // Heads beyond the store's head pointer are NOT skipped: they were read before it (ChainSource.heads),
    // so a signed head above the pointer means the pointer was moved back over cut-off entries.
    if (head.seq < startSeq || (options.to !== undefined && head.seq > options.to)) continue;
    const problem = verifier
      ? await checkSignature(verifier, head.jws, {
          typ: 'koppel-txlog-head',
          peer_id: peerId,
          seq: head.seq,
          hash: head.hash,
          at_ms: head.at_ms,
        })
      : undefined;
    heads.push({ head, problem });
  }
  let headIndex = 0;
  let lastSignedSeq = startSeq - 1;

  let expected = startSeq;
  let prevPrevHash: string | undefined;
  let prev: ScanEntry | undefined;
  const it = new Peekable(source.entries(startSeq - 1, endSeq));
  try {
    for (let e = await it.next(); e !== undefined; e = await it.next()) {
      const b = e.body;
      if (b === undefined) {
        return broken(
          brk('hash-mismatch', expected, `the entry at seq ${expected} cannot be read`, { expectedSeq: expected }),
        );
      }
      const id = { transactionId: b.transaction_id, expectedSeq: expected };
      if (tryHashEntry(b) !== e.hash || b.peer_id !== peerId) {
        const moved = b.peer_id === peerId ? originalSeq(b, e.hash, expected) : undefined;
        if (moved !== undefined && prev && moved === expected - 1 && b.prev_hash === prevPrevHash) {
          // It was written right after the entry before `prev`: `prev` was put in between.
          return broken(
            brk('inserted', prev.body?.seq ?? expected - 1, `an entry was inserted before seq ${b.seq}`, {
              expectedSeq: expected - 1,
              transactionId: txid(prev.body),
            }),
          );
        }
        if (moved !== undefined) {
          return broken(brk('reordered', b.seq, `the entry written as seq ${moved} is stored as seq ${b.seq}`, id));
        }
        const detail = b.peer_id !== peerId ? 'the entry belongs to another peer' : 'the entry does not match its hash';
        return broken(brk('hash-mismatch', b.seq, `seq ${b.seq}: ${detail}`, id));
      }
      if (b.seq === expected) {
        if (b.prev_hash !== prevHash) {
          return broken(brk('prev-hash-mismatch', b.seq, `seq ${b.seq} does not link to the entry before it`, id));
        }
      } else if (b.seq > expected) {
        const ahead = await it.peek(WINDOW);
        if (ahead.some((x) => x.body?.seq === expected)) {
          return broken(brk('reordered', b.seq, `seq ${b.seq} is stored before seq ${expected}`, id));
        }
        return broken(
          brk('missing-seq', expected, `seq ${expected} is missing (the next entry is seq ${b.seq})`, {
            expectedSeq: expected,
            transactionId: b.transaction_id,
          }),
        );
      } else {
        if (prev?.body && b.seq === prev.body.seq) {
          // Two entries claim one seq: the genuine one is the one the next entry links to.
          const [next] = await it.peek(1);
          const prevIsFake = next ? next.body?.prev_hash === e.hash : source.head?.hash === e.hash;
          const fake = prevIsFake ? prev.body : b;
          return broken(
            brk('inserted', fake.seq, `two entries claim seq ${b.seq}; one was inserted`, {
              expectedSeq: fake.seq,
              transactionId: fake.transaction_id,
            }),
          );
        }
        return broken(brk('reordered', b.seq, `seq ${b.seq} is stored after seq ${expected - 1}`, id));
      }

      records++;
      prevPrevHash = prevHash;
      prevHash = e.hash;
      prev = e;
      expected = b.seq + 1;

      while (headIndex < heads.length && (heads[headIndex] as CheckedHead).head.seq <= b.seq) {
        const { head, problem } = heads[headIndex] as CheckedHead;
        headIndex++;
        headsChecked++;
        if (problem)
          return broken(brk('head-signature-invalid', head.seq, `the signed head at seq ${head.seq}: ${problem}`));
        if (head.hash !== e.hash) {
          return broken(
            brk('head-mismatch', head.seq, `the signed head at seq ${head.seq} names another hash than the entry`, {
              transactionId: b.transaction_id,
            }),
          );
        }
        lastSignedSeq = head.seq;
      }
    }
  } finally {
    await it.close();
  }

  const lastSeq = expected - 1;
  // A signed head beyond the last entry proves the end of the log was cut off.
  for (const { head, problem } of heads.slice(headIndex)) {
    headsChecked++;
    if (problem)
      return broken(brk('head-signature-invalid', head.seq, `the signed head at seq ${head.seq}: ${problem}`));
    return broken(
      brk('missing-seq', lastSeq + 1, `a signed head covers seq ${head.seq} but the log ends at seq ${lastSeq}`, {
        expectedSeq: lastSeq + 1,
      }),
    );
  }
  if (options.to === undefined && source.head && source.head.seq >= startSeq) {
    if (source.head.seq > lastSeq) {
      return broken(
        brk(
          'missing-seq',
          lastSeq + 1,
          `the store's head is at seq ${source.head.seq} but the log ends at seq ${lastSeq}`,
          {
            expectedSeq: lastSeq + 1,
          },
        ),
      );
    }
    if (source.head.hash !== prevHash) {
      return broken(brk('head-mismatch', lastSeq, `the store's head names another hash than seq ${lastSeq}`));
    }
  }

  const result: VerifyResult = {
    ok: true,
    records,
    heads: headsChecked,
    signaturesChecked: verifier !== undefined,
    lastSeq,
    lastHash: prevHash,
    unsignedTail: lastSeq - Math.max(lastSignedSeq, startSeq - 1),
  };
  if (anchor) result.anchor = anchor;
  return result;
}
