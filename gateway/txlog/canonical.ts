// The canonical form of a chain entry and its hash (implemented once, in chain-core.js). Both stores, `verify`, and anyone re-checking an
// export compute the same bytes: JSON with object members sorted by UTF-16 code units and no whitespace
// (the RFC 8785 form for our value set: strings, safe integers, plain objects). Absent optional fields
// are left out, never written as null.
import { canonicalJson, hashEntry } from './chain-core.js';
import type { CompletionEntryBody, EntryBody, RecordEntryBody, StoredEntry } from './types.ts';

export { canonicalJson, hashEntry };

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
