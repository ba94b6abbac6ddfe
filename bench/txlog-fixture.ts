// Shared by bench/txlog-lookup.ts and bench/txlog-verify.ts: records of a realistic shape, filling a
// transaction log through its own write API with many writes in flight (so group commit batches them,
// as under real traffic), opening SQLite or Redis logs in throw-away places, and the statistics and
// table printing of the results. Performance is reported as ratios against a small baseline log built
// in the same run (on a shared, loaded machine absolute times say little; ratios say whether a cost
// grows with the size of the log).
import { createHash, randomUUID } from 'node:crypto';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createUuidV7Generator } from '../gateway/protocol/index.ts';
import {
  createTxLog,
  type CommonTxLogOptions,
  type LogRecord,
  type TxLog,
  type TxLogStats,
} from '../gateway/txlog/index.ts';

/** The peer whose log is benchmarked (an OIN: 20 digits). */
export const BENCH_PEER = '00000001001234567000';
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');
/** created_at of the first record (2025-06-15); the records span {@link SPAN_SECONDS}. */
const T0 = 1_750_000_000;
const SPAN_SECONDS = 90 * 86_400;

// --- deterministic randomness ---

/** mulberry32: a small seeded PRNG, so two runs with the same seed write the same log content. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

/** A BSN that passes the 11-test (digits weighted 9…2 minus the last digit is a multiple of 11). */
function bsn(random: () => number): string {
  for (;;) {
    const digits = Array.from({ length: 8 }, () => Math.floor(random() * 10));
    if (digits[0] === 0) digits[0] = 1;
    const sum = digits.reduce((acc, d, i) => acc + d * (9 - i), 0);
    const check = sum % 11;
    if (check === 10) continue;
    return `${digits.join('')}${check}`;
  }
}

const PLATE_LETTERS = 'BDFGHJKLNPRSTVXZ';

/** A Dutch licence plate in one of the current formats (sidecodes 7–9: XX-999-X, 99-XXX-9, X-999-XX). */
function kenteken(random: () => number): string {
  const l = (): string => pick(random, [...PLATE_LETTERS]);
  const d = (): string => String(Math.floor(random() * 10));
  switch (Math.floor(random() * 3)) {
    case 0:
      return `${l()}${l()}-${d()}${d()}${d()}-${l()}`;
    case 1:
      return `${d()}${d()}-${l()}${l()}${l()}-${d()}`;
    default:
      return `${l()}-${d()}${d()}${d()}-${l()}${l()}`;
  }
}

// --- the shape of a peer's traffic ---

interface Counterpart {
  oin: string;
  services: string[];
}

/** Peers we consume services from (outgoing records: our outway, their service). */
const PROVIDERS: Counterpart[] = [
  { oin: '00000001003214345000', services: ['basisregistratie-personen', 'reisdocumenten'] },
  { oin: '00000001001711003000', services: ['kadaster-objecten', 'kadaster-percelen'] },
  { oin: '00000001804770694000', services: ['rdw-voertuigen'] },
  { oin: '00000001821002193000', services: ['handelsregister'] },
  { oin: '00000001002564440000', services: ['bag-adressen', 'bag-panden'] },
];
/** Peers consuming our services (incoming records: their outway, our service). */
const CONSUMERS = ['00000001001589623000', '00000001823288444000', '00000001002220647000', '00000004000000059000'];
const OWN_SERVICES = ['wmo-indicaties', 'parkeervergunningen', 'bijstandsuitkeringen'];
/** Organisations on whose behalf a delegated call is made (FSC delegation: `cdi` / `pdi`). */
const DELEGATORS = ['00000001002306608000', '00000001810220350000'];
const APPLICATIONS = ['zaaksysteem', 'klantcontactsysteem', 'parkeerapp', 'wmo-portaal', 'belastingen'];
const ELEMENTS = [
  'naam,geboortedatum',
  'naam,adres,woonplaats',
  'kenteken,tenaamstelling',
  'perceel,eigenaar',
  'adres',
];

/**
 * Process ids (NLX `X-NLX-Request-Process-Id`) with a skewed frequency: the first few processes make
 * most of the calls, the last ones are rare — as in a municipality, where a handful of processes
 * dominate the traffic.
 */
