// The main thread's side of the SQLite writer thread (sqlite-writer-thread.js): one worker per open
// log, one commit message at a time (the group committer never overlaps commits), answers matched by
// id. The worker is referenced only while a commit is in flight, so an idle log never keeps the
// process alive, and a write being awaited always does.
import { Worker } from 'node:worker_threads';
import type { ChainHead } from '../../chain.ts';
import type { EntryRow } from './sqlite-schema.ts';

export interface WriterCommit {
  /** The head the rows were linked onto; null when unknown (the worker answers with the actual head). */
  expected: ChainHead | null;
  rows: EntryRow[];
  subjects: [seq: number, subject: string][];
  parties: [seq: number, party: string][];
  /** The new head once the rows are in. */
  last: ChainHead;
}

/** Committed, or not because the head moved (another connection appended): relink onto `head`. */
export type WriterResult = { committed: true } | { committed: false; head: ChainHead };

/** A failure inside the writer thread (SQLite's `code` kept for the caller's mapping). */
export class WriterError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'WriterError';
    this.code = code;
  }
}

interface Reply {
  id: number;
  ok: boolean;
  committed?: boolean;
  head?: ChainHead;
  error?: { message: string; code?: string };
}

interface InFlight {
  resolve: (reply: Reply) => void;
  reject: (err: unknown) => void;
}

const WORKER_URL = new URL('./sqlite-writer-thread.js', import.meta.url);

export interface SqliteWriterOptions {
  path: string;
  peerId: string;
  busyTimeoutMs: number;
  columns: readonly string[];
}

export class SqliteWriter {
  readonly #options: SqliteWriterOptions;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #inFlight = new Map<number, InFlight>();

  constructor(options: SqliteWriterOptions) {
    this.#options = options;
  }

  #spawn(): Worker {
    const worker = new Worker(WORKER_URL, {
      workerData: {
        path: this.#options.path,
        peerId: this.#options.peerId,
        busyTimeoutMs: this.#options.busyTimeoutMs,
        columns: [...this.#options.columns],
      },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.#inFlight.get(reply.id);
      if (!waiting) return;
      this.#inFlight.delete(reply.id);
      if (this.#inFlight.size === 0) worker.unref();
      waiting.resolve(reply);
    });
    const gone = (err: unknown): void => {
      if (this.#worker === worker) this.#worker = undefined;
      const waiting = [...this.#inFlight.values()];
      this.#inFlight.clear();
      for (const w of waiting) w.reject(err);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new WriterError(`the txlog writer thread exited (${code})`, undefined)));
    this.#worker = worker;
    return worker;
  }

  #send(message: Record<string, unknown>): Promise<Reply> {
    const worker = this.#worker ?? this.#spawn();
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...message, id });
    });
  }

  /** Commits the rows in one IMMEDIATE transaction if the head is still `expected`; resolves after the fsync. */
  async commit(c: WriterCommit): Promise<WriterResult> {
    const reply = await this.#send({ type: 'commit', ...c });
    if (!reply.ok) throw new WriterError(reply.error?.message ?? 'commit failed', reply.error?.code);
    if (reply.committed === true) return { committed: true };
    return { committed: false, head: reply.head as ChainHead };
  }

  /** Drops the writer's connection (it reopens on the next commit). */
  discard(): void {
    this.#worker?.postMessage({ type: 'discard' });
  }

  /** Closes the connection and ends the thread. Idempotent. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    try {
      await this.#send({ type: 'close' });
    } catch {
      // the thread is gone already
    }
    this.#worker = undefined;
    await worker.terminate();
  }
}
