// nginx outway → nginx inway over mTLS (TLS 1.3, keep-alive upstreams, one worker each): the reference a
// gateway in this field is judged against. Configs rendered from bench/reference/nginx/*.tmpl.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, waitForPorts } from '../net.ts';
import { ProcessFailure } from '../processes.ts';
import type { Chain, ChainContext, ChainProcess } from './chain.ts';

async function startNginx(
  ctx: ChainContext,
  role: 'inway' | 'outway',
  values: Record<string, string>,
  port: number,
  processes: ChainProcess[],
): Promise<void> {
  const prefix = join(ctx.dir, `nginx-${role}`);
  await mkdir(join(prefix, 'logs'), { recursive: true });
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  const template = await readFile(join(ctx.repoRoot, 'bench', 'reference', 'nginx', `${role}.conf.tmpl`), 'utf8');
  const conf = join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    template.replace(/@([A-Z_]+)@/g, (_, key: string) => values[key] ?? `@${key}@`),
  );
  const args = ['-p', `${prefix}/`, '-c', conf];
  const check = await ctx.supervisor.run(`nginx-${role} -t`, 'nginx', [...args, '-t', '-q'], { timeoutMs: 10_000 });
  if (check.code !== 0) throw new ProcessFailure(`nginx -t refused ${conf}`, check.logPath);
  const started = ctx.supervisor.start(`nginx-${role}`, 'nginx', [...args, '-g', 'daemon off;'], {
    cpus: ctx.serverCpus,
  });
  processes.push({ name: `nginx ${role}`, started });
  await waitForPorts(started, [port], 10_000);
}

export const nginx: Chain = {
  id: 'nginx',
  title: 'nginx outway → nginx inway (mTLS, 1 worker each)',
  tools: ['nginx'],
  async start(ctx, processes) {
    const pki = await ctx.pki();
    const [inwayPort, outwayPort] = (await freePorts(2)) as [number, number];
    const common = { WORKERS: '1', CA: pki.caPath, INWAY_PORT: String(inwayPort) };
    await startNginx(
      ctx,
      'inway',
      {
        ...common,
        BACKEND_PORT: String(ctx.backend.port),
        CERT: pki.peers.provider.certificatePath,
        KEY: pki.peers.provider.keyPath,
      },
      inwayPort,
      processes,
    );
    await startNginx(
      ctx,
      'outway',
      {
        ...common,
        OUTWAY_PORT: String(outwayPort),
        CERT: pki.peers.consumer.certificatePath,
        KEY: pki.peers.consumer.keyPath,
      },
      outwayPort,
      processes,
    );
    return `http://127.0.0.1:${outwayPort}${ctx.backend.path}`;
  },
};
