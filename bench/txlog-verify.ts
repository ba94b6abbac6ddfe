// Verifying an untouched transaction log of 100k calls (DESIGN.md "Transaction log", tamper evidence;
// docs/transaction-log.md "Verification"). Writes --calls calls (record + completion each, as a running
// peer writes them) to a SQLite log through the txlog's write API, with the head signed by the peer's
// key every --head-every calls, and a baseline log of --baseline calls the same way. Then times
// `verify()` (hashes, links, seqs and every signed head's signature) over each full log — runs
// alternate between the two logs, median of --runs — and, unless --skip-cli, the real command
// `koppel logs verify --config <peer.json>` in a child process, beside `koppel logs verify --help` as
// the cost of starting the command. Verification is a linear walk, so the ratio should be about the
// ratio of the sizes (×10 for 100k vs 10k) and the rate (entries/s) about the same for both.
//
//   node --import tsx bench/txlog-verify.ts [--calls 100000] [--baseline 10000] [--runs 3]
//        [--head-every 5000] [--concurrency 1024] [--records-only] [--skip-cli] [--tmp DIR] [--keep]
//        [--seed 1] [--out FILE]
//
// Prints tables and writes bench/results/txlog-verify.json.
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestPki, type TestPki, type TestPkiPeer } from '../certs/index.ts';
import { resolveConfig } from '../config/index.ts';
import { certificateThumbprint } from '../gateway/protocol/index.ts';
import {
  createJwsHeadSigner,
  createJwsHeadVerifier,
  type HeadVerifier,
  type VerifyOk,
} from '../gateway/txlog/index.ts';
import {
  BENCH_PEER,
  createRecordFactory,
  environment,
  fillLog,
  formatTable,
  median,
  positiveInt,
  ratioText,
  round,
  sqliteStore,
  writeResult,
  type BenchStore,
  type FillResult,
} from './txlog-fixture.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const KOPPEL = join(REPO, 'bin', 'koppel.js');
const GROUP_ID = 'koppel-bench';

const USAGE = `usage: node --import tsx bench/txlog-verify.ts [options]
  --calls N          calls in the large log (default 100000)
  --baseline N       calls in the baseline log (default 10000)
  --runs N           verifications of each log; the median counts (default 3)
  --head-every N     sign the head after every N calls (default 5000)
  --concurrency N    calls in flight while filling (default 1024)
  --records-only     write records without their completion entries
  --skip-cli         do not time the \`koppel logs verify\` command
  --tmp DIR          parent of the temporary directory (default the OS temp dir)
  --keep             keep the temporary directory afterwards
  --seed N           seed of the record generator (default 1)
  --out FILE         result file (default bench/results/txlog-verify.json)`;

interface Settings {
  calls: number;
  baseline: number;
  runs: number;
  headEvery: number;
  concurrency: number;
  completions: boolean;
  cli: boolean;
  tmpRoot: string;
  keep: boolean;
  seed: number;
  out: string | undefined;
}

function settingsFrom(argv: string[]): Settings | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      calls: { type: 'string' },
      baseline: { type: 'string' },
      runs: { type: 'string' },
      'head-every': { type: 'string' },
      concurrency: { type: 'string' },
      'records-only': { type: 'boolean', default: false },
      'skip-cli': { type: 'boolean', default: false },
      tmp: { type: 'string', default: tmpdir() },
      keep: { type: 'boolean', default: false },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  return {
    calls: positiveInt(values.calls, 'calls', 100_000),
    baseline: positiveInt(values.baseline, 'baseline', 10_000),
    runs: positiveInt(values.runs, 'runs', 3),
    headEvery: positiveInt(values['head-every'], 'head-every', 5000),
    concurrency: positiveInt(values.concurrency, 'concurrency', 1024),
    completions: !values['records-only'],
    cli: !values['skip-cli'],
    tmpRoot: values.tmp,
    keep: values.keep,
    seed: positiveInt(values.seed, 'seed', 1),
    out: values.out,
  };
}

