// Transaction-log lookups among a million records (DESIGN.md "Transaction log"; the console's searches by
// data subject and process id must be indexed). Fills a SQLite log (and with --redis a Redis log) with
// --records calls of a realistic shape through the txlog's own write API, many in flight so group
// commit batches them, and a baseline log of --baseline calls in the same run. Then times the same
// lookups on both, interleaved (one on the baseline, one on the large log, …) so load changes on the
// machine hit both alike: by data subject and by process id as the console asks (newest first, one
// page), and by transaction id as GET /v1/logs `transaction_ids` asks. An indexed lookup stays within
// a small factor of the baseline; a scan grows with the log (×100 for 1M vs 10k).
//
//   node --import tsx bench/txlog-lookup.ts [--records 1000000] [--baseline 10000] [--lookups 200]
//        [--concurrency 1024] [--records-only] [--redis | --stores sqlite,redis]
//        [--redis-url redis://127.0.0.1:6379]
//        [--tmp DIR] [--keep] [--seed 1] [--out FILE]
//
// Prints tables and writes bench/results/txlog-lookup.json.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SqliteTxLog, type TxLog, type TxLogFilter, type TxLogPage } from '../gateway/txlog/index.ts';
import {
  createRecordFactory,
  environment,
  fillLog,
  formatTable,
  positiveInt,
  ratioText,
  redisStore,
  round,
  seededRandom,
  sqliteStore,
  timing,
  writeResult,
  type BenchStore,
  type FillResult,
  type LookupTarget,
  type StoreKind,
  type Timing,
} from './txlog-fixture.ts';

const USAGE = `usage: node --import tsx bench/txlog-lookup.ts [options]
  --records N        calls in the large log (default 1000000)
  --baseline N       calls in the baseline log (default 10000)
  --lookups N        lookups of each kind per log (default 200)
  --concurrency N    calls in flight while filling (default 1024)
  --records-only     write records without their completion entries (half the entries)
  --redis            also benchmark the Redis store (same as --stores sqlite,redis)
  --stores LIST      stores to benchmark, comma-separated: sqlite, redis (default sqlite)
  --redis-url URL    Redis for the redis store (default redis://127.0.0.1:6379)
  --tmp DIR          parent of the temporary data directory (default the OS temp dir)
  --keep             keep the temporary directory (and Redis keys) afterwards
  --seed N           seed of the record generator (default 1)
  --out FILE         result file (default bench/results/txlog-lookup.json)`;

interface Settings {
  records: number;
  baseline: number;
  lookups: number;
  concurrency: number;
  completions: boolean;
  stores: StoreKind[];
  redisUrl: string;
  tmpRoot: string;
  keep: boolean;
  seed: number;
  out: string | undefined;
}

function storesFrom(list: string): StoreKind[] {
  const kinds = [...new Set(list.split(',').map((s) => s.trim()))];
  for (const k of kinds) if (k !== 'sqlite' && k !== 'redis') throw new Error(`--stores: unknown store "${k}"`);
  if (kinds.length === 0) throw new Error('--stores: name at least one store');
  return kinds as StoreKind[];
}

function settingsFrom(argv: string[]): Settings | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string' },
      baseline: { type: 'string' },
      lookups: { type: 'string' },
      concurrency: { type: 'string' },
      'records-only': { type: 'boolean', default: false },
      redis: { type: 'boolean', default: false },
      stores: { type: 'string' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      tmp: { type: 'string', default: tmpdir() },
      keep: { type: 'boolean', default: false },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  return {
    records: positiveInt(values.records, 'records', 1_000_000),
    baseline: positiveInt(values.baseline, 'baseline', 10_000),
    lookups: positiveInt(values.lookups, 'lookups', 200),
    concurrency: positiveInt(values.concurrency, 'concurrency', 1024),
    completions: !values['records-only'],
    stores: storesFrom(values.stores ?? (values.redis ? 'sqlite,redis' : 'sqlite')),
    redisUrl: values['redis-url'],
    tmpRoot: values.tmp,
    keep: values.keep,
    seed: positiveInt(values.seed, 'seed', 1),
    out: values.out,
  };
}

// --- the lookups ---

interface Lookup {
  name: string;
  /** Who asks this way. */
  asker: string;
  filter(t: LookupTarget): TxLogFilter;
  page: TxLogPage;
}

/** The console pages traffic 50 at a time, newest first (gateway/console TRAFFIC_PAGE_SIZE). */
const CONSOLE_PAGE: TxLogPage = { limit: 50, order: 'SORT_ORDER_DESCENDING' };

