// Types of chain-core.js (plain JavaScript, shared with the SQLite writer thread).
import type { ChainHead, PendingEntry } from './chain.ts';
import type { EntryBody, StoredEntry } from './types.ts';

/** Canonical JSON of strings, safe integers, booleans, null, arrays and plain objects. */
export declare function canonicalJson(value: unknown): string;
/** Lower-case hex SHA-256 of the canonical JSON of an entry body (docs/transaction-log.md "Hash"). */
export declare function hashEntry(body: EntryBody): string;
/** Number the entries after `head`, link each to the one before, and hash them. */
export declare function linkEntries(peerId: string, head: ChainHead, pending: readonly PendingEntry[]): StoredEntry[];
/** The linking of linkEntries as text: each entry's canonical JSON and hash, entry i at seq head.seq + 1 + i. */
export declare function linkTexts(
  peerId: string,
  head: ChainHead,
  pending: readonly PendingEntry[],
): { texts: string[]; hashes: string[] };
/** The canonical JSON of `{ ...payload, ...chain }`, without building that object. */
export declare function canonicalMerged(payload: object, chain: object): string;
