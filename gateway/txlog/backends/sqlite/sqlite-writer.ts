// The main thread's side of the SQLite writer thread (sqlite-writer-thread.js): one worker per open
// log, one batch message at a time (the group committer never overlaps commits), answers matched by
// id. The worker is referenced only while a commit is in flight, so an idle log never keeps the
// process alive, and a write being awaited always does.
import { Worker } from 'node:worker_threads';

/**
 * One batch as the writer thread takes it: the JSON of `[{ p: PendingEntry, s: subjects, q: parties }]`
 * (one string: cloning it to the thread is a copy, not a walk over many small objects).
 */
export type WriterBatch = string;

/** Committed: the head the batch was linked onto, and the entries' hashes (64 hex characters each). */
export interface WriterAppended {
  /** seq of the first entry of the batch. */
  first: number;
  /** The hash the first entry links to. */
  prev: string;
  hashes: string;
}

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
  /** Unsolicited (id 0): a background indexing pass failed. */
  type?: 'index-failed';
  retryMs?: number;
  ok: boolean;
  first?: number;
  prev?: string;
  hashes?: string;
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
  /** A background indexing pass failed (the entries stay journaled; it is retried after `retryMs`). */
  onIndexFailure?: (error: { message: string; code?: string }, retryMs: number) => void;
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
      if (reply.type === 'index-failed') {
        this.#options.onIndexFailure?.(reply.error ?? { message: 'indexing failed' }, reply.retryMs ?? 0);
        return;
      }
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

  /** Links the batch and journals it in one IMMEDIATE transaction; resolves after the fsync. */
  async append(batch: WriterBatch): Promise<WriterAppended> {
    const reply = await this.#send({ type: 'append', payload: batch });
    if (!reply.ok) throw new WriterError(reply.error?.message ?? 'commit failed', reply.error?.code);
    return { first: reply.first as number, prev: reply.prev as string, hashes: reply.hashes as string };
  }

  /**
   * Indexes every journaled entry now (moves it into txlog_entries and the index tables), so that a read
   * on another connection sees everything committed before this call.
   */
  async index(): Promise<void> {
    const reply = await this.#send({ type: 'index' });
    if (!reply.ok) throw new WriterError(reply.error?.message ?? 'indexing failed', reply.error?.code);
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