const LOOKUPS: Lookup[] = [
  {
    name: 'data subject',
    asker: 'console, newest first, 50',
    filter: (t) => ({ dataSubject: t.dataSubject }),
    page: CONSOLE_PAGE,
  },
  {
    name: 'process id',
    asker: 'console, newest first, 50',
    filter: (t) => ({ processId: t.processId }),
    page: CONSOLE_PAGE,
  },
  {
    name: 'process id (oldest first)',
    asker: 'oldest first, 50',
    filter: (t) => ({ processId: t.processId }),
    page: { limit: 50, order: 'SORT_ORDER_ASCENDING' },
  },
  {
    name: 'transaction id',
    asker: 'GET /v1/logs transaction_ids',
    filter: (t) => ({ transactionIds: [t.transactionId] }),
    page: {},
  },
];

interface LookupStats extends Timing {
  /** Records returned per lookup, on average. */
  meanRows: number;
}

interface LookupResult {
  name: string;
  asker: string;
  page: TxLogPage;
  baseline: LookupStats;
  large: LookupStats;
  /** large median / baseline median. */
  ratioMedian: number;
  ratioP99: number;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function timedQuery(log: TxLog, filter: TxLogFilter, page: TxLogPage): Promise<{ ms: number; rows: number }> {
  const t = performance.now();
  const result = await log.query(filter, page);
  const ms = performance.now() - t;
  // A lookup that finds nothing is not a lookup: every target is a record in the log.
  if (result.records.length === 0) throw new Error(`lookup ${JSON.stringify(filter)} found nothing`);
  return { ms, rows: result.records.length };
}

/**
 * Times each lookup `lookups` times on both logs, alternating baseline and large so a change in the
 * machine's load hits both; a few untimed lookups first prepare the statements and warm the caches.
 */
async function timeLookups(
  small: TxLog,
  large: TxLog,
  smallTargets: LookupTarget[],
  largeTargets: LookupTarget[],
  count: number,
): Promise<LookupResult[]> {
  const results: LookupResult[] = [];
  for (const lookup of LOOKUPS) {
    for (let i = 0; i < 10; i++) {
      await timedQuery(small, lookup.filter(smallTargets[i % smallTargets.length] as LookupTarget), lookup.page);
      await timedQuery(large, lookup.filter(largeTargets[i % largeTargets.length] as LookupTarget), lookup.page);
    }
    const a: number[] = [];
    const b: number[] = [];
    let rowsA = 0;
    let rowsB = 0;
    for (let i = 0; i < count; i++) {
      const sa = await timedQuery(
        small,
        lookup.filter(smallTargets[i % smallTargets.length] as LookupTarget),
        lookup.page,
      );
      const sb = await timedQuery(
        large,
        lookup.filter(largeTargets[i % largeTargets.length] as LookupTarget),
        lookup.page,
      );
      a.push(sa.ms);
      b.push(sb.ms);
      rowsA += sa.rows;
      rowsB += sb.rows;
    }
    const baseline = { ...timing(a), meanRows: round(rowsA / count, 1) };
    const largeStats = { ...timing(b), meanRows: round(rowsB / count, 1) };
    results.push({
      name: lookup.name,
      asker: lookup.asker,
      page: lookup.page,
      baseline,
      large: largeStats,
      ratioMedian: round(largeStats.medianMs / baseline.medianMs, 2),
      ratioP99: round(largeStats.p99Ms / baseline.p99Ms, 2),
    });
  }
  return results;
}

/** SQLite's plan for each lookup on the large log: the evidence that an index, not a scan, answers it. */
function sqlitePlans(log: TxLog, path: string, target: LookupTarget): Record<string, string[]> {
  if (!(log instanceof SqliteTxLog)) return {};
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const plans: Record<string, string[]> = {};
    for (const lookup of LOOKUPS) {
      const { sql, params } = log.querySql(lookup.filter(target), lookup.page);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
      plans[lookup.name] = rows.map((r) => r.detail);
    }
    return plans;
  } finally {
    db.close();
  }
}

async function sizeOf(store: BenchStore): Promise<number | undefined> {
  if (store.kind !== 'sqlite') return undefined;
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += (await stat(`${store.location}${suffix}`)).size;
    } catch {
      // no WAL file after a clean close
    }
  }
  return bytes;
}

interface StoreResult {
  kind: StoreKind;
  baseline: { calls: number; fill: FillResult; fileBytes?: number };
  large: { calls: number; fill: FillResult; fileBytes?: number };
  lookups: LookupResult[];
  plans: Record<string, string[]>;
}

