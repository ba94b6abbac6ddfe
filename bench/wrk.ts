// One wrk run (keep-alive, --latency) and its parsed result.
import type { Supervisor } from './processes.ts';

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx"). */
  non2xx: number;
}

export interface WrkRun {
  url: string;
  connections: number;
  durationSeconds: number;
  /** `taskset -c` CPU list for wrk; undefined: no pinning. */
  cpus: string | undefined;
  /** Names the log file, e.g. "warm-up". */
  label: string;
}

const TIMEOUT_SECONDS = 5;

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(value);
  if (match === null) return Number.NaN;
  const n = Number(match[1]);
  const unit = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'us' | 'ms' | 's' | 'm' | 'h'];
  return Math.round(n * unit * 1000) / 1000;
}

/** Parses `wrk --latency` output; undefined when the numbers are not there. */
export function parseWrk(output: string): WrkResult | undefined {
  const percentile = (p: string): number => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm').exec(output);
    return match === null ? Number.NaN : toMs(match[1]!);
  };
  const requests = /^\s+(\d+) requests in /m.exec(output);
  const rps = /^Requests\/sec:\s+([\d.]+)$/m.exec(output);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const result: WrkResult = {
    requests: Number(requests?.[1]),
    requestsPerSecond: Math.round(Number(rps?.[1])),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
  };
  const numbers = [result.requests, result.requestsPerSecond, result.p50Ms, result.p99Ms];
  return numbers.every(Number.isFinite) ? result : undefined;
}

/** Runs wrk (threads = min(connections, 2)), stopped if it overruns its duration by far. */
export async function runWrk(supervisor: Supervisor, run: WrkRun): Promise<WrkResult> {
  const threads = Math.min(run.connections, 2);
  const args = [
    '-t',
    String(threads),
    '-c',
    String(run.connections),
    '-d',
    `${run.durationSeconds}s`,
    '--timeout',
    `${TIMEOUT_SECONDS}s`,
    '--latency',
    run.url,
  ];
  const res = await supervisor.run(`wrk-${run.label}-c${run.connections}`, 'wrk', args, {
    cpus: run.cpus,
    timeoutMs: (run.durationSeconds + TIMEOUT_SECONDS + 15) * 1_000,
  });
  const parsed = parseWrk(res.stdout);
  if (res.code !== 0 || parsed === undefined) {
    throw new Error(`wrk ended with ${res.code}; output:\n${res.stdout}${res.stderr}`);
  }
  return parsed;
}
