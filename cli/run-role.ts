// The production entry points: `koppel manager|directory|inway|outway|peer --config FILE`. Each loads
// and validates the configuration (defaults < file < KOPPEL_* environment; every problem at once,
// before any socket opens), builds its components through the same assembly as the demo, listens,
// says where, and shuts down in order on SIGINT/SIGTERM (a second signal forces).
import { resolve } from 'node:path';
import { isConfigError, loadConfig, type KoppelConfig } from '../config/index.ts';
import { createLogger, onShutdown, type Logger } from '../gateway/runtime/index.ts';
import { defineCommand, type CommandMeta } from './command.ts';
import { ExitCode, type CliIo } from './io.ts';
import type { PeerComponents, RunningPeer } from '../peer/index.ts';

export type PeerRole = 'manager' | 'directory' | 'inway' | 'outway' | 'peer';

const DESCRIPTIONS: Record<PeerRole, string> = {
  manager:
    'Run this peer\'s manager (FSC Manager API on manager.listen, mTLS) and its admin API. With manager.mode "directory" it is the group\'s directory.',
  directory:
    'Run the group directory: a manager in directory mode (config manager.mode "directory") that co-signs service publications, lists services and peers and watches inway health, plus its admin API and catalogue page.',
  inway:
    "Run this peer's inway (config inway.enabled): the provider's reverse proxy, mTLS in from outways, HTTP(S) to the services.",
  outway:
    "Run this peer's outway (config outway.enabled): the consumer's forward proxy for applications. Reads contracts from the manager's store (same dataDir or Redis).",
  peer: 'Run everything this peer configures in one process: the manager and admin API, and the inway and outway when they are enabled.',
};

/** What the role needs from the configuration; a message for the operator when it is not there. */
function componentsFor(role: PeerRole, config: KoppelConfig): PeerComponents | string {
  switch (role) {
    case 'manager':
      return { manager: true, inway: false, outway: false };
    case 'directory':
      return config.manager.mode === 'directory'
        ? { manager: true, inway: false, outway: false }
        : 'a directory needs manager.mode "directory" in the configuration (or KOPPEL_MANAGER_MODE=directory)';
    case 'inway':
      return config.inway.enabled
        ? { manager: false, inway: true, outway: false }
        : 'inway.enabled is false in the configuration (or set KOPPEL_INWAY_ENABLED=true)';
    case 'outway':
      return config.outway.enabled
        ? { manager: false, inway: false, outway: true }
        : 'outway.enabled is false in the configuration (or set KOPPEL_OUTWAY_ENABLED=true)';
    case 'peer':
      return { manager: true, inway: config.inway.enabled, outway: config.outway.enabled };
  }
}

/** The configuration key of a listener on `port`, for a clear "port in use" message. */
function listenerOfPort(config: KoppelConfig, port: unknown): string | undefined {
  const listeners: [string, number][] = [
    ['manager.listen.port', config.manager.listen.port],
    ['admin.listen.port', config.admin.listen.port],
    ['inway.listen.port', config.inway.listen.port],
    ['outway.listen.port', config.outway.listen.port],
  ];
  return listeners.find(([, p]) => p === port)?.[0];
}