export const PROCESS_IDS = [
  'bijstand-aanvraag',
  'parkeervergunning-aanvraag',
  'wmo-melding',
  'verhuizing-binnengemeentelijk',
  'verhuizing-intergemeentelijk',
  'huwelijk-partnerschap',
  'paspoort-aanvraag',
  'rijbewijs-aanvraag',
  'naturalisatie',
  'geboorteaangifte',
  'overlijdensaangifte',
  'kwijtschelding-belastingen',
  'bezwaar-woz',
  'omgevingsvergunning',
  'evenementenvergunning',
  'leerlingenvervoer',
  'schuldhulpverlening',
  'jeugdhulp-toewijzing',
  'handhaving-parkeren',
  'afvalpas-aanvraag',
  'gehandicaptenparkeerkaart',
  'ondersteuning-mantelzorg',
  'inburgering',
  'fraude-onderzoek',
] as const;

/** Cumulative Zipf weights (exponent 1) over {@link PROCESS_IDS}. */
const PROCESS_CDF = (() => {
  const w = PROCESS_IDS.map((_, i) => 1 / (i + 1));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();

function processId(random: () => number): string {
  const r = random();
  const i = PROCESS_CDF.findIndex((c) => r < c);
  return PROCESS_IDS[i < 0 ? PROCESS_IDS.length - 1 : i] as string;
}

function grantHash(a: string, b: string, service: string): string {
  // Shaped like an FSC grant hash: `$1$<type>$` + base64url SHA3-512 (here SHA-512 of the grant's parts).
  return `$1$4$${createHash('sha512').update(`${a}|${b}|${service}`).digest('base64url')}`;
}

/** What a lookup can search for: the index terms of one record that is in the log. */
export interface LookupTarget {
  dataSubject: string;
  processId: string;
  transactionId: string;
}

export interface RecordFactoryOptions {
  /** Records the log will hold; the data-subject pools scale with it, so a person has ~5 calls whatever the size. */
  records: number;
  seed: number;
  /** How many records to remember as lookup targets (chosen at random among all records). */
  targets: number;
}

export interface RecordFactory {
  /** The record with index i (call with i = 0, 1, 2, … in order: the PRNG is sequential). */
  make(i: number): LogRecord;
  /** Index terms of the records chosen as targets, filled while they are made. */
  readonly targets: LookupTarget[];
}

/**
 * Records like a municipality's peer writes them: outgoing calls to several providers and incoming
 * calls to its own services, 10 % delegated, trace context on every call, NLX purpose metadata in
 * `additional_data` with 1–3 data subjects (`bsn=<9 digits>` mostly, `kenteken=XX-999-X` for vehicle
 * services). Subjects are drawn from pools of records/4 BSNs and records/10 plates, so each person
 * or car appears in a handful of records in a log of any size.
 */
export function createRecordFactory(options: RecordFactoryOptions): RecordFactory {
  const random = seededRandom(options.seed);
  const uuid = createUuidV7Generator();
  const bsns = Array.from({ length: Math.max(100, Math.floor(options.records / 4)) }, () => bsn(random));
  const plates = Array.from({ length: Math.max(100, Math.floor(options.records / 10)) }, () => kenteken(random));
  const targetIndexes = new Set<number>();
  const wanted = Math.min(options.targets, options.records);
  while (targetIndexes.size < wanted) targetIndexes.add(Math.floor(random() * options.records));
  const targets: LookupTarget[] = [];

  function make(i: number): LogRecord {
    const outgoing = random() < 0.6;
    let service: string;
    let sourcePeer: string;
    let servicePeer: string;
    if (outgoing) {
      const provider = pick(random, PROVIDERS);
      service = pick(random, provider.services);
      sourcePeer = BENCH_PEER;
      servicePeer = provider.oin;
    } else {
      service = pick(random, OWN_SERVICES);
      sourcePeer = pick(random, CONSUMERS);
      servicePeer = BENCH_PEER;
    }
    const delegated = random() < 0.1;
    const vehicle = service === 'rdw-voertuigen' || service === 'parkeervergunningen';
    const subjects = new Set<string>();
    const count = 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) {
      subjects.add(
        vehicle && (k > 0 || random() < 0.5) ? `kenteken=${pick(random, plates)}` : `bsn=${pick(random, bsns)}`,
      );
    }
    const proc = processId(random);
    const record: LogRecord = {
      transaction_id: uuid(),
      direction: outgoing ? 'DIRECTION_OUTGOING' : 'DIRECTION_INCOMING',
      grant_hash: grantHash(sourcePeer, servicePeer, service),
      source:
        delegated && outgoing
          ? {
              type: 'SOURCE_TYPE_DELEGATED_SOURCE',
              outway_peer_id: sourcePeer,
              delegator_peer_id: pick(random, DELEGATORS),
            }
          : { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: sourcePeer },
      destination:
        delegated && !outgoing
          ? {
              type: 'DESTINATION_TYPE_DELEGATED_DESTINATION',
              service_peer_id: servicePeer,
              delegator_peer_id: pick(random, DELEGATORS),
            }
          : { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: servicePeer },
      service_name: service,
      created_at: T0 + Math.floor((i * SPAN_SECONDS) / options.records),
      trace_id: hex(random, 32),
      span_id: hex(random, 16),
      additional_data: {
        process_id: proc,
        data_subject: [...subjects].join(','),
        data_elements: pick(random, ELEMENTS),
        user_id: `medewerker-${Math.floor(random() * 400)}`,
        application_id: pick(random, APPLICATIONS),
      },
    };
    if (targetIndexes.has(i)) {
      targets.push({ dataSubject: pick(random, [...subjects]), processId: proc, transactionId: record.transaction_id });
    }
    return record;
  }

  return { make, targets };
}

// --- filling a log ---

export interface FillOptions {
  records: number;
  /** Calls in flight at once; each waits for its own durable write, as a request would. */
  concurrency: number;
  /** Write the completion entry of each call after its record, as the outway/inway do. */
  completions: boolean;
  /** Sign the head after every this many calls (0: never). */
  headEvery?: number;
  /** Progress lines to stderr every this many ms (0: none). */
  progressMs?: number;
  label: string;
}

export interface FillResult {
  records: number;
  entries: number;
  seconds: number;
  recordsPerSecond: number;
  entriesPerSecond: number;
  commits: number;
  entriesPerCommit: number;
  failedCommits: number;
  signedHeads: number;
}

/** Writes `records` calls through `write` (and `writeCompletion`) with `concurrency` calls in flight. */
export async function fillLog(txlog: TxLog, factory: RecordFactory, options: FillOptions): Promise<FillResult> {
  const before: TxLogStats = txlog.stats();
  let next = 0;
  let done = 0;
  let heads = 0;
  const random = seededRandom(7);
  const started = performance.now();
  const progress =
    (options.progressMs ?? 0) > 0
      ? setInterval(() => {
          const s = (performance.now() - started) / 1000;
          process.stderr.write(
            `  ${options.label}: ${done.toLocaleString('en')} / ${options.records.toLocaleString('en')} calls, ${Math.round(done / s).toLocaleString('en')}/s\n`,
          );
        }, options.progressMs)
      : undefined;
  progress?.unref();

  async function worker(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= options.records) return;
      const record = factory.make(i);
      await txlog.write(record);
      if (options.completions) {
        const failed = random() < 0.02;
        await txlog.writeCompletion({
          transaction_id: record.transaction_id,
          direction: record.direction,
          status: failed ? 502 : 200,
          duration_ms: 5 + Math.floor(random() * 120),
          ...(failed ? { error_code: 'ERROR_CODE_SERVICE_UNREACHABLE' } : {}),
        });
      }
      done++;
      if (options.headEvery && done % options.headEvery === 0) {
        if (await txlog.signHead()) heads++;
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.records) }, () => worker()));
  } finally {
    if (progress) clearInterval(progress);
  }
  if (options.headEvery && (await txlog.signHead())) heads++;
  const seconds = (performance.now() - started) / 1000;
  const after = txlog.stats();
  const commits = after.commits - before.commits;
  const entries = after.entries - before.entries;
  return {
    records: options.records,
    entries,
    seconds: round(seconds, 2),
    recordsPerSecond: Math.round(options.records / seconds),
    entriesPerSecond: Math.round(entries / seconds),
    commits,
    entriesPerCommit: round(entries / Math.max(1, commits), 1),
    failedCommits: after.failedCommits - before.failedCommits,
    signedHeads: heads,
  };
}

