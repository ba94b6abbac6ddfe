// Redis key design of one peer's transaction log. Every key shares the hash tag `{txlog:<group>:<peer>}`,
// so a peer's log lives in one Cluster slot and the Lua scripts may touch all of it atomically; the
// `txlog:` inside the tag keeps it out of the slot of the same peer's contract store.
import { partiesOf, processIdOf, subjectsOf } from '../../index-terms.ts';
import type { EntryBody } from '../../types.ts';

export class TxLogKeys {
  readonly base: string;

  constructor(prefix: string, groupId: string, peerId: string) {
    // A brace inside the tag would move the hash tag and split a peer's keys over slots.
    if (/[{}]/.test(groupId) || /[{}]/.test(peerId)) throw new TypeError('groupId and peerId must not contain braces');
    this.base = `${prefix}:{txlog:${groupId}:${peerId}}`;
  }

  /** HASH seq, hash: the last committed entry. Moved only by the append script. */
  get head(): string {
    return `${this.base}:head`;
  }
  /** ZSET member = entry id (the seq), score = seq: the storage order verify walks. */
  get chain(): string {
    return `${this.base}:chain`;
  }
  /** ZSET score = seq, member = JSON signed head. */
  get heads(): string {
    return `${this.base}:heads`;
  }
  /** ZSET score = seq, member = JSON retention anchor. */
  get anchors(): string {
    return `${this.base}:anchors`;
  }
  /** Pub/sub channel of committed entries (live tail across replicas). */
  get tail(): string {
    return `${this.base}:tail`;
  }
  /** HASH j (canonical JSON body), h (hash). */
  entry(member: string): string {
    return `${this.base}:e:${member}`;
  }
  /** ZSET of all record seqs (the unfiltered query index). */
  get records(): string {
    return `${this.base}:rec`;
  }
  party(peerId: string): string {
    return `${this.base}:party:${peerId}`;
  }
  subject(subject: string): string {
    return `${this.base}:subj:${subject}`;
  }
  grant(grantHash: string): string {
    return `${this.base}:gh:${grantHash}`;
  }
  service(name: string): string {
    return `${this.base}:svc:${name}`;
  }
  process(id: string): string {
    return `${this.base}:proc:${id}`;
  }
  /** ZSET of the seqs of records and completions with this transaction id. */
  transaction(id: string): string {
    return `${this.base}:tx:${id}`;
  }
  /** STRING: seq of the completion entry of (transaction, direction). */
  done(id: string, direction: string): string {
    return `${this.base}:done:${id}:${direction}`;
  }

  /** The sorted-set indexes an entry is a member of (besides the chain). */
  indexesOf(body: EntryBody): string[] {
    if (body.kind !== 'record') return [this.transaction(body.transaction_id)];
    const keys = new Set<string>([
      this.records,
      this.transaction(body.transaction_id),
      this.grant(body.grant_hash),
      this.service(body.service_name),
      ...partiesOf(body).map((p) => this.party(p)),
      ...subjectsOf(body).map((s) => this.subject(s)),
    ]);
    const process = processIdOf(body);
    if (process !== undefined) keys.add(this.process(process));
    return [...keys];
  }

  /** The completion pointer an entry sets, if it is a completion. */
  pointerOf(body: EntryBody): string | undefined {
    return body.kind === 'completion' ? this.done(body.transaction_id, body.direction) : undefined;
  }
}
