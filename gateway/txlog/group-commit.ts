// Group commit: writes that arrive while a commit is being prepared or running share the next commit,
// so many concurrent requests cost one fsync (SQLite) or one script call (Redis) instead of one each
// (DESIGN.md "Durability"). Each caller's promise settles only after the commit it was part of has
// settled: resolved when it committed, rejected — together with every other item of that batch — when
// it failed. One commit runs at a time, which keeps the chain's seq order equal to the commit order.
// A "lazy" item (a completion entry, which nobody waits for before answering) does not start a commit
// of its own at once: it rides along with the next commit, or is committed after `lazyDelayMs`. At low
// load this halves the fsyncs, and the next request's record no longer queues behind a completion.

interface Waiting<I, R> {
  item: I;
  lazy: boolean;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** How long the first item of a group waits for company; 0 = the next macrotask (setImmediate). */
  windowMs: number;
  maxBatchSize: number;
  /** Longest a lazy item waits for company before it is committed on its own; 0 = treated like any item. */
  lazyDelayMs?: number;
}

/** Commits a batch; returns one result per item, in order, only after the batch is durable. */
export type CommitBatch<I, R> = (items: I[]) => Promise<readonly R[]>;

export class GroupCommitter<I, R> {
  readonly #commit: CommitBatch<I, R>;
  readonly #options: GroupCommitOptions;
  #queue: Waiting<I, R>[] = [];
  #scheduled = false;
  /** Queued items that are not lazy: they want a commit now. */
  #eager = 0;
  #lazyTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #idle: (() => void)[] = [];
  commits = 0;
  failedCommits = 0;
  entries = 0;

  constructor(commit: CommitBatch<I, R>, options: GroupCommitOptions) {
    this.#commit = commit;
    this.#options = options;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Queue an item for the next commit; with `lazy`, see the file comment. */
  submit(item: I, options: { lazy?: boolean } = {}): Promise<R> {
    const lazy = options.lazy === true && (this.#options.lazyDelayMs ?? 0) > 0;
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, lazy, resolve, reject });
      if (lazy) {
        this.#scheduleLazy();
      } else {
        this.#eager++;
        this.#schedule();
      }
    });
  }

  /** Resolves when nothing is queued or committing (lazy items are committed at once). */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && !this.#running && !this.#scheduled) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#idle.push(resolve));
    this.#schedule();
    return done;
  }

  #scheduleLazy(): void {
    if (this.#lazyTimer !== undefined || this.#scheduled || this.#running) return;
    this.#lazyTimer = setTimeout(() => {
      this.#lazyTimer = undefined;
      this.#schedule();
    }, this.#options.lazyDelayMs);
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    if (this.#lazyTimer !== undefined) {
      clearTimeout(this.#lazyTimer);
      this.#lazyTimer = undefined;
    }
    this.#scheduled = true;
    const run = (): void => {
      this.#scheduled = false;
      this.#running = this.#runBatch().finally(() => {
        this.#running = undefined;
        if (this.#eager > 0 || (this.#queue.length > 0 && this.#idle.length > 0)) this.#schedule();
        else if (this.#queue.length > 0) this.#scheduleLazy();
        else this.#settleIdle();
      });
    };
    if (this.#options.windowMs > 0) setTimeout(run, this.#options.windowMs);
    else setImmediate(run);
  }

  async #runBatch(): Promise<void> {
    const batch = this.#queue.splice(0, this.#options.maxBatchSize);
    if (batch.length === 0) return;
    for (const w of batch) if (!w.lazy) this.#eager--;
    let results: readonly R[];
    try {
      results = await this.#commit(batch.map((w) => w.item));
    } catch (err) {
      this.failedCommits++;
      for (const w of batch) w.reject(err);
      return;
    }
    this.commits++;
    this.entries += batch.length;
    batch.forEach((w, i) => w.resolve(results[i] as R));
  }

  #settleIdle(): void {
    if (this.#queue.length > 0 || this.#running || this.#scheduled) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }
}