// --- stores ---

export type StoreKind = 'sqlite' | 'redis';

export interface BenchStore {
  kind: StoreKind;
  /** Opens (again) the same log; every handle must be closed by the caller. */
  open(extra?: Partial<CommonTxLogOptions>): Promise<TxLog>;
  /** Removes what the log left behind in Redis (SQLite files go with the temporary directory). */
  remove(): Promise<void>;
  /** Where it lives, for the report. */
  location: string;
}

/** A SQLite log `<dataDir>/<name>.sqlite` with timers off (the benchmark signs heads itself). */
export function sqliteStore(dataDir: string, name: string): BenchStore {
  return {
    kind: 'sqlite',
    location: join(dataDir, `${name}.sqlite`),
    open: (extra = {}) =>
      createTxLog({
        kind: 'sqlite',
        dataDir,
        fileName: name,
        peerId: BENCH_PEER,
        headIntervalMs: 0,
        pruneIntervalMs: 0,
        ...extra,
      }),
    remove: () => Promise.resolve(),
  };
}

/** A Redis log under a key prefix of its own, removed (SCAN + UNLINK) by `remove()`. */
export function redisStore(url: string, name: string): BenchStore {
  const keyPrefix = `koppel-bench-${process.pid}-${randomUUID().slice(0, 8)}-${name}`;
  return {
    kind: 'redis',
    location: `redis key prefix ${keyPrefix}`,
    open: (extra = {}) =>
      createTxLog({
        kind: 'redis',
        url,
        groupId: 'bench',
        keyPrefix,
        peerId: BENCH_PEER,
        headIntervalMs: 0,
        pruneIntervalMs: 0,
        commandTimeoutMs: 10_000,
        ...extra,
      }),
    async remove() {
      const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await admin.connect();
        let cursor = '0';
        do {
          const [nextCursor, keys] = await admin.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 5000);
          if (keys.length > 0) await admin.unlink(...keys);
          cursor = nextCursor;
        } while (cursor !== '0');
      } finally {
        admin.disconnect();
      }
    },
  };
}

