// @ts-check
// The chain's one implementation of its canonical form, its hash and its linking (docs/transaction-log.md
// "Hash"), in plain JavaScript so that both the TypeScript code (canonical.ts, chain.ts, verify) and the
// SQLite writer thread (which cannot use the TypeScript loader of its parent) run the same code: the
// writer thread links and hashes each batch inside its write transaction, off the event loop.
import { hash as sha } from 'node:crypto';

/**
 * Canonical JSON of strings, safe integers, booleans, null, arrays and plain objects: object members
 * sorted by UTF-16 code units, no whitespace (the RFC 8785 form for this value set); undefined members
 * are left out.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError('canonical form holds integers only');
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const obj = /** @type {Record<string, unknown>} */ (value);
      let out = '';
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined) continue;
        out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
      }
      return `{${out}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      throw new TypeError(`canonical form cannot hold a ${typeof value}`);
  }
}

/**
 * Lower-case hex SHA-256 of the canonical JSON of an entry body.
 * @param {object} body
 * @returns {string}
 */
export function hashEntry(body) {
  return sha('sha256', canonicalJson(body), 'hex');
}

/**
 * The canonical JSON of `{ ...payload, ...chain }`, without building that object (on the writer's path
 * that object and its garbage cost more than the text): same members, same order, same text.
 * @param {Record<string, unknown>} payload
 * @param {Record<string, unknown>} chain
 * @returns {string}
 */
export function canonicalMerged(payload, chain) {
  const keys = Object.keys(payload);
  for (const key of Object.keys(chain)) if (!Object.hasOwn(payload, key)) keys.push(key);
  keys.sort();
  let out = '';
  for (const key of keys) {
    const v = Object.hasOwn(chain, key) ? chain[key] : payload[key];
    if (v === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

/** @typedef {{ kind: 'record', record: object, at_ms: number } | { kind: 'completion', completion: object, at_ms: number }} Pending */

/**
 * The chain fields of the entry at `seq` after `prev`, with its kind.
 * @param {string} peerId
 * @param {number} seq
 * @param {string} prev
 * @param {Pending} p
 */
function chainOf(peerId, seq, prev, p) {
  return { v: 1, peer_id: peerId, seq, prev_hash: prev, at_ms: p.at_ms, kind: p.kind };
}

/**
 * @param {Pending} p
 * @returns {Record<string, unknown>}
 */
function payloadOf(p) {
  return /** @type {Record<string, unknown>} */ (p.kind === 'record' ? p.record : p.completion);
}

/**
 * Number the pending entries after `head`, link each to the one before, and hash them.
 * @param {string} peerId
 * @param {{ seq: number, hash: string }} head
 * @param {readonly Pending[]} pending
 * @returns {(Record<string, unknown> & { seq: number, hash: string })[]}
 */
export function linkEntries(peerId, head, pending) {
  const { hashes } = linkTexts(peerId, head, pending);
  const out = [];
  let prev = head.hash;
  for (let i = 0; i < pending.length; i++) {
    const p = /** @type {Pending} */ (pending[i]);
    const hash = /** @type {string} */ (hashes[i]);
    out.push({ ...payloadOf(p), ...chainOf(peerId, head.seq + i + 1, prev, p), hash });
    prev = hash;
  }
  return out;
}

/**
 * The linking of {@link linkEntries} as text: each entry's canonical JSON (what is hashed and stored)
 * and its hash, entry i at seq head.seq + 1 + i.
 * @param {string} peerId
 * @param {{ seq: number, hash: string }} head
 * @param {readonly Pending[]} pending
 * @returns {{ texts: string[], hashes: string[] }}
 */
export function linkTexts(peerId, head, pending) {
  const texts = [];
  const hashes = [];
  let prev = head.hash;
  for (let i = 0; i < pending.length; i++) {
    const p = /** @type {Pending} */ (pending[i]);
    const text = canonicalMerged(payloadOf(p), chainOf(peerId, head.seq + i + 1, prev, p));
    const hash = sha('sha256', text, 'hex');
    texts.push(text);
    hashes.push(hash);
    prev = hash;
  }
  return { texts, hashes };
}
