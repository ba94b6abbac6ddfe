// `npm run bench` (`koppel bench`): what the gateway costs. Starts a demo-like federation on free
// ports in a temporary directory (this process serves registry, managers, inway and outway; autocannon
// fires from a worker thread), then measures, back to back after a warm-up:
//   direct    — the sample person registry itself,
//   through   — the same request through outway → inway (friendly address form),
//   txlog     — through, with many concurrent connections: the transaction logs must keep up, their
//               group commit sharing one fsync among many records (DESIGN.md "Transaction log").
// Prints a table and writes bench/results/latest.json.
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from 'autocannon';
import type { DemoFederation } from '../config/demo/federation.ts';
import { BASE_PORT_ORDER, demoPorts, findFreePort, findFreePortBlock } from '../config/demo/ports.ts';
import type { LogLevel } from '../gateway/runtime/index.ts';
import type { TxLogStats } from '../gateway/txlog/index.ts';
import { defineCommand, UsageError } from '../cli/command.ts';
import { ExitCode, type CliIo } from '../cli/io.ts';

const HOST = '127.0.0.1';
const DEFAULT_OUT = join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');

export interface BenchSettings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Connections of the transaction-log run. */
  txlogConnections: number;
  logLevel: LogLevel;
  /** Parent of the temporary data directory (its disk is the one the transaction logs fsync to). */
  tmpRoot: string;
}