// --- statistics and reporting ---

export interface Timing {
  samples: number;
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function timing(samplesMs: readonly number[]): Timing {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    medianMs: round(median(sorted), 3),
    p90Ms: round(percentile(sorted, 90), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length), 3),
    minMs: round(sorted[0] ?? Number.NaN, 3),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface Environment {
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  loadAverage1m: number;
}

/** The machine, so a result file says what it was measured on (and how loaded it was). */
export function environment(): Environment {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: round(totalmem() / 2 ** 30, 1),
    freeMemoryGb: round(freemem() / 2 ** 30, 1),
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
}

/** A ratio with two decimals (a ratio of 1 reads "1.00", not "1"). */
export function ratioText(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : value.toFixed(2);
}

/** A plain-text table: first row is the header, columns padded; numbers (and numeric text) right-aligned. */
export function formatTable(rows: readonly (readonly (string | number)[])[]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths: number[] = [];
  for (const r of text) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return text
    .map((r, ri) => {
      const line = r
        .map((c, i) => {
          const cell = rows[ri]?.[i];
          const numeric = ri > 0 && (typeof cell === 'number' || /^[\d.,]+$/.test(c));
          return numeric ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0);
        })
        .join('  ')
        .trimEnd();
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en');
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Writes a result file into bench/results (or `path`); returns where it went. */
export async function writeResult(fileName: string, data: unknown, path?: string): Promise<string> {
  const target = path ?? join(RESULTS_DIR, fileName);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${JSON.stringify(data, null, 2)}\n`);
  return target;
}

/** A positive integer option, `1_000_000`, `1e6` and `1000000` alike. */
export function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}
