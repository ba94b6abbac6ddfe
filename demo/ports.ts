// The ports of the demo federation: fixed by default, so the printed curl lines and console URLs are
// the same on every run, and movable as a block (`--base-port`) when something else owns them.
import net from 'node:net';

export interface DemoPorts {
  /** Where applications call the consumer's outway (plain HTTP). */
  outway: number;
  directoryManager: number;
  providerManager: number;
  providerInway: number;
  consumerManager: number;
  directoryAdmin: number;
  providerAdmin: number;
  consumerAdmin: number;
  /** The sample person registry (the provider's internal API behind the inway). */
  registry: number;
}

export type DemoPortName = keyof DemoPorts;

/** FSC uses 8443 for managers (fsc-core "Ports"); the others are chosen not to collide with common dev servers. */
export const DEFAULT_DEMO_PORTS: Readonly<DemoPorts> = {
  outway: 8080,
  directoryManager: 8443,
  providerManager: 8444,
  providerInway: 8445,
  consumerManager: 8446,
  directoryAdmin: 9001,
  providerAdmin: 9002,
  consumerAdmin: 9003,
  registry: 8081,
};

/** The order in which `--base-port N` hands out N, N+1, …: every port except the outway's. */
export const BASE_PORT_ORDER: readonly Exclude<DemoPortName, 'outway'>[] = [
  'directoryManager',
  'providerManager',
  'providerInway',
  'consumerManager',
  'directoryAdmin',
  'providerAdmin',
  'consumerAdmin',
  'registry',
];

const DESCRIPTIONS: Record<DemoPortName, string> = {
  outway: 'the consumer outway',
  directoryManager: 'the directory manager',
  providerManager: 'the provider manager',
  providerInway: 'the provider inway',
  consumerManager: 'the consumer manager',
  directoryAdmin: 'the directory admin API',
  providerAdmin: 'the provider admin API',
  consumerAdmin: 'the consumer admin API',
  registry: 'the sample person registry',
};

export function describePort(name: DemoPortName): string {
  return DESCRIPTIONS[name];
}

export interface DemoPortOptions {
  /** Moves every port but the outway's to base, base+1, … (see BASE_PORT_ORDER). */
  basePort?: number;
  outwayPort?: number;
}

function checkPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new RangeError(`${what} must be a port number between 1 and 65535`);
  }
  return value;
}

/** The port plan for the given options, starting from `from` (default: the fixed defaults). */
export function demoPorts(options: DemoPortOptions = {}, from: Readonly<DemoPorts> = DEFAULT_DEMO_PORTS): DemoPorts {
  const ports: DemoPorts = { ...from };
  if (options.basePort !== undefined) {
    const base = checkPort(options.basePort, 'the base port');
    checkPort(base + BASE_PORT_ORDER.length - 1, `the base port plus ${BASE_PORT_ORDER.length - 1}`);
    BASE_PORT_ORDER.forEach((name, i) => {
      ports[name] = base + i;
    });
  }
  if (options.outwayPort !== undefined) ports.outway = checkPort(options.outwayPort, 'the outway port');
  const seen = new Map<number, DemoPortName>();
  for (const [name, port] of Object.entries(ports) as [DemoPortName, number][]) {
    const other = seen.get(port);
    if (other !== undefined) {
      throw new RangeError(`port ${port} would be used by both ${describePort(other)} and ${describePort(name)}`);
    }
    seen.set(port, name);
  }
  return ports;
}

/**
 * The ports other organisations know from contracts and announcements: manager addresses and the
 * inway address (in the publication grant). Moving them under existing contracts would leave peers
 * talking to the old addresses; the outway, admin and registry ports can move freely.
 */
export const ADDRESS_PORTS: readonly DemoPortName[] = [
  'directoryManager',
  'providerManager',
  'consumerManager',
  'providerInway',
];

/** Parses a saved port plan; undefined when it is not one. */
export function parseDemoPorts(value: unknown): DemoPorts | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const ports = {} as DemoPorts;
  for (const name of Object.keys(DEFAULT_DEMO_PORTS) as DemoPortName[]) {
    const port = record[name];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    ports[name] = port;
  }
  return ports;
}

/** A port the demo needs is taken by another process. */
export class DemoPortInUseError extends Error {
  override readonly name = 'DemoPortInUseError';
  readonly port: number;
  readonly portName: DemoPortName;

  constructor(portName: DemoPortName, port: number, host: string) {
    super(`port ${port} on ${host} (${describePort(portName)}) is already in use`);
    this.port = port;
    this.portName = portName;
  }
}

function probe(host: string, port: number): Promise<'free' | 'in-use'> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve('in-use');
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/**
 * Checks every port before anything starts, so a taken port is reported by name instead of leaving
 * half a federation running. (A port taken between this check and the real listen is still caught
 * by {@link asPortInUse}.)
 */
export async function assertPortsFree(host: string, ports: DemoPorts): Promise<void> {
  for (const [name, port] of Object.entries(ports) as [DemoPortName, number][]) {
    if ((await probe(host, port)) === 'in-use') throw new DemoPortInUseError(name, port, host);
  }
}

/** Turns a listen error into a DemoPortInUseError naming the component; other errors pass through. */
export function asPortInUse(err: unknown, name: DemoPortName, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' ? new DemoPortInUseError(name, port, host) : err;
}

/**
 * A run of `count` consecutive free ports on `host` (for `--base-port` in tests and the benchmark).
 * Picks random bases in the unprivileged range below the usual ephemeral range; racy by nature (another
 * process may take a port after the probe), which callers accept.
 */
export async function findFreePortBlock(host: string, count: number, attempts = 50): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (30_000 - count));
    let free = true;
    for (let i = 0; i < count && free; i++) free = (await probe(host, base + i)) === 'free';
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on ${host}`);
}

/** One free port on `host` (bound to 0 and released). */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
