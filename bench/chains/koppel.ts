// Koppel as a user deploys it: `koppel directory`, a provider `koppel peer` (manager + inway) whose
// service is the backend, and a consumer `koppel peer` (manager + outway), each its own process with its
// own SQLite data, set up only with `koppel publish`, `koppel connect` and `koppel contracts accept`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, httpGet, waitForPorts, HOST } from '../net.ts';
import type { Started } from '../processes.ts';
import type { Chain, ChainContext } from './chain.ts';
import { koppelCli, koppelJson } from './koppel-cli.ts';
import { PEERS, type BenchPki, type PeerLabel } from './pki.ts';

const SERVICE = 'bench';
const START_TIMEOUT_MS = 120_000;
const SETUP_TIMEOUT_MS = 120_000;

interface ContractJson {
  hash: string;
  state: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** BASE with EXTRA merged in, objects key by key; anything else in EXTRA replaces. */
export function deepMerge(base: Json, extra: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

interface Ports {
  manager: number;
  admin: number;
  /** The inway's or the outway's, not the directory's. */
  data?: number;
}

function peerConfig(ctx: ChainContext, pki: BenchPki, label: PeerLabel, ports: Ports, directoryPort: number): Json {
  return {
    groupId: pki.groupId,
    dataDir: join(ctx.dir, 'koppel', label),
    peer: {
      trustAnchorPath: pki.caPath,
      certificatePath: pki.peers[label].certificatePath,
      keyPath: pki.peers[label].keyPath,
    },
    manager: {
      listen: { host: HOST, port: ports.manager },
      publicAddress: `https://${HOST}:${ports.manager}`,
      ...(label === 'directory'
        ? { mode: 'directory' }
        : { directoryAddress: `https://${HOST}:${directoryPort}`, directoryPeerId: PEERS.directory.oin }),
    },
    admin: { listen: { host: HOST, port: ports.admin } },
  };
}

const delay = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Retries STEP until it returns a value, for at most SETUP_TIMEOUT_MS; the last failure explains a timeout. */
async function until<T>(what: string, step: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + SETUP_TIMEOUT_MS;
  let last: unknown;
  for (;;) {
    try {
      const value = await step();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      if (last instanceof Error) throw last;
      throw new Error(`koppel: ${what} did not happen within ${SETUP_TIMEOUT_MS / 1000} s`);
    }
    await delay(300);
  }
}

/**
 * Koppel from the checkout at `root(ctx)`; the baseline chain runs another checkout (an earlier commit,
 * with its own node_modules) in the same run, with its defaults (`--koppel-config-json` is not merged).
 */
function koppelChain(id: 'koppel' | 'koppel-baseline', label: string, root: (ctx: ChainContext) => string): Chain {
  return {
    id,
    title:
      id === 'koppel'
        ? 'Koppel: directory, provider peer (inway), consumer peer (outway)'
        : 'Koppel baseline (--baseline-root): directory, provider peer (inway), consumer peer (outway)',
    tools: [],
    async start(ctx, processes) {
      const pki = await ctx.pki();
      const [dm, da, pm, pa, inway, cm, ca, outway] = (await freePorts(8)) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const configs = {
        directory: peerConfig(ctx, pki, 'directory', { manager: dm, admin: da }, dm),
        provider: deepMerge(
          {
            ...peerConfig(ctx, pki, 'provider', { manager: pm, admin: pa }, dm),
            inway: { enabled: true, listen: { host: HOST, port: inway }, publicAddress: `https://${HOST}:${inway}` },
          },
          id === 'koppel' ? ctx.koppelConfig : {},
        ),
        consumer: deepMerge(
          {
            ...peerConfig(ctx, pki, 'consumer', { manager: cm, admin: ca }, dm),
            outway: { enabled: true, listen: { host: HOST, port: outway } },
          },
          id === 'koppel' ? ctx.koppelConfig : {},
        ),
      };
      for (const [label, config] of Object.entries(configs)) config.dataDir = join(ctx.dir, id, 'data', label);
      const configDir = join(ctx.dir, id);
      await mkdir(configDir, { recursive: true });
      const path = (label: PeerLabel): string => join(configDir, `${label}.json`);
      for (const label of Object.keys(configs) as PeerLabel[]) {
        await writeFile(path(label), `${JSON.stringify(configs[label], null, 2)}\n`);
      }

      const repoRoot = root(ctx);
      const bin = join(repoRoot, 'bin', 'koppel.js');
      // Extra node flags for the Koppel processes only, e.g. BENCH_KOPPEL_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'
      // (node refuses profiling flags in NODE_OPTIONS).
      const nodeArgs = (process.env.BENCH_KOPPEL_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
      const run = (name: string, role: string, label: PeerLabel): Started =>
        ctx.supervisor.start(name, process.execPath, [...nodeArgs, bin, role, '--config', path(label)], {
          cwd: repoRoot,
          cpus: ctx.serverCpus,
        });
      const directory = run('koppel-directory', 'directory', 'directory');
      processes.push({ name: `${label} directory`, started: directory });
      await waitForPorts(directory, [dm, da], START_TIMEOUT_MS);
      const provider = run('koppel-provider', 'peer', 'provider');
      processes.push({ name: `${label} provider (inway)`, started: provider });
      const consumer = run('koppel-consumer', 'peer', 'consumer');
      processes.push({ name: `${label} consumer (outway)`, started: consumer });
      await Promise.all([
        waitForPorts(provider, [pm, pa, inway], START_TIMEOUT_MS),
        waitForPorts(consumer, [cm, ca, outway], START_TIMEOUT_MS),
      ]);

      const cli = <T>(label: string, args: string[]): Promise<T> =>
        koppelJson<T>(ctx.supervisor, repoRoot, label, args);
      const contractState = async (peer: PeerLabel, hash: string): Promise<string | undefined> => {
        const list = await cli<ContractJson[]>(`contracts list ${peer}`, ['contracts', 'list', '--config', path(peer)]);
        return list.find((c) => c.hash === hash)?.state;
      };

      ctx.progress('koppel publish');
      const publication = await cli<{ contract: ContractJson }>('publish', [
        'publish',
        '--config',
        path('provider'),
        '--name',
        SERVICE,
        '--endpoint',
        `http://${HOST}:${ctx.backend.port}`,
      ]);
      await until('the directory co-signing the publication', async () =>
        (await contractState('provider', publication.contract.hash)) === 'valid' ? true : undefined,
      );

      ctx.progress('koppel connect');
      const connection = await until('koppel connect', () =>
        cli<ContractJson>('connect', ['connect', '--config', path('consumer'), PEERS.provider.oin, SERVICE]),
      );
      await until('the provider receiving the connection request', async () =>
        (await contractState('provider', connection.hash)) === undefined ? undefined : true,
      );
      ctx.progress('koppel contracts accept');
      await koppelCli(ctx.supervisor, repoRoot, 'contracts accept', [
        'contracts',
        'accept',
        connection.hash,
        '--config',
        path('provider'),
      ]);
      await until('the connection contract becoming valid at the consumer', async () =>
        (await contractState('consumer', connection.hash)) === 'valid' ? true : undefined,
      );

      const url = `http://${HOST}:${outway}/${PEERS.provider.oin}/${SERVICE}${ctx.backend.path}`;
      ctx.progress('first call through the outway');
      await until(`GET ${url} answering 200`, async () => {
        const res = await httpGet(url);
        if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body.toString().slice(0, 300)}`);
        return true;
      });
      return url;
    },
  };
}

export const koppel: Chain = koppelChain('koppel', 'koppel', (ctx) => ctx.repoRoot);

export const koppelBaseline: Chain = koppelChain('koppel-baseline', 'baseline', (ctx) => {
  if (ctx.baselineRoot === undefined) throw new Error('koppel-baseline needs --baseline-root DIR');
  return ctx.baselineRoot;
});
