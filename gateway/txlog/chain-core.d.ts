// Types of chain-core.js (plain JavaScript, shared with the SQLite writer thread).
import type { ChainHead, PendingEntry } from './chain.ts';
import type { EntryBody, StoredEntry } from './types.ts';

/** Canonical JSON of strings, safe integers, booleans, null, arrays and plain objects. */
export declare function canonicalJson(value: unknown): string;
/** Lower-case hex SHA-256 of the canonical JSON of an entry body (docs/transaction-log.md "Hash"). */
export declare function hashEntry(body: EntryBody): string;
/** Number the entries after `head`, link each to the one before, and hash them. */
export declare function linkEntries(peerId: string, head: ChainHead, pending: readonly PendingEntry[]): StoredEntry[];