function describeStartFailure(err: unknown, config: KoppelConfig): string {
  const e = err as NodeJS.ErrnoException & { port?: unknown; address?: unknown };
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
    const key = listenerOfPort(config, e.port);
    const where = `${typeof e.address === 'string' ? e.address : ''}:${typeof e.port === 'number' ? e.port : '?'}`;
    const what = e.code === 'EADDRINUSE' ? 'is already in use' : 'may not be bound by this user';
    return `${where} ${what}${key === undefined ? '' : `; change ${key} in the configuration (or its KOPPEL_* variable)`}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function summary(role: PeerRole, peer: RunningPeer, hop?: { urls: { inway?: string; outway?: string }; workers: number }): string {
  const u = { ...peer.urls, ...hop?.urls };
  const lines = [`koppel ${role}: ${peer.name} (${peer.peerId}) in group ${peer.config.groupId}`];
  if (u.manager !== undefined) {
    lines.push(`  ${peer.directory === undefined ? 'manager' : 'directory'}  ${u.manager}  (FSC Manager API, mTLS)`);
  }
  if (u.admin !== undefined) {
    lines.push(`  admin      ${u.admin}/admin  (bearer token in ${peer.config.admin.tokenPath})`);
    lines.push(`  console    ${u.admin}/console  (log in with that token)`);
  }
  if (peer.directory !== undefined && u.admin !== undefined) lines.push(`  catalogue  ${u.admin}/catalogue`);
  if (u.inway !== undefined)
    lines.push(`  inway      ${u.inway}  (public address ${peer.config.inway.publicAddress ?? '-'})`);
  if (u.outway !== undefined) lines.push(`  outway     ${u.outway}`);
  if (hop !== undefined) lines.push(`  ${hop.workers} hop worker processes share the inway/outway listeners`);
  lines.push('Stop with Ctrl-C (SIGINT) or SIGTERM.', '');
  return lines.join('\n');
}

/** Runs a role until a signal; resolves with the exit code. */
export async function runRole(role: PeerRole, configPath: string, io: CliIo): Promise<number> {
  let config: KoppelConfig;
  try {
    config = await loadConfig({ path: resolve(io.cwd, configPath), env: io.env });
  } catch (err) {
    if (isConfigError(err)) {
      io.stderr.write(`koppel ${role}: ${err.message}\n`);
      return ExitCode.usage;
    }
    throw err;
  }
  const components = componentsFor(role, config);
  if (typeof components === 'string') {
    io.stderr.write(`koppel ${role}: ${components}\n`);
    return ExitCode.usage;
  }

  // Loaded only now: a configuration error is reported without loading every component first.
  const { hopWorkers, isHopWorker, startClusteredPeer, startHopWorker, startPeer } = await import('../peer/index.ts');
  // JSON log lines on stdout (for the log collector); the human summary goes to stderr.
  const logger: Logger = createLogger({ level: config.log.level, name: role });

  if (isHopWorker()) {
    // A hop worker of a clustered peer: the primary stops it with SIGTERM (Ctrl-C's SIGINT reaches the
    // whole process group; the primary decides), and it leaves when the primary is gone.
    process.on('SIGINT', () => undefined);
    let hop: RunningPeer;
    try {
      hop = await startHopWorker({ config, logger });
    } catch (err) {
      logger.error({ err }, 'hop worker start failed');
      logger.flush();
      return ExitCode.failure;
    }
    return new Promise<number>((done) => {
      const handle = onShutdown(['SIGTERM'], hop.closers, {
        logger,
        exit: (code) => {
          done(code);
          // The IPC channel keeps a worker alive: let go of it, and leave even if something else lingers.
          if (process.connected) process.disconnect();
          setTimeout(() => process.exit(code), 2_000).unref();
        },
      });
      process.once('disconnect', () => void handle.shutdown('primary gone'));
    });
  }

  const workers = hopWorkers(config, components);
  let peer: RunningPeer;
  let closers: RunningPeer['closers'];
  let hop: { urls: { inway?: string; outway?: string }; workers: number } | undefined;
  try {
    if (Math.max(workers.inway, workers.outway) > 1) {
      const clustered = await startClusteredPeer({ config, components, logger, workers });
      peer = clustered.peer;
      hop = clustered;
      closers = [{ name: 'hop workers, then the control plane', close: () => clustered.close() }];
    } else {
      peer = await startPeer({ config, components, logger });
      closers = peer.closers;
    }
  } catch (err) {
    logger.error({ err }, 'start failed');
    logger.flush();
    io.stderr.write(`koppel ${role}: could not start: ${describeStartFailure(err, config)}\n`);
    return ExitCode.failure;
  }
  io.stderr.write(summary(role, peer, hop));

  return new Promise<number>((done) => {
    onShutdown(['SIGINT', 'SIGTERM'], closers, {
      logger,
      exit: (code) => {
        // 128 + n: a second signal during the shutdown; leave at once.
        if (code >= 128) process.exit(code);
        setTimeout(() => process.exit(code), 5_000).unref();
        done(code);
      },
    });
  });
}

function roleCommand(role: PeerRole): (args: string[], io: CliIo, meta: CommandMeta) => Promise<number> {
  return defineCommand({
    description: DESCRIPTIONS[role],
    options: {
      config: {
        type: 'string',
        valueName: 'FILE',
        required: true,
        description: 'JSON configuration file (see docs/configuration.md)',
      },
    },
    examples: [`koppel ${role} --config /etc/koppel/${role === 'directory' ? 'directory' : 'peer'}.json`],
    run: ({ values, io }) => runRole(role, values.config, io),
  });
}

export const runManager = roleCommand('manager');
export const runDirectory = roleCommand('directory');
export const runInway = roleCommand('inway');
export const runOutway = roleCommand('outway');
export const runPeer = roleCommand('peer');
