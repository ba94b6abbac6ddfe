// The canonical form of a chain entry and its hash. Both stores, `verify`, and anyone re-checking an
// export compute the same bytes: JSON with object members sorted by UTF-16 code units and no whitespace
// (the RFC 8785 form for our value set: strings, safe integers, plain objects). Absent optional fields
// are left out, never written as null.
import { createHash } from 'node:crypto';
import type { CompletionEntryBody, EntryBody, RecordEntryBody, StoredEntry } from './types.ts';

/** Canonical JSON of strings, safe integers, booleans, null, arrays and plain objects. */
export function canonicalJson(value: unknown): string {
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
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      throw new TypeError(`canonical form cannot hold a ${typeof value}`);
  }
}

/** Lower-case hex SHA-256 of the canonical JSON of an entry body (docs/transaction-log.md "Hash"). */
export function hashEntry(body: EntryBody): string {
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}

/** Like {@link hashEntry}, but undefined for a body that has no canonical form (a tampered value). */
export function tryHashEntry(body: EntryBody): string | undefined {
  try {
    return hashEntry(body);
  } catch {
    return undefined;
  }
}

/** The body of a stored entry (everything but its hash). */
export function bodyOf(entry: StoredEntry): EntryBody {
  const { hash: _hash, ...body } = entry;
  return body;
}

/** The same entry with another seq, for finding out where a moved entry came from. */
export function withSeq(body: EntryBody, seq: number): EntryBody {
  return { ...body, seq };
}

/**
 * Parse a stored canonical JSON body back into an entry body. Returns undefined when it is not an
 * object with the chain fields (a tampered or foreign value); the content is checked by its hash.
 */
export function parseEntryBody(json: string): EntryBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  if (typeof o.seq !== 'number' || typeof o.prev_hash !== 'string' || typeof o.peer_id !== 'string') return undefined;
  if (o.kind !== 'record' && o.kind !== 'completion') return undefined;
  if (typeof o.transaction_id !== 'string') return undefined;
  return parsed as RecordEntryBody | CompletionEntryBody;
}
