// CPU time and memory of a process and all its descendants, from /proc (Linux only): what each process
// of a chain spends per request is the steadiest figure on a shared machine.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks: tells a process from a later one that got the same pid. */
  startTicks: number;
}

/** Clock ticks per second of /proc/PID/stat times (`getconf CLK_TCK`). */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** /proc/PID/stat, or undefined when the process is gone (or a zombie). */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: fields count from after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z') return undefined;
  return {
    pid,
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    startTicks: Number(fields[19]),
  };
}

/** Every live process, by parent pid. */
function childrenByParent(): Map<number, ProcStat[]> {
  const byParent = new Map<number, ProcStat[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat === undefined) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings === undefined) byParent.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  return byParent;
}

/** PID and its live descendants (nginx workers, future Koppel worker processes), PID first. */
export function processTree(pid: number, byParent = childrenByParent()): ProcStat[] {
  const root = readStat(pid);
  if (root === undefined) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(byParent.get(tree[i]!.pid) ?? []));
  return tree;
}

/** utime + stime (clock ticks) of each tree rooted at PIDS, with one scan of /proc for all of them. */
export function treeCpuTicks(pids: readonly number[]): Map<number, { ticks: number; processes: number }> {
  const byParent = childrenByParent();
  const out = new Map<number, { ticks: number; processes: number }>();
  for (const pid of pids) {
    const tree = processTree(pid, byParent);
    out.set(pid, { ticks: tree.reduce((sum, p) => sum + p.cpuTicks, 0), processes: tree.length });
  }
  return out;
}

/** VmRSS in kB of one process, or undefined when it is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** VmRSS in kB summed over PID and its descendants, with the number of processes. */
export function treeRssKb(pid: number): { kb: number; processes: number } {
  const tree = processTree(pid);
  return { kb: tree.reduce((sum, p) => sum + (rssKb(p.pid) ?? 0), 0), processes: tree.length };
}

/** Busy and total clock ticks of one CPU since boot (/proc/stat), or undefined when it is not listed. */
export function cpuTicks(cpu: number): { busy: number; total: number } | undefined {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}