interface LogUnderTest {
  name: 'baseline' | 'large';
  calls: number;
  store: BenchStore;
  configPath: string;
  fill?: FillResult;
}

interface VerifyTiming {
  /** Seconds of each run, in run order. */
  runsSeconds: number[];
  medianSeconds: number;
  entriesPerSecond: number;
  callsPerSecond: number;
}

function verifyTiming(seconds: number[], entries: number, calls: number): VerifyTiming {
  const m = median(seconds);
  return {
    runsSeconds: seconds.map((s) => round(s, 3)),
    medianSeconds: round(m, 3),
    entriesPerSecond: Math.round(entries / m),
    callsPerSecond: Math.round(calls / m),
  };
}

/** The minimal peer configuration `koppel logs verify` needs, checked against the schema before use. */
async function writePeerConfig(path: string, pki: TestPki, peer: TestPkiPeer, dataDir: string): Promise<void> {
  const file = {
    groupId: GROUP_ID,
    peer: { trustAnchorPath: pki.caPath, certificatePath: peer.certPath, keyPath: peer.keyPath },
    manager: { publicAddress: 'https://localhost:8443' },
    dataDir,
  };
  resolveConfig({ file, source: path }); // throws a ConfigError naming the field if the schema moved on
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
}

interface CliRun {
  seconds: number;
  stdout: string;
}

/** Runs `koppel <args>` as an operator would (a fresh node process through bin/koppel.js). */
function koppel(args: string[]): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [KOPPEL, ...args], { cwd: REPO, env: {}, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const seconds = (performance.now() - started) / 1000;
      if (err)
        reject(new Error(`koppel ${args.join(' ')} failed (${err.message.split('\n')[0]}): ${stderr || stdout}`));
      else resolve({ seconds, stdout });
    });
  });
}

interface CliResult {
  startupSeconds: number[];
  medianStartupSeconds: number;
  logs: Record<string, VerifyTiming & { minusStartupSeconds: number; output: string }>;
}

/**
 * Times `koppel logs verify --config <peer.json>` on each log, `runs` times, alternating logs, with
 * `koppel logs verify --help` (node, tsx and loading the command, no log) as the cost of starting up.
 */
