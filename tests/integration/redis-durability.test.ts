// Issue 10 finding 8: a Redis transaction log is only as durable as Redis's appendfsync. A peer with a
// Redis log reads the server's persistence settings at start and refuses to run unless every
// acknowledged record is on disk (appendonly yes, appendfsync always), or its operator set
// txlog.redisAcceptLoss (then it warns). Real redis-servers of the test's own, on free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initGroupCa, issuePeerCertificate } from '../../certs/index.ts';
import { resolveConfig } from '../../config/index.ts';
import { persistenceProblem, readRedisPersistence } from '../../gateway/redis/index.ts';
import { createLogger } from '../../gateway/runtime/index.ts';
import { startPeer } from '../../peer/index.ts';
import { freePort, PrivateRedis, untilRedisAnswers } from './private-redis.ts';

const OIN = '00000000000000000021';

async function volatileRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await untilRedisAnswers(`redis://127.0.0.1:${port}`);
  return child;
}

describe('a peer with a Redis transaction log checks that Redis persists every write', () => {
  let dir: string;
  let durable: PrivateRedis;
  let volatile: ChildProcess;
  let volatileUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-redis-durability-'));
    await initGroupCa({ groupId: 'durability-test', dir: join(dir, 'pki') });
    await issuePeerCertificate({ dir: join(dir, 'pki'), oin: OIN, name: 'Org', hosts: ['localhost'], out: join(dir, 'pki', 'peer') });
    durable = new PrivateRedis(await freePort());
    await durable.start();
    const port = await freePort();
    volatile = await volatileRedis(port, dir);
    volatileUrl = `redis://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await durable?.dispose();
    if (volatile !== undefined && volatile.exitCode === null) {
      const exited = once(volatile, 'exit');
      volatile.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  const configFor = (url: string, acceptLoss: boolean) =>
    resolveConfig({
      file: {
        groupId: 'durability-test',
        dataDir: join(dir, 'data'),
        peer: { trustAnchorPath: join(dir, 'pki', 'ca.pem'), certificatePath: join(dir, 'pki', 'peer.pem'), keyPath: join(dir, 'pki', 'peer.key.pem') },
        manager: { publicAddress: 'https://localhost:8443' },
        store: { kind: 'sqlite', redisUrl: url, keyPrefix: `koppel-durability-${Date.now()}:` },
        txlog: { kind: 'redis', redisAcceptLoss: acceptLoss },
      },
    });

  it('tells a Redis that fsyncs every write from one that does not', async () => {
    expect(persistenceProblem(await readRedisPersistence(durable.url))).toBeUndefined();
    expect(persistenceProblem(await readRedisPersistence(volatileUrl))).toMatch(/appendonly no and appendfsync \w+/);
  });

  it('refuses to start on a Redis that can lose acknowledged records, saying how to fix it', async () => {
    const logger = createLogger({ level: 'silent', name: 'test' });
    await expect(startPeer({ config: configFor(volatileUrl, false), components: { manager: false, inway: false, outway: false }, logger })).rejects.toThrow(
      /appendonly no.*appendfsync.*txlog\.redisAcceptLoss/s,
    );
  });

  it('starts on a durable Redis, and on a volatile one only when the loss is accepted (with a warning)', async () => {
    const lines: { msg?: string }[] = [];
    const logger = createLogger({ level: 'warn', name: 'test', destination: { write: (l: string) => void lines.push(JSON.parse(l) as { msg?: string }) } });
    const ok = await startPeer({ config: configFor(durable.url, false), components: { manager: false, inway: false, outway: false }, logger });
    await ok.close();
    expect(lines).toEqual([]);
    const accepted = await startPeer({ config: configFor(volatileUrl, true), components: { manager: false, inway: false, outway: false }, logger });
    await accepted.close();
    expect(lines.some((l) => l.msg?.includes('can lose acknowledged records'))).toBe(true);
  });
});