export interface RunSummary {
  name: string;
  description: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  bytesPerSecond: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface TxLogSummary {
  /** Entries committed during the run (a request writes a record and a completion on each side). */
  entries: number;
  /** Commits (one fsync each) during the run. */
  commits: number;
  entriesPerCommit: number;
  failedCommits: number;
  /** Writes still waiting when the run ended (0 when the log kept up). */
  pendingAtEnd: number;
}

export interface BenchResult {
  startedAt: string;
  environment: { node: string; platform: string; cpu: string; cores: number; loadAverage1m: number };
  settings: BenchSettings;
  runs: RunSummary[];
  /** Requests/s through outway → inway divided by requests/s direct. */
  throughputRatio: number;
  /** p50 latency added by outway → inway, ms. */
  addedLatencyP50Ms: number;
  txlog: { run: string; consumer: TxLogSummary; provider: TxLogSummary };
}

function summarise(name: string, description: string, r: Result): RunSummary {
  return {
    name,
    description,
    connections: r.connections,
    durationSeconds: r.duration,
    requests: r.requests.total,
    requestsPerSecond: Math.round(r.requests.average),
    latencyMs: { mean: r.latency.mean, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    bytesPerSecond: Math.round(r.throughput.average),
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

function txlogDelta(before: TxLogStats, after: TxLogStats): TxLogSummary {
  const entries = after.entries - before.entries;
  const commits = after.commits - before.commits;
  return {
    entries,
    commits,
    entriesPerCommit: commits === 0 ? 0 : Math.round((entries / commits) * 10) / 10,
    failedCommits: after.failedCommits - before.failedCommits,
    pendingAtEnd: after.pending,
  };
}

async function fire(
  url: string,
  connections: number,
  durationSeconds: number,
  headers: Record<string, string> = {},
): Promise<Result> {
  const { default: autocannon } = await import('autocannon');
  // One worker thread generates the load, so it does not compete with the servers' event loop.
  return autocannon({ url, connections, duration: durationSeconds, headers, workers: 1, timeout: 10 });
}

function table(result: BenchResult): string {
  const rows = result.runs.map((r) => [
    r.name,
    String(r.connections),
    String(r.requestsPerSecond),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    String(r.errors + r.timeouts),
    String(r.non2xx),
  ]);
  const head = ['run', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const t = result.txlog;
  return [
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `through / direct: ${(result.throughputRatio * 100).toFixed(1)} % of the direct throughput, +${result.addedLatencyP50Ms.toFixed(1)} ms at p50`,
    `txlog group commit (${t.run}): consumer ${t.consumer.entries} entries in ${t.consumer.commits} commits (${t.consumer.entriesPerCommit}/commit), ` +
      `provider ${t.provider.entries} in ${t.provider.commits} (${t.provider.entriesPerCommit}/commit); pending at end ${t.consumer.pendingAtEnd + t.provider.pendingAtEnd}, failed commits ${t.consumer.failedCommits + t.provider.failedCommits}`,
    `${result.environment.cpu} × ${result.environment.cores}, Node ${result.environment.node}, load average ${result.environment.loadAverage1m} at the start`,
    '',
  ].join('\n');
}

/** Runs the benchmark; `progress` gets a line per phase. */
export async function runBench(settings: BenchSettings, progress: (line: string) => void): Promise<BenchResult> {
  // Before anything runs: other work on the machine skews every number, so the result says how busy it was.
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const dataDir = await mkdtemp(join(settings.tmpRoot, 'koppel-bench-'));
  const base = await findFreePortBlock(HOST, BASE_PORT_ORDER.length);
  let outwayPort = await findFreePort(HOST);
  while (outwayPort >= base && outwayPort < base + BASE_PORT_ORDER.length) outwayPort = await findFreePort(HOST);
  let federation: DemoFederation | undefined;
  try {
    progress('starting the federation');
    // Loaded here: `koppel bench --help` should not load every component.
    const { startDemoFederation } = await import('../config/demo/federation.ts');
    federation = await startDemoFederation({
      dataDir,
      host: HOST,
      ports: demoPorts({ basePort: base, outwayPort }),
      logLevel: settings.logLevel,
    });
    const info = federation.info;
    const direct = `${info.registryUrl}/personen/${info.examples.bsn}`;
    const through = info.examples.friendlyUrl;
    const d = settings.durationSeconds;
    const c = settings.connections;

    const runs: RunSummary[] = [];
    progress(`warm-up direct (${settings.warmupSeconds} s)`);
    await fire(direct, c, settings.warmupSeconds);
    progress(`direct: ${direct} (${d} s, ${c} connections)`);
    runs.push(summarise('direct', 'GET /personen/{bsn} on the sample registry', await fire(direct, c, d)));

    progress(`warm-up through (${settings.warmupSeconds} s)`);
    await fire(through, c, settings.warmupSeconds);
    progress(`through: ${through} (${d} s, ${c} connections)`);
    runs.push(summarise('through', 'the same request via outway → inway', await fire(through, c, d)));

    const n = settings.txlogConnections;
    const consumerLog = federation.peers.consumer.txlog;
    const providerLog = federation.peers.provider.txlog;
    const before = { consumer: consumerLog.stats(), provider: providerLog.stats() };
    progress(`txlog: through with ${n} connections (${d} s)`);
    const heavy = summarise(
      `through-${n}`,
      `via outway → inway with ${n} concurrent connections and purpose headers`,
      await fire(through, n, d, {
        'x-nlx-request-data-subject': `bsn=${info.examples.bsn}`,
        'x-nlx-request-process-id': 'bench',
      }),
    );
    runs.push(heavy);
    const after = { consumer: consumerLog.stats(), provider: providerLog.stats() };

    const [directRun, throughRun] = runs;
    return {
      startedAt: new Date().toISOString(),
      environment: {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        loadAverage1m: loadAtStart,
      },
      settings,
      runs,
      throughputRatio:
        directRun === undefined || throughRun === undefined || directRun.requestsPerSecond === 0
          ? 0
          : Math.round((throughRun.requestsPerSecond / directRun.requestsPerSecond) * 1000) / 1000,
      addedLatencyP50Ms: (throughRun?.latencyMs.p50 ?? 0) - (directRun?.latencyMs.p50 ?? 0),
      txlog: {
        run: heavy.name,
        consumer: txlogDelta(before.consumer, after.consumer),
        provider: txlogDelta(before.provider, after.provider),
      },
    };
  } finally {
    await federation?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function positive(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a whole number of at least 1`);
  return n;
}

async function benchCommand(values: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new UsageError('--log-level must be a pino level (info, warn, silent, …)');
  }
  const settings: BenchSettings = {
    durationSeconds: positive(values.duration, 10, '--duration'),
    warmupSeconds: positive(values.warmup, 3, '--warmup'),
    connections: positive(values.connections, 32, '--connections'),
    txlogConnections: positive(values['txlog-connections'], 256, '--txlog-connections'),
    logLevel: level as LogLevel,
    tmpRoot: resolve(io.cwd, values['tmp-dir'] ?? tmpdir()),
  };
  const out = resolve(io.cwd, values.out ?? DEFAULT_OUT);
  const result = await runBench(settings, (line) => io.stdout.write(`  ${line}\n`));
  io.stdout.write(table(result));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  io.stdout.write(`Results: ${out}\n`);
  const failed = result.runs.some((r) => r.errors + r.timeouts + r.non2xx > 0);
  if (failed) io.stderr.write('koppel bench: some requests failed (see the errors and non-2xx columns)\n');
  return failed ? ExitCode.failure : ExitCode.ok;
}

export const bench = defineCommand({
  description:
    'Benchmark the data path: the sample person registry direct, then the same request through outway → inway, then many concurrent connections to see the transaction-log group commit keep up. Writes bench/results/latest.json.',
  options: {
    duration: { type: 'string', valueName: 'SECONDS', description: 'length of each measured run (default 10)' },
    warmup: { type: 'string', valueName: 'SECONDS', description: 'warm-up before each measured run (default 3)' },
    connections: {
      type: 'string',
      valueName: 'N',
      description: 'concurrent connections of the direct and through runs (default 32)',
    },
    'txlog-connections': {
      type: 'string',
      valueName: 'N',
      description: 'concurrent connections of the txlog run (default 256)',
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'component log level, logs go to a temp dir (default info, as in production)',
    },
    'tmp-dir': {
      type: 'string',
      valueName: 'DIR',
      description:
        'where the temporary federation keeps its databases; its disk is what the txlog fsyncs to (default the OS temp dir)',
    },
    out: {
      type: 'string',
      valueName: 'FILE',
      description: 'where the JSON results go (default bench/results/latest.json)',
    },
  },
  examples: ['npm run bench', 'npm run bench -- --duration 5 --connections 64'],
  run: ({ values, io }) => benchCommand(values, io),
});
