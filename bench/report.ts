// The results of one run: a table per connection count (text for the terminal, Markdown for the file), and
// the JSON behind them, written to <out>/bench-<stamp>.json|.md and <out>/latest.json|.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainId } from './chains/index.ts';
import type { Measurement } from './measure.ts';

export interface ChainOutcome {
  chain: ChainId;
  title: string;
  status: 'measured' | 'skipped' | 'failed';
  reason?: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  environment: {
    node: string;
    cpu: string;
    cpus: number;
    nginx: string | null;
    wrk: string | null;
    pinned: string;
    loadAverage1m: { start: number; end: number };
  };
  settings: {
    durationSeconds: number;
    warmupSeconds: number;
    connections: number[];
    chains: ChainId[];
    koppelConfig: Record<string, unknown>;
  };
  chains: ChainOutcome[];
  measurements: Measurement[];
}

type Cell = string;

const fixed = (n: number | null | undefined, digits: number): Cell => (n == null ? '—' : n.toFixed(digits));
const ratio = (a: number | null, b: number | null | undefined): Cell =>
  a === null || b == null || b === 0 ? '—' : (a / b).toFixed(2);

function rowsFor(report: BenchReport, connections: number): Cell[][] {
  const at = report.measurements.filter((m) => m.connections === connections);
  const rps = (chain: ChainId): number | null | undefined =>
    at.find((m) => m.chain === chain && m.failure === undefined)?.requestsPerSecond;
  const head = [
    'chain',
    'req/s',
    'vs nginx',
    'vs direct',
    'p50 ms',
    'p99 ms',
    'errors',
    'other load %',
    'CPU µs/req',
    'per process (µs/req)',
  ];
  const rows = at.map((m) => [
    m.chain,
    m.requestsPerSecond === null ? '—' : String(m.requestsPerSecond),
    ratio(m.requestsPerSecond, rps('nginx')),
    ratio(m.requestsPerSecond, rps('direct')),
    fixed(m.p50Ms, 2),
    fixed(m.p99Ms, 2),
    m.failure === undefined ? '0' : `FAILED: ${m.socketErrors + m.non2xx || m.failure.split('\n')[0]}`,
    m.otherLoadPct === null ? '—' : String(m.otherLoadPct),
    m.chainCpuUsPerRequest === null ? '—' : String(m.chainCpuUsPerRequest),
    m.processes.map((p) => `${p.name} ${p.cpuUsPerRequest ?? '—'}`).join(' · '),
  ]);
  return [head, ...rows];
}

function textTable(rows: Cell[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Cell[]): string =>
    r
      .map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

function markdownTable(rows: Cell[][]): string {
  const line = (r: Cell[]): string => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const align = rows[0]!.map((_, i) => (i === 0 || i === rows[0]!.length - 1 ? '---' : '---:'));
  return [line(rows[0]!), line(align), ...rows.slice(1).map(line)].join('\n');
}

/** "added p50 over direct" at the lowest connection count, and RSS after the highest. */
function notes(report: BenchReport): string[] {
  const out: string[] = [];
  const counts = report.settings.connections;
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  const at = (c: number): Measurement[] =>
    report.measurements.filter((m) => m.connections === c && m.failure === undefined);
  const direct = at(low).find((m) => m.chain === 'direct');
  if (direct?.p50Ms != null) {
    const added = at(low)
      .filter((m) => m.chain !== 'direct' && m.p50Ms !== null)
      .map((m) => `${m.chain} +${((m.p50Ms ?? 0) - (direct.p50Ms ?? 0)).toFixed(2)} ms`);
    if (added.length > 0)
      out.push(`added p50 over direct at ${low} connection${low === 1 ? '' : 's'}: ${added.join(', ')}`);
  }
  const rss = report.measurements
    .filter((m) => m.connections === high && m.chain !== 'direct')
    .map(
      (m) =>
        `${m.chain}: ${m.processes
          .filter((p) => p.name !== 'backend')
          .map(
            (p) =>
              `${p.name} ${p.rssMb} MB${p.processes > 1 ? ` (${p.treeRssMb} MB with ${p.processes - 1} child process${p.processes > 2 ? 'es' : ''})` : ''}`,
          )
          .join(', ')}`,
    );
  if (rss.length > 0) out.push(`RSS at the end of the ${high}-connection run — ${rss.join('; ')}`);
  for (const c of report.chains.filter((c) => c.status !== 'measured')) {
    out.push(`${c.chain} ${c.status}: ${c.reason ?? ''}`);
  }
  return out;
}

function header(report: BenchReport): string[] {
  const e = report.environment;
  const s = report.settings;
  return [
    `${report.startedAt}  ${e.cpu} × ${e.cpus}, Node ${e.node}, nginx ${e.nginx ?? '—'}, wrk ${e.wrk ?? '—'}`,
    `${e.pinned}; wrk ${s.durationSeconds} s after ${s.warmupSeconds} s warm-up, keep-alive GET ~1 KB JSON; ` +
      `load average ${e.loadAverage1m.start} at the start, ${e.loadAverage1m.end} at the end` +
      (Object.keys(s.koppelConfig).length > 0 ? `; Koppel config ${JSON.stringify(s.koppelConfig)}` : ''),
  ];
}

export function renderText(report: BenchReport): string {
  const parts = [...header(report), ''];
  for (const c of report.settings.connections) {
    parts.push(`${c} connection${c === 1 ? '' : 's'}:`, textTable(rowsFor(report, c)), '');
  }
  return [...parts, ...notes(report), ''].join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const parts = ['# npm run bench', '', ...header(report).map((l) => `${l}  `), ''];
  for (const c of report.settings.connections) {
    parts.push(`## ${c} connection${c === 1 ? '' : 's'}`, '', markdownTable(rowsFor(report, c)), '');
  }
  return [
    ...parts,
    ...notes(report).map((n) => `- ${n}`),
    '',
    'CPU µs/req: utime+stime of each process and its descendants (/proc) over the measured window, divided ' +
      'by the requests completed; the chain total leaves out the backend. Other load %: busy time of the ' +
      "servers' CPU that none of the chain's processes (nor the backend) was charged for — other sessions' " +
      'load and unattributed kernel time; high values mean a disturbed row. Compare chains only within one run.',
    '',
  ].join('\n');
}

/** Writes the report; returns the paths of the stamped JSON and Markdown files. */
export async function writeReport(report: BenchReport, outDir: string): Promise<{ json: string; md: string }> {
  await mkdir(outDir, { recursive: true });
  const stamp = report.startedAt
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const md = renderMarkdown(report);
  const paths = { json: join(outDir, `bench-${stamp}.json`), md: join(outDir, `bench-${stamp}.md`) };
  await Promise.all([
    writeFile(paths.json, json),
    writeFile(paths.md, md),
    writeFile(join(outDir, 'latest.json'), json),
    writeFile(join(outDir, 'latest.md'), md),
  ]);
  return paths;
}