async function benchStore(kind: StoreKind, settings: Settings, dir: string): Promise<StoreResult> {
  const make = (name: string): BenchStore =>
    kind === 'sqlite' ? sqliteStore(dir, name) : redisStore(settings.redisUrl, name);
  const stores = { baseline: make('baseline'), large: make('large') };
  const factories = {
    baseline: createRecordFactory({ records: settings.baseline, seed: settings.seed, targets: settings.lookups }),
    large: createRecordFactory({ records: settings.records, seed: settings.seed + 1, targets: settings.lookups }),
  };
  try {
    const fills: Partial<Record<'baseline' | 'large', FillResult>> = {};
    for (const which of ['baseline', 'large'] as const) {
      const calls = which === 'baseline' ? settings.baseline : settings.records;
      process.stderr.write(`${kind}: filling the ${which} log with ${calls.toLocaleString('en')} calls…\n`);
      const log = await stores[which].open();
      try {
        fills[which] = await fillLog(log, factories[which], {
          records: calls,
          concurrency: settings.concurrency,
          completions: settings.completions,
          progressMs: 15_000,
          label: `${kind} ${which}`,
        });
      } finally {
        await log.close();
      }
      process.stderr.write(
        `${kind}: ${which} filled in ${fills[which]?.seconds} s (${fills[which]?.recordsPerSecond.toLocaleString('en')} calls/s)\n`,
      );
    }
    // Fresh handles for the lookups, as a console or manager process opening the log would have.
    const small = await stores.baseline.open();
    const large = await stores.large.open();
    try {
      process.stderr.write(`${kind}: timing ${settings.lookups} lookups of each kind on both logs…\n`);
      const targetsSmall = shuffled(factories.baseline.targets, 11);
      const targetsLarge = shuffled(factories.large.targets, 12);
      const lookups = await timeLookups(small, large, targetsSmall, targetsLarge, settings.lookups);
      const plans = sqlitePlans(large, stores.large.location, targetsLarge[0] as LookupTarget);
      const withSize = async (store: BenchStore, calls: number, fill: FillResult): Promise<StoreResult['large']> => {
        const bytes = await sizeOf(store);
        return bytes === undefined ? { calls, fill } : { calls, fill, fileBytes: bytes };
      };
      return {
        kind,
        baseline: await withSize(stores.baseline, settings.baseline, fills.baseline as FillResult),
        large: await withSize(stores.large, settings.records, fills.large as FillResult),
        lookups,
        plans,
      };
    } finally {
      await small.close();
      await large.close();
    }
  } finally {
    if (!settings.keep) {
      await stores.baseline.remove();
      await stores.large.remove();
    }
  }
}

function short(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
  return n.toLocaleString('en');
}

function printStore(r: StoreResult, settings: Settings): void {
  const b = short(settings.baseline);
  const l = short(settings.records);
  const entriesPerCall = settings.completions ? 'record + completion per call' : 'records only';
  console.log(
    `\n${r.kind === 'sqlite' ? 'SQLite' : 'Redis'} transaction log — fill (${entriesPerCall}, ${settings.concurrency} calls in flight)`,
  );
  console.log(
    formatTable([
      [
        'log',
        'calls',
        'entries',
        'seconds',
        'calls/s',
        'entries/s',
        'commits',
        'entries/commit',
        ...(r.kind === 'sqlite' ? ['file MB'] : []),
      ],
      ...(['baseline', 'large'] as const).map((w) => {
        const f = r[w].fill;
        const bytes = r[w].fileBytes;
        return [
          w,
          r[w].calls,
          f.entries,
          f.seconds,
          f.recordsPerSecond,
          f.entriesPerSecond,
          f.commits,
          f.entriesPerCommit,
          ...(bytes === undefined ? [] : [round(bytes / 2 ** 20, 1)]),
        ];
      }),
    ]),
  );
  console.log(
    `\n${r.kind === 'sqlite' ? 'SQLite' : 'Redis'} — lookups, ${settings.lookups} each per log, ms (ratio = ${l} / ${b})`,
  );
  console.log(
    formatTable([
      [
        'lookup',
        'asked as',
        `${b} median`,
        `${b} p99`,
        `${l} median`,
        `${l} p99`,
        'ratio median',
        'ratio p99',
        `rows ${b}`,
        `rows ${l}`,
      ],
      ...r.lookups.map((x) => [
        x.name,
        x.asker,
        x.baseline.medianMs,
        x.baseline.p99Ms,
        x.large.medianMs,
        x.large.p99Ms,
        ratioText(x.ratioMedian),
        ratioText(x.ratioP99),
        x.baseline.meanRows,
        x.large.meanRows,
      ]),
    ]),
  );
  for (const [name, plan] of Object.entries(r.plans)) console.log(`  plan ${name}: ${plan.join(' | ')}`);
}

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  if (!settings) {
    console.log(USAGE);
    return;
  }
  const startedAt = new Date().toISOString();
  const env = environment();
  const dir = await mkdtemp(join(settings.tmpRoot, 'koppel-bench-txlog-'));
  const stores: StoreResult[] = [];
  try {
    for (const kind of settings.stores) stores.push(await benchStore(kind, settings, dir));
  } finally {
    if (settings.keep) process.stderr.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `transaction-log lookups — ${env.cpu}, ${env.cores} cores, node ${env.node}, load ${env.loadAverage1m} at start`,
  );
  for (const r of stores) printStore(r, settings);
  const out = await writeResult(
    'txlog-lookup.json',
    {
      benchmark: 'txlog-lookup',
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: env,
      loadAverage1mAtEnd: environment().loadAverage1m,
      settings: { ...settings, tmpRoot: undefined },
      stores,
    },
    settings.out,
  );
  console.log(`\nwrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
