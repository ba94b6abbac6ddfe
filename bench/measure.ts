// One measurement: a warm-up, then wrk at one connection count with the CPU time of every process of the
// chain (and the backend) sampled from /proc before and after, divided by the requests completed.
import type { ChainId, ChainProcess } from './chains/index.ts';
import { cpuTicks, rssKb, treeCpuTicks, treeRssKb } from './proc-cpu.ts';
import type { Supervisor } from './processes.ts';
import { runWrk, type WrkResult } from './wrk.ts';

export interface ProcessCost {
  name: string;
  /** The process and its descendants (nginx workers, worker processes) at the end of the run. */
  processes: number;
  cpuUsPerRequest: number | null;
  /** VmRSS of the process itself at the end of the run. */
  rssMb: number;
  /** VmRSS summed over the process and its descendants. */
  treeRssMb: number;
}

export interface Measurement {
  chain: ChainId;
  title: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  socketErrors: number;
  non2xx: number;
  /** Why the numbers cannot be trusted (wrk failed, socket errors, error responses); absent when they can. */
  failure?: string;
  /**
   * Busy time of the servers' CPU not spent by this chain's processes or the backend, in % of that CPU
   * over the measured window: other load on a shared machine, plus kernel time no process was charged
   * for. High values mean a disturbed measurement. Null when the servers are not pinned.
   */
  otherLoadPct: number | null;
  /** CPU µs per request of the chain's own processes together (the backend not included). */
  chainCpuUsPerRequest: number | null;
  /** The chain's processes, then the backend. */
  processes: ProcessCost[];
}

export interface MeasureRun {
  chain: ChainId;
  title: string;
  url: string;
  processes: readonly ChainProcess[];
  backend: ChainProcess;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  loadCpus: string | undefined;
  /** The one CPU the servers are pinned to; undefined when they are not pinned. */
  serverCpu: number | undefined;
  clockTicksPerSecond: number;
}

const BACKEND = 'backend';

const mb = (kb: number): number => Math.round(kb / 102.4) / 10;

export async function measure(supervisor: Supervisor, run: MeasureRun): Promise<Measurement> {
  const wrk = { url: run.url, connections: run.connections, cpus: run.loadCpus };
  const all = [...run.processes, run.backend];
  const pids = all.map((p) => p.started.pid);
  let result: WrkResult | undefined;
  let failure: string | undefined;
  const serverCpu = (): { busy: number; total: number } | undefined =>
    run.serverCpu === undefined ? undefined : cpuTicks(run.serverCpu);
  let before = treeCpuTicks(pids);
  let cpuBefore = serverCpu();
  try {
    if (run.warmupSeconds > 0) {
      await runWrk(supervisor, { ...wrk, label: 'warm-up', durationSeconds: run.warmupSeconds });
    }
    before = treeCpuTicks(pids);
    cpuBefore = serverCpu();
    result = await runWrk(supervisor, { ...wrk, label: 'measured', durationSeconds: run.durationSeconds });
  } catch (err) {
    failure = (err as Error).message;
  }
  const after = treeCpuTicks(pids);
  const cpuAfter = serverCpu();
  const ours = pids.reduce((sum, pid) => sum + (after.get(pid)?.ticks ?? 0) - (before.get(pid)?.ticks ?? 0), 0);
  const otherLoadPct =
    cpuBefore === undefined || cpuAfter === undefined || cpuAfter.total === cpuBefore.total
      ? null
      : Math.max(0, Math.round(((cpuAfter.busy - cpuBefore.busy - ours) * 100) / (cpuAfter.total - cpuBefore.total)));
  const requests = result?.requests ?? 0;
  const perRequest = (pid: number): number | null => {
    const ticks = (after.get(pid)?.ticks ?? 0) - (before.get(pid)?.ticks ?? 0);
    return requests > 0 ? Math.round((ticks * 1e6) / run.clockTicksPerSecond / requests) : null;
  };
  const processes = all.map((p) => {
    const tree = treeRssKb(p.started.pid);
    return {
      name: p === run.backend ? BACKEND : p.name,
      processes: tree.processes,
      cpuUsPerRequest: perRequest(p.started.pid),
      rssMb: mb(rssKb(p.started.pid) ?? 0),
      treeRssMb: mb(tree.kb),
    };
  });
  const own = processes.filter((p) => p.name !== BACKEND).map((p) => p.cpuUsPerRequest);
  if (result !== undefined && result.socketErrors + result.non2xx > 0) {
    failure = `${result.socketErrors} socket errors, ${result.non2xx} error responses`;
  }
  return {
    chain: run.chain,
    title: run.title,
    connections: run.connections,
    durationSeconds: run.durationSeconds,
    requests,
    requestsPerSecond: result?.requestsPerSecond ?? null,
    p50Ms: result?.p50Ms ?? null,
    p99Ms: result?.p99Ms ?? null,
    socketErrors: result?.socketErrors ?? 0,
    non2xx: result?.non2xx ?? 0,
    ...(failure === undefined ? {} : { failure }),
    otherLoadPct,
    chainCpuUsPerRequest:
      own.length === 0 || own.some((c) => c === null) ? null : own.reduce<number>((s, c) => s + (c ?? 0), 0),
    processes,
  };
}