async function timeCli(logs: readonly LogUnderTest[], runs: number, dir: string): Promise<CliResult> {
  const startup: number[] = [];
  const cliSeconds = new Map<string, number[]>(logs.map((l) => [l.name, []]));
  const outputs = new Map<string, string>();
  for (let run = 0; run < runs; run++) {
    startup.push((await koppel(['logs', 'verify', '--help'])).seconds);
    for (const log of logs) {
      const r = await koppel(['logs', 'verify', '--config', log.configPath]);
      const entries = log.fill?.entries ?? 0;
      if (!r.stdout.startsWith('OK ') || !new RegExp(`entries checked\\s+${entries}\\b`).test(r.stdout)) {
        throw new Error(
          `koppel logs verify on the ${log.name} log did not say OK for ${entries} entries:\n${r.stdout}`,
        );
      }
      cliSeconds.get(log.name)?.push(r.seconds);
      outputs.set(log.name, r.stdout.replace(dir, '<tmp>'));
    }
  }
  const medianStartup = median(startup);
  return {
    startupSeconds: startup.map((s) => round(s, 3)),
    medianStartupSeconds: round(medianStartup, 3),
    logs: Object.fromEntries(
      logs.map((l) => {
        const t = verifyTiming(cliSeconds.get(l.name) ?? [], l.fill?.entries ?? 0, l.calls);
        // What the command spends beyond starting up: about the cost of verify() itself.
        const minusStartupSeconds = round(t.medianSeconds - medianStartup, 3);
        return [l.name, { ...t, minusStartupSeconds, output: outputs.get(l.name) ?? '' }];
      }),
    ),
  };
}

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  if (!settings) {
    console.log(USAGE);
    return;
  }
  const startedAt = new Date().toISOString();
  const env = environment();
  const dir = await mkdtemp(join(settings.tmpRoot, 'koppel-bench-verify-'));
  try {
    // The peer's key and certificate from the dev PKI, generated per run into the temporary directory:
    // the CLI takes the peer id and the head-verifying key from the certificate, as in production.
    await mkdir(join(dir, 'pki'));
    const pki = await createTestPki({
      groupId: GROUP_ID,
      peers: [{ oin: BENCH_PEER, name: 'Gemeente Benchmark' }],
      dir: join(dir, 'pki'),
    });
    const peer = pki.peers[BENCH_PEER] as TestPkiPeer;
    const signer = createJwsHeadSigner({
      privateKey: createPrivateKey(peer.keyPem),
      x5tS256: certificateThumbprint(peer.certPem),
    });
    const verifier: HeadVerifier = createJwsHeadVerifier({ publicKey: createPublicKey(peer.certPem) });

    const logs: LogUnderTest[] = [];
    for (const [name, calls] of [
      ['baseline', settings.baseline],
      ['large', settings.calls],
    ] as const) {
      const dataDir = join(dir, name);
      const configPath = join(dir, `${name}-peer.json`);
      await writePeerConfig(configPath, pki, peer, dataDir);
      // `txlog` is the file name a running peer uses (cli/logs-open.ts reads <dataDir>/txlog.sqlite).
      logs.push({ name, calls, store: sqliteStore(dataDir, 'txlog'), configPath });
    }

    for (const [i, log] of logs.entries()) {
      process.stderr.write(`filling the ${log.name} log with ${log.calls.toLocaleString('en')} calls…\n`);
      const writer = await log.store.open({ signer });
      try {
        log.fill = await fillLog(
          writer,
          createRecordFactory({ records: log.calls, seed: settings.seed + i, targets: 0 }),
          {
            records: log.calls,
            concurrency: settings.concurrency,
            completions: settings.completions,
            headEvery: settings.headEvery,
            progressMs: 15_000,
            label: log.name,
          },
        );
      } finally {
        await writer.close();
      }
    }

    // verify() through the library, on a fresh read handle with the verifier, as `koppel logs verify` opens it.
    process.stderr.write(`verifying each log ${settings.runs} times…\n`);
    const seconds = new Map<string, number[]>(logs.map((l) => [l.name, []]));
    const outcomes = new Map<string, VerifyOk>();
    for (let run = 0; run < settings.runs; run++) {
      for (const log of logs) {
        const reader = await log.store.open({ verifier });
        try {
          const t = performance.now();
          const result = await reader.verify();
          seconds.get(log.name)?.push((performance.now() - t) / 1000);
          if (!result.ok)
            throw new Error(`the untouched ${log.name} log did not verify: ${JSON.stringify(result.firstBroken)}`);
          if (result.records !== log.fill?.entries) {
            throw new Error(
              `verify checked ${result.records} entries of the ${log.name} log, ${log.fill?.entries} were written`,
            );
          }
          outcomes.set(log.name, result);
        } finally {
          await reader.close();
        }
      }
    }

    let cli: CliResult | { skipped: string } | { failed: string } = { skipped: '--skip-cli' };
    if (settings.cli) {
      process.stderr.write(`timing \`koppel logs verify\` ${settings.runs} times per log…\n`);
      try {
        cli = await timeCli(logs, settings.runs, dir);
      } catch (err) {
        // Keep the library timings: report the command's failure beside them and exit non-zero.
        cli = { failed: err instanceof Error ? err.message : String(err) };
        process.exitCode = 1;
      }
    }

    const library = Object.fromEntries(
      logs.map((l) => {
        const o = outcomes.get(l.name);
        return [
          l.name,
          {
            ...verifyTiming(seconds.get(l.name) ?? [], l.fill?.entries ?? 0, l.calls),
            entries: o?.records,
            signedHeads: o?.heads,
            signaturesChecked: o?.signaturesChecked,
            unsignedTail: o?.unsignedTail,
          },
        ];
      }),
    );
    const base = library.baseline as VerifyTiming;
    const large = library.large as VerifyTiming;
    const result = {
      benchmark: 'txlog-verify',
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: env,
      loadAverage1mAtEnd: environment().loadAverage1m,
      settings: { ...settings, tmpRoot: undefined },
      fills: Object.fromEntries(logs.map((l) => [l.name, { calls: l.calls, ...l.fill }])),
      verify: library,
      /** large median / baseline median; the size ratio for a linear walk. */
      verifyRatio: round(large.medianSeconds / base.medianSeconds, 2),
      sizeRatio: round(settings.calls / settings.baseline, 2),
      cli,
      cliRatio:
        'logs' in cli
          ? round((cli.logs.large?.medianSeconds ?? Number.NaN) / (cli.logs.baseline?.medianSeconds ?? Number.NaN), 2)
          : undefined,
    };

    const perCall = settings.completions ? 'record + completion per call' : 'records only';
    console.log(
      `transaction-log verify — ${env.cpu}, ${env.cores} cores, node ${env.node}, load ${env.loadAverage1m} at start`,
    );
    console.log(
      `\nfill (${perCall}, ${settings.concurrency} calls in flight, head signed every ${settings.headEvery} calls)`,
    );
    console.log(
      formatTable([
        ['log', 'calls', 'entries', 'seconds', 'calls/s', 'entries/s', 'commits', 'entries/commit', 'signed heads'],
        ...logs.map((l) => [
          l.name,
          l.calls,
          l.fill?.entries ?? 0,
          l.fill?.seconds ?? 0,
          l.fill?.recordsPerSecond ?? 0,
          l.fill?.entriesPerSecond ?? 0,
          l.fill?.commits ?? 0,
          l.fill?.entriesPerCommit ?? 0,
          outcomes.get(l.name)?.heads ?? 0,
        ]),
      ]),
    );
    console.log(
      `\nverify of the full log, median of ${settings.runs} (ratio = large / baseline; sizes ×${result.sizeRatio})`,
    );
    const rows: (string | number)[][] = [
      ['what', 'log', 'calls', 'entries', 'runs s', 'median s', 'minus startup s', 'entries/s', 'calls/s', 'ratio'],
    ];
    for (const l of logs) {
      const t = library[l.name] as VerifyTiming;
      rows.push([
        'verify()',
        l.name,
        l.calls,
        l.fill?.entries ?? 0,
        t.runsSeconds.map((s) => s.toFixed(2)).join(' '),
        t.medianSeconds,
        '',
        t.entriesPerSecond,
        t.callsPerSecond,
        l.name === 'large' ? ratioText(result.verifyRatio) : '',
      ]);
    }
    if ('logs' in cli) {
      rows.push([
        'koppel logs verify --help',
        '(startup)',
        '',
        '',
        cli.startupSeconds.map((s) => s.toFixed(2)).join(' '),
        cli.medianStartupSeconds,
        '',
        '',
        '',
        '',
      ]);
      for (const l of logs) {
        const t = cli.logs[l.name] as VerifyTiming & { minusStartupSeconds: number };
        rows.push([
          'koppel logs verify',
          l.name,
          l.calls,
          l.fill?.entries ?? 0,
          t.runsSeconds.map((s) => s.toFixed(2)).join(' '),
          t.medianSeconds,
          t.minusStartupSeconds,
          t.entriesPerSecond,
          t.callsPerSecond,
          l.name === 'large' ? ratioText(result.cliRatio) : '',
        ]);
      }
    }
    console.log(formatTable(rows));
    if ('logs' in cli) console.log(`\n${(cli.logs.large?.output ?? '').trimEnd()}`);
    if ('failed' in cli) console.log(`\nkoppel logs verify FAILED: ${cli.failed}`);
    const out = await writeResult('txlog-verify.json', result, settings.out);
    console.log(`\nwrote ${out}`);
  } finally {
    if (settings.keep) process.stderr.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
