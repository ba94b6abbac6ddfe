// What a chain is to the benchmark: something it can start in front of the shared backend, that answers
// the backend's GET on `url`, made of processes whose CPU time it accounts per request.
import type { Started, Supervisor } from '../processes.ts';
import type { BenchPki } from './pki.ts';

export const CHAIN_IDS = ['direct', 'nginx', 'node', 'koppel', 'koppel-baseline'] as const;
export type ChainId = (typeof CHAIN_IDS)[number];

export interface ChainContext {
  /** The run's temporary directory: configs, data, certificates and logs go here. */
  dir: string;
  repoRoot: string;
  supervisor: Supervisor;
  /** `taskset -c` CPU list for servers; undefined: no pinning. */
  serverCpus: string | undefined;
  backend: { port: number; url: string; path: string };
  /** Created on first use: the reference chains and Koppel share one group CA and its certificates. */
  pki(): Promise<BenchPki>;
  /** Merged into both Koppel peers' configuration files. */
  koppelConfig: Record<string, unknown>;
  /** Another checkout of Koppel (`--baseline-root`), measured as chain `koppel-baseline` in the same run. */
  baselineRoot: string | undefined;
  progress(line: string): void;
}

export interface ChainProcess {
  /** How the tables name it, e.g. "koppel consumer (outway)". */
  name: string;
  started: Started;
}

export interface Chain {
  id: ChainId;
  title: string;
  /** Programs that must be on PATH; the chain is skipped without them. */
  tools: readonly string[];
  /**
   * Starts the chain and resolves with the URL wrk loads (it answers what `backend.url` answers).
   * Pushes each process onto PROCESSES as soon as it runs, so that a failed start can still be stopped
   * and its logs shown.
   */
  start(ctx: ChainContext, processes: ChainProcess[]): Promise<string>;
}
