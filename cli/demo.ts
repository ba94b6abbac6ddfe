// `koppel demo` (npm start): the demo federation on this machine, in this one process — a directory,
// a provider organisation publishing the sample person registry through its inway, a consumer
// organisation with an outway — then the curl lines to try it. Runs until Ctrl-C.
import { relative, resolve, isAbsolute } from 'node:path';
import { DemoFederationError } from '../demo/contracts.ts';
import type { DemoFederation } from '../demo/federation.ts';
import type { FederationInfo } from '../demo/federation-file.ts';
import { DemoPortInUseError, demoPorts, BASE_PORT_ORDER, type DemoPortOptions } from '../demo/ports.ts';
import { onShutdown } from '../gateway/runtime/index.ts';
import type { LogLevel } from '../gateway/runtime/index.ts';
import { defineCommand, UsageError } from './command.ts';
import { ExitCode, type CliIo } from './io.ts';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function portOption(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a port number, got "${value}"`);
  return Number(value);
}

/** A path as the user should type it: relative to where they are when it is below it. */
function shower(cwd: string): (path: string) => string {
  return (path) => {
    const rel = relative(cwd, path);
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  };
}

function portHelp(err: DemoPortInUseError): string {
  const lines = [`koppel demo: ${err.message}.`, '  Stop the program that uses it, or run the demo on other ports:'];
  if (err.portName === 'outway') {
    lines.push('    npm start -- --outway-port 18080      (or KOPPEL_DEMO_OUTWAY_PORT=18080)');
  } else {
    lines.push(
      `    npm start -- --base-port 18443        (or KOPPEL_DEMO_BASE_PORT=18443): the ${BASE_PORT_ORDER.length} ports`,
      '    of managers, inway, admin APIs and registry become 18443, 18444, …; the outway keeps 8080',
      '    (--outway-port N to move it too).',
    );
  }
  return `${lines.join('\n')}\n`;
}

function renderReady(info: FederationInfo, show: (p: string) => string): string {
  const { directory, provider, consumer } = info.organisations;
  const outway = consumer.outwayUrl ?? '';
  const bsn = info.examples.bsn;
  const friendlyBase = `${outway}/${provider.peerId}/${info.service.name}`;
  const mtls = (org: typeof consumer): string =>
    `--cacert ${show(info.trustAnchorPath)} --cert ${show(org.certificatePath)} --key ${show(org.keyPath)}`;
  const negotiated =
    info.contracts.connection.negotiatedNow || info.contracts.publication.negotiatedNow ? 'negotiated now' : 'reused';
  const lines = [
    '',
    `Koppel demo federation is ready (group ${info.groupId}, contracts ${negotiated}).`,
    '',
    'Organisations',
    `  directory  ${directory.name.padEnd(22)} ${directory.peerId}  manager ${directory.managerUrl}`,
    `  provider   ${provider.name.padEnd(22)} ${provider.peerId}  manager ${provider.managerUrl}  inway ${provider.inwayUrl ?? ''}`,
    `  consumer   ${consumer.name.padEnd(22)} ${consumer.peerId}  manager ${consumer.managerUrl}  outway ${outway}`,
    `  service    ${info.service.name} of ${provider.name}, served by the sample registry ${info.registryUrl}`,
    '',
    'Call the provider through the consumer outway (plain HTTP for your applications):',
    '',
    `  curl ${info.examples.friendlyUrl}`,
    `  curl -H 'Fsc-Grant-Hash: ${info.grantHash}' ${info.examples.fscUrl}`,
    `  curl -H 'X-NLX-Request-Data-Subject: bsn=${bsn}' -H 'X-NLX-Request-Process-Id: demo-aanvraag-42' ${friendlyBase}/personen/${bsn}`,
    `  curl -H 'Content-Type: application/json' -d '{"type":"RaadpleegMetBurgerservicenummer","burgerservicenummer":["${bsn}"],"fields":["naam","geboorte"]}' ${friendlyBase}/haalcentraal/api/brp/personen`,
    '',
    'Every answer carries an Fsc-Transaction-Id header; both organisations log that id.',
    '',
    'Transaction logs (FSC Logging, GET /v1/logs on each manager, mTLS with the organisation certificate):',
    `  curl ${mtls(consumer)} '${consumer.managerUrl}/v1/logs'`,
    `  curl ${mtls(provider)} '${provider.managerUrl}/v1/logs'`,
    `  stored in ${show(consumer.txlogPath)} and ${show(provider.txlogPath)}`,
    `  process logs: ${show(directory.logPath)}, ${show(provider.logPath)}, ${show(consumer.logPath)}`,
    `  verify a log's hash chain and signed heads: npx koppel logs verify --config ${show(consumer.configPath)}`,
    '',
    'Operator consoles (log in with the admin token) and admin APIs (Authorization: Bearer <token>), this machine only:',
    ...[directory, provider, consumer].map(
      (org) =>
        `  ${org.label.padEnd(10)} ${org.consoleUrl.padEnd(36)} admin API ${org.adminUrl}/admin  token ${show(org.adminTokenPath)}`,
    ),
    ...(directory.catalogueUrl === undefined
      ? []
      : [`  catalogue  ${directory.catalogueUrl}  (the group's services and inway health)`]),
    '',
    `Everything above, as JSON: ${show(resolve(info.dataDir, 'federation.json'))}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}

export const demo = defineCommand({
  description:
    'Run a demo federation on this machine, in this process: a directory, a provider organisation publishing a sample person registry through its inway, and a consumer organisation with an outway. The first run creates a development PKI and negotiates the contracts; later runs reuse them.',
  options: {
    'data-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'demo data directory (PKI, databases, logs); env KOPPEL_DEMO_DATA_DIR (default: data/demo)',
    },
    'outway-port': {
      type: 'string',
      valueName: 'PORT',
      description: 'port of the consumer outway; env KOPPEL_DEMO_OUTWAY_PORT (default: 8080)',
    },
    'base-port': {
      type: 'string',
      valueName: 'PORT',
      description: `put managers, inway, admin APIs and registry on PORT…PORT+${BASE_PORT_ORDER.length - 1}; env KOPPEL_DEMO_BASE_PORT (default: 8443–8446, 9001–9003, 8081)`,
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'level of the component logs (written to DIR/logs); env KOPPEL_DEMO_LOG_LEVEL (default: info)',
    },
  },
  examples: [
    'npm start',
    'npm start -- --outway-port 18080',
    'koppel demo --base-port 18443 --data-dir /tmp/koppel-demo',
  ],
  async run({ values, io }) {
    const env = io.env;
    const dataDir = resolve(io.cwd, values['data-dir'] ?? env.KOPPEL_DEMO_DATA_DIR ?? 'data/demo');
    const basePort = portOption(values['base-port'] ?? env.KOPPEL_DEMO_BASE_PORT, '--base-port');
    const outwayPort = portOption(values['outway-port'] ?? env.KOPPEL_DEMO_OUTWAY_PORT, '--outway-port');
    const logLevel = values['log-level'] ?? env.KOPPEL_DEMO_LOG_LEVEL ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    }
    const portOptions: DemoPortOptions = {
      ...(basePort === undefined ? {} : { basePort }),
      ...(outwayPort === undefined ? {} : { outwayPort }),
    };
    try {
      demoPorts(portOptions); // checks ranges and clashes up front: a usage error, exit 2
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return runDemo(io, { dataDir, portOptions, logLevel: logLevel as LogLevel });
  },
});

async function runDemo(
  io: CliIo,
  options: { dataDir: string; portOptions: DemoPortOptions; logLevel: LogLevel },
): Promise<number> {
  const show = shower(io.cwd);
  io.stdout.write(`Starting the Koppel demo federation (data in ${show(options.dataDir)})\n`);
  let federation: DemoFederation;
  try {
    // Loaded here, not at the top: `koppel demo --help` should not load every component.
    const { startDemoFederation } = await import('../demo/federation.ts');
    federation = await startDemoFederation({
      dataDir: options.dataDir,
      portOptions: options.portOptions,
      logLevel: options.logLevel,
      onProgress: (line) => io.stdout.write(`  ${line}\n`),
      showPath: show,
    });
  } catch (err) {
    if (err instanceof DemoPortInUseError) {
      io.stderr.write(portHelp(err));
    } else if (err instanceof DemoFederationError) {
      io.stderr.write(`koppel demo: ${err.message}\n`);
    } else {
      io.stderr.write(
        `koppel demo: the federation could not start: ${err instanceof Error ? err.message : String(err)}\n` +
          `  The component logs in ${show(resolve(options.dataDir, 'logs'))} may say more.\n`,
      );
    }
    return ExitCode.failure;
  }
  io.stdout.write(renderReady(federation.info, show));

  // The first Ctrl-C stops every component in order and lets the command return 0; a second one
  // during that shutdown exits at once (onShutdown's force path: 128 + signal number).
  return new Promise<number>((done) => {
    onShutdown(
      ['SIGINT', 'SIGTERM'],
      [
        {
          name: 'announce',
          close: () => {
            io.stdout.write('\nStopping the demo federation (Ctrl-C again to force)…\n');
          },
        },
        { name: 'demo federation', close: () => federation.close() },
      ],
      {
        timeoutMs: 20_000,
        exit: (code) => {
          if (code >= 128) {
            process.exit(code);
          }
          io.stdout.write(code === 0 ? 'Stopped.\n' : 'Stopped, with errors (see the component logs).\n');
          // Everything is closed, so Node ends by itself; should a handle still be open (a bug), it
          // must not keep a stopped demo alive. Unref'd: it never delays a clean exit.
          setTimeout(() => process.exit(code), 5_000).unref();
          done(code);
        },
      },
    );
  });
}
