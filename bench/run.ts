// `npm run bench`: what a Koppel deployment costs next to the reference chains, measured in one run on
// 127.0.0.1. Drives everything as a user would — `node bin/koppel.js …` processes and config files — and
// imports nothing from the gateway. Options: `npm run bench -- --help`; how to reproduce: README.md, "Development".
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { CHAINS, createBenchPki, type BenchPki, type ChainContext, type ChainProcess } from './chains/index.ts';
import { measure, type Measurement } from './measure.ts';
import { freePorts, httpGet, waitForPorts } from './net.ts';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './options.ts';
import { clockTicksPerSecond } from './proc-cpu.ts';
import { ProcessFailure, Supervisor, tail } from './processes.ts';
import { renderText, writeReport, type BenchReport, type ChainOutcome } from './report.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const BACKEND_PATH = '/api/people/1';

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function version(command: string, args: string[], pattern: RegExp): string | null {
  // nginx -v and wrk -v answer on stderr, wrk with exit status 1.
  const res = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return pattern.exec(`${res.stdout ?? ''}${res.stderr ?? ''}`)?.[1] ?? null;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function printFailure(chainTitle: string, err: unknown, processes: readonly ChainProcess[]): void {
  console.error(`\n  ${chainTitle} FAILED: ${(err as Error).message}`);
  const logs = new Set(processes.map((p) => p.started.logPath));
  if (err instanceof ProcessFailure) logs.add(err.logPath);
  for (const log of logs) {
    const text = tail(log);
    if (text !== '') console.error(`  --- last lines of ${log}\n${text.replace(/^/gm, '  | ')}`);
  }
}

async function main(options: BenchOptions): Promise<number> {
  if (!onPath('wrk')) {
    console.error('npm run bench: wrk is not installed, nothing can be measured (apt-get install -y wrk nginx)');
    return 1;
  }
  const cpuCount = cpus().length;
  const pin = options.pin && cpuCount >= 2 && onPath('taskset');
  const serverCpus = pin ? '0' : undefined;
  const loadCpus = pin ? '1' : undefined;
  const startedAt = new Date().toISOString();
  const loadAtStart = round2(loadavg()[0] ?? 0);
  const dir = await mkdtemp(join(tmpdir(), 'koppel-bench-'));
  const logDir = join(dir, 'logs');
  await mkdir(logDir);
  const supervisor = new Supervisor(logDir);

  const cleanUp = async (): Promise<void> => {
    await supervisor.stopAll();
    if (options.keep) console.log(`Kept ${dir} (configs, data, logs in logs/)`);
    else await rm(dir, { recursive: true, force: true });
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nnpm run bench: ${signal}, stopping every process it started`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => supervisor.killAllNow());

  const outcomes: ChainOutcome[] = [];
  const measurements: Measurement[] = [];
  try {
    const [backendPort] = (await freePorts(1)) as [number];
    const backendUrl = `http://127.0.0.1:${backendPort}${BACKEND_PATH}`;
    const backendStarted = supervisor.start(
      'backend',
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'reference', 'backend.ts')],
      {
        cwd: REPO_ROOT,
        cpus: serverCpus,
        env: { PORT: String(backendPort) },
      },
    );
    const backend: ChainProcess = { name: 'backend', started: backendStarted };
    await waitForPorts(backendStarted, [backendPort], 30_000);
    const expected = await httpGet(backendUrl);
    if (expected.status !== 200) throw new Error(`the backend answered ${expected.status}`);

    let pki: Promise<BenchPki> | undefined;
    const ctx: ChainContext = {
      dir,
      repoRoot: REPO_ROOT,
      supervisor,
      serverCpus,
      backend: { port: backendPort, url: backendUrl, path: BACKEND_PATH },
      pki: () => (pki ??= createBenchPki(supervisor, REPO_ROOT, dir)),
      koppelConfig: options.koppelConfig,
      baselineRoot: options.baselineRoot,
      progress: (line) => console.log(`    ${line}`),
    };
    console.log(
      `npm run bench: ${options.chains.join(', ')} at ${options.connections.join(', ')} connections, ` +
        `${options.durationSeconds} s each after ${options.warmupSeconds} s warm-up; ` +
        (pin ? 'servers on CPU 0, wrk on CPU 1' : 'unpinned') +
        `; logs in ${logDir}`,
    );

    for (const chain of CHAINS.filter((c) => options.chains.includes(c.id))) {
      if (interrupted) break;
      const missing = chain.tools.filter((t) => !onPath(t));
      if (missing.length > 0) {
        const reason = `${missing.join(', ')} not installed (apt-get install -y ${missing.join(' ')})`;
        console.log(`  ${chain.id}: skipped, ${reason}`);
        outcomes.push({ chain: chain.id, title: chain.title, status: 'skipped', reason });
        continue;
      }
      console.log(`  ${chain.id}: ${chain.title}`);
      const processes: ChainProcess[] = [];
      try {
        const url = await chain.start(ctx, processes);
        const got = await httpGet(url);
        if (got.status !== 200 || !got.body.equals(expected.body)) {
          throw new Error(`GET ${url} answered ${got.status} with a body different from the backend's`);
        }
        for (const connections of options.connections) {
          if (interrupted) break;
          const m = await measure(supervisor, {
            chain: chain.id,
            title: chain.title,
            url,
            processes,
            backend,
            connections,
            durationSeconds: options.durationSeconds,
            warmupSeconds: options.warmupSeconds,
            loadCpus,
            serverCpu: pin ? 0 : undefined,
            clockTicksPerSecond: clockTicksPerSecond(),
          });
          measurements.push(m);
          console.log(
            `    ${connections} connections: ${m.requestsPerSecond ?? '—'} req/s, p50 ${m.p50Ms ?? '—'} ms, ` +
              `CPU ${m.chainCpuUsPerRequest ?? '—'} µs/req` +
              (m.failure === undefined ? '' : `  FAILED: ${m.failure}`),
          );
          if (m.failure !== undefined) printFailure(chain.title, new Error(m.failure), processes);
        }
        outcomes.push({ chain: chain.id, title: chain.title, status: 'measured' });
      } catch (err) {
        if (interrupted) break;
        printFailure(chain.title, err, processes);
        outcomes.push({ chain: chain.id, title: chain.title, status: 'failed', reason: (err as Error).message });
      } finally {
        for (const p of [...processes].reverse()) await supervisor.stop(p.started);
      }
    }
    if (interrupted) return 130;

    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: {
        node: process.version,
        cpu: cpus()[0]?.model.trim() ?? 'unknown',
        cpus: cpuCount,
        nginx: onPath('nginx') ? version('nginx', ['-v'], /nginx\/(\S+)/) : null,
        wrk: version('wrk', ['-v'], /wrk (\S+)/),
        pinned: pin ? 'servers pinned to CPU 0, wrk to CPU 1' : 'unpinned',
        loadAverage1m: { start: loadAtStart, end: round2(loadavg()[0] ?? 0) },
      },
      settings: {
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        connections: options.connections,
        chains: options.chains,
        koppelConfig: options.koppelConfig,
      },
      chains: outcomes,
      measurements,
    };
    console.log(`\n${renderText(report)}`);
    const paths = await writeReport(report, options.outDir);
    console.log(
      `Results: ${paths.json}\n         ${paths.md}\n         (and latest.json, latest.md in ${options.outDir})`,
    );
    const failed = outcomes.some((o) => o.status === 'failed') || measurements.some((m) => m.failure !== undefined);
    if (failed) console.error('npm run bench: some chains or measurements FAILED (see above)');
    return failed ? 1 : 0;
  } finally {
    if (!interrupted) await cleanUp();
  }
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2), REPO_ROOT);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`npm run bench: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
process.exitCode = await main(options);
