// The command line of `npm run bench` (bench/run.ts), checked up front.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHAIN_IDS, type ChainId } from './chains/index.ts';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  chains: ChainId[];
  outDir: string;
  /** Merged into both Koppel peers' configuration. */
  koppelConfig: Record<string, unknown>;
  /** Another Koppel checkout measured as chain koppel-baseline in the same run. */
  baselineRoot: string | undefined;
  keep: boolean;
  /** Servers on CPU 0 and wrk on CPU 1 (when there are two CPUs and taskset). */
  pin: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Starts, on 127.0.0.1 in a temporary directory, a plain node:http backend and in front of it, one chain at a
time: direct, nginx outway → nginx inway (mTLS), the naive Node chain (undici) and Koppel as separate
\`koppel directory|peer\` processes. Loads each with wrk (GET, ~1 KB JSON, keep-alive) at every connection
count after a warm-up, and reports req/s, p50/p99, ratios to nginx and direct, and CPU µs per request of
each process (/proc). Results: <out>/bench-<stamp>.json|.md and <out>/latest.json|.md.

Options:
  --duration S              measured seconds per run (default 10)
  --warmup S                warm-up seconds before each measured run (default 3; 0: none)
  --connections LIST        connection counts, e.g. 1,50 (default 1,50)
  --only LIST               chains to run: ${CHAIN_IDS.join(',')} (default all)
  --out DIR                 where results go (default bench/results)
  --koppel-config-json JSON merged into both Koppel peers' config, e.g. '{"log":{"level":"warn"}}'
  --baseline-root DIR       also measure the Koppel checkout in DIR (e.g. a git worktree of an earlier
                            commit, with node_modules) as chain koppel-baseline, in the same run
  --keep                    keep the temporary directory (configs, data, logs)
  --unpinned                do not pin servers to CPU 0 and wrk to CPU 1
  -h, --help                show this help`;

export class UsageError extends Error {}

function wholeNumber(value: string, what: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${what}: ${value} is not a whole number of at least ${min}`);
  }
  return n;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseOptions(argv: string[], repoRoot: string): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '3' },
        connections: { type: 'string', default: '1,50' },
        only: { type: 'string' },
        out: { type: 'string' },
        'koppel-config-json': { type: 'string' },
        'baseline-root': { type: 'string' },
        keep: { type: 'boolean', default: false },
        unpinned: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const connections = list(v.connections).map((c) => wholeNumber(c, '--connections', 1));
  if (connections.length === 0) throw new UsageError('--connections: give at least one count');
  const baselineRoot = v['baseline-root'] === undefined ? undefined : resolve(v['baseline-root']);
  const chains =
    v.only === undefined
      ? CHAIN_IDS.filter((id) => id !== 'koppel-baseline' || baselineRoot !== undefined)
      : list(v.only);
  if (chains.includes('koppel-baseline') && baselineRoot === undefined) {
    throw new UsageError('--only koppel-baseline: say which checkout with --baseline-root DIR');
  }
  for (const id of chains) {
    if (!(CHAIN_IDS as readonly string[]).includes(id)) {
      throw new UsageError(`--only: unknown chain ${id} (known: ${CHAIN_IDS.join(', ')})`);
    }
  }
  let koppelConfig: unknown = {};
  if (v['koppel-config-json'] !== undefined) {
    try {
      koppelConfig = JSON.parse(v['koppel-config-json']);
    } catch (err) {
      throw new UsageError(`--koppel-config-json: ${(err as Error).message}`);
    }
    if (typeof koppelConfig !== 'object' || koppelConfig === null || Array.isArray(koppelConfig)) {
      throw new UsageError('--koppel-config-json: give a JSON object, e.g. {"log":{"level":"warn"}}');
    }
  }
  return {
    durationSeconds: wholeNumber(v.duration, '--duration', 1),
    warmupSeconds: wholeNumber(v.warmup, '--warmup', 0),
    connections: [...new Set(connections)],
    chains: CHAIN_IDS.filter((id) => chains.includes(id)),
    outDir: resolve(v.out ?? resolve(repoRoot, 'bench', 'results')),
    koppelConfig: koppelConfig as Record<string, unknown>,
    baselineRoot,
    keep: v.keep,
    pin: !v.unpinned,
    help: v.help,
  };
}
