// @ts-check
// The chain's one implementation of its canonical form, its hash and its linking (docs/transaction-log.md
// "Hash"), in plain JavaScript so that both the TypeScript code (canonical.ts, chain.ts, verify) and the
// SQLite writer thread (which cannot use the TypeScript loader of its parent) run the same code: the
// writer thread links and hashes each batch inside its write transaction, off the event loop.
import { createHash } from 'node:crypto';

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
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}

/**
 * Number the pending entries after `head`, link each to the one before, and hash them.
 * @param {string} peerId
 * @param {{ seq: number, hash: string }} head
 * @param {readonly ({ kind: 'record', record: object, at_ms: number } | { kind: 'completion', completion: object, at_ms: number })[]} pending
 * @returns {(Record<string, unknown> & { seq: number, hash: string })[]}
 */
export function linkEntries(peerId, head, pending) {
  const out = [];
  let seq = head.seq;
  let prev = head.hash;
  for (const p of pending) {
    seq++;
    const chain = { v: 1, peer_id: peerId, seq, prev_hash: prev, at_ms: p.at_ms };
    const body = p.kind === 'record' ? { ...p.record, ...chain, kind: 'record' } : { ...p.completion, ...chain, kind: 'completion' };
    const hash = hashEntry(body);
    // The body is ours (just built): the stored entry is the body plus its hash.
    /** @type {Record<string, unknown> & { seq: number, hash: string }} */ (/** @type {unknown} */ (body)).hash = hash;
    out.push(/** @type {Record<string, unknown> & { seq: number, hash: string }} */ (/** @type {unknown} */ (body)));
    prev = hash;
  }
  return out;
}
