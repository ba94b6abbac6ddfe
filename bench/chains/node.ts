// The naive Node chain: bench/reference/outway.ts → mTLS → bench/reference/inway.ts, each a bare
// node:http(s) server forwarding with an undici Pool. What a Node proxy hop costs without any gateway work.
import { join } from 'node:path';
import { freePorts, waitForPorts } from '../net.ts';
import type { Chain } from './chain.ts';

export const node: Chain = {
  id: 'node',
  title: 'naive Node chain (undici Pool, mTLS)',
  tools: [],
  async start(ctx, processes) {
    const pki = await ctx.pki();
    const [inwayPort, outwayPort] = (await freePorts(2)) as [number, number];
    const script = (name: string): string[] => ['--import', 'tsx', join(ctx.repoRoot, 'bench', 'reference', name)];
    const inway = ctx.supervisor.start('node-inway', process.execPath, script('inway.ts'), {
      cwd: ctx.repoRoot,
      cpus: ctx.serverCpus,
      env: {
        PORT: String(inwayPort),
        UPSTREAM: `http://127.0.0.1:${ctx.backend.port}`,
        CA: pki.caPath,
        CERT: pki.peers.provider.certificatePath,
        KEY: pki.peers.provider.keyPath,
      },
    });
    processes.push({ name: 'node inway', started: inway });
    await waitForPorts(inway, [inwayPort], 30_000);
    const outway = ctx.supervisor.start('node-outway', process.execPath, script('outway.ts'), {
      cwd: ctx.repoRoot,
      cpus: ctx.serverCpus,
      env: {
        PORT: String(outwayPort),
        UPSTREAM: `https://127.0.0.1:${inwayPort}`,
        CA: pki.caPath,
        CERT: pki.peers.consumer.certificatePath,
        KEY: pki.peers.consumer.keyPath,
      },
    });
    processes.push({ name: 'node outway', started: outway });
    await waitForPorts(outway, [outwayPort], 30_000);
    return `http://127.0.0.1:${outwayPort}${ctx.backend.path}`;
  },
};
