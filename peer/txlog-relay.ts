// One writer per peer: the hop workers of a clustered peer (workers.ts) hand their transaction-log
// entries to the primary process, whose log commits them. Entries from all workers then share one
// group commit (one fsync) and one chain head, instead of every worker contending for the log's write
// lock with its own commits. A worker sends one message per event-loop turn with every entry queued
// in it (batching the hand-off); each entry's promise settles with the primary's answer, so a record
// is still durable before the call is forwarded, and a failed write still refuses the call.
import type { Worker } from 'node:cluster';
import type { CompletionInput, LogRecord, TxLog, TxLogWriteFailure, WriteReceipt } from '../gateway/txlog/index.ts';
import { writeError } from '../gateway/txlog/index.ts';

type Entry = { r: LogRecord } | { c: CompletionInput };

interface RelayRequest {
  koppel: 'txlog';
  id: number;
  entries: Entry[];
}

type EntryResult = { ok: true; receipt: WriteReceipt } | { ok: false; reason: TxLogWriteFailure };

interface RelayReply {
  koppel: 'txlog-reply';
  id: number;
  results: EntryResult[];
}

function isRelayRequest(m: unknown): m is RelayRequest {
  return typeof m === 'object' && m !== null && (m as { koppel?: unknown }).koppel === 'txlog';
}

function isRelayReply(m: unknown): m is RelayReply {
  return typeof m === 'object' && m !== null && (m as { koppel?: unknown }).koppel === 'txlog-reply';
}

/** The hop's view of the log, in a worker: write and writeCompletion, relayed to the primary. */
export type RelayedTxLog = Pick<TxLog, 'write' | 'writeCompletion'>;

/** In a worker: a log whose writes the primary commits. `send` is `process.send`. */
export function createTxLogRelayClient(send: (m: RelayRequest) => boolean, on: (listener: (m: unknown) => void) => void): RelayedTxLog {
  let nextId = 1;
  let queue: { entry: Entry; resolve: (r: WriteReceipt) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const inFlight = new Map<number, typeof queue>();

  on((m) => {
    if (!isRelayReply(m)) return;
    const batch = inFlight.get(m.id);
    if (batch === undefined) return;
    inFlight.delete(m.id);
    batch.forEach((w, i) => {
      const r = m.results[i];
      if (r?.ok === true) w.resolve(r.receipt);
      else w.reject(writeError(r?.reason ?? 'store-unavailable'));
    });
  });

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    const id = nextId++;
    inFlight.set(id, batch);
    let sent = false;
    try {
      sent = send({ koppel: 'txlog', id, entries: batch.map((w) => w.entry) });
    } catch {
      sent = false;
    }
    if (!sent) {
      inFlight.delete(id);
      for (const w of batch) w.reject(writeError('store-unavailable'));
    }
  }

  function submit(entry: Entry): Promise<WriteReceipt> {
    return new Promise<WriteReceipt>((resolve, reject) => {
      queue.push({ entry, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  return {
    write: (record) => submit({ r: record }),
    writeCompletion: (completion) => submit({ c: completion }),
  };
}

/** In the primary: commit what `worker` relays into `txlog` and answer per entry. */
export function serveTxLogRelay(worker: Worker, txlog: RelayedTxLog): void {
  worker.on('message', (m: unknown) => {
    if (!isRelayRequest(m)) return;
    void Promise.all(
      m.entries.map((e): Promise<EntryResult> =>
        ('r' in e ? txlog.write(e.r) : txlog.writeCompletion(e.c)).then(
          (receipt) => ({ ok: true, receipt }),
          (err: unknown) => ({ ok: false, reason: reasonOf(err) }),
        ),
      ),
    ).then((results) => {
      if (worker.isConnected()) worker.send({ koppel: 'txlog-reply', id: m.id, results } satisfies RelayReply);
    });
  });
}

function reasonOf(err: unknown): TxLogWriteFailure {
  const reason = (err as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? (reason as TxLogWriteFailure) : 'store-unavailable';
}
