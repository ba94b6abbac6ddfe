// Issue 10 finding 8: durability shown, not claimed. A federation of separate `koppel` processes
// (directory, provider peer with the inway, consumer peer with the outway) under a bounded load of
// keep-alive clients through the outway, and then: SIGKILL of a gateway, SIGKILL of the Redis that
// holds a transaction log (appendonly yes, appendfsync always), SIGTERM of the outway's peer. After
// each, every 2xx a client saw has exactly one record on both sides and `koppel logs verify` says OK.
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  federationPorts,
  koppel,
  started,
  stopAll as killStarted,
  writeFederationConfigs,
  writeFederationPki,
  type KoppelProcess,
} from './koppel-process.ts';
import type { KoppelConfigInput } from '../../config/index.ts';
import { createAdminClient } from '../../gateway/admin/client.ts';
import { negotiateContracts } from '../../demo/contracts.ts';
import { startPersonRegistry, type PersonRegistryServer } from '../../demo/person-registry.ts';
import { publicKeyThumbprint } from '../../gateway/protocol/index.ts';
import { freePort, PrivateRedis } from './private-redis.ts';

const HOST = '127.0.0.1';
const GROUP = 'koppel-crash-test';
const OIN = { directory: '00000000000000000031', provider: '00000000000000000032', consumer: '00000000000000000033' };
const SERVICE = 'personen';
type Role = keyof typeof OIN;

// The load: 20 keep-alive clients, at most 400 calls and 8 s per run; the fault is injected after
// the 100th 2xx, and a client stops at its first failure after that.
const LOAD = { clients: 20, maxCalls: 400, maxMs: 8_000, faultAfterOk: 100 };


/** One call on a connection of its own; the status, the transaction id and the FSC error code. */
async function call(url: string): Promise<{ status: number; id: string | undefined; code: string | undefined }> {
  const res = await request(url, { reset: true });
  await res.body.text();
  const header = (name: string): string | undefined => {
    const v = res.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return { status: res.statusCode, id: header('fsc-transaction-id'), code: header('fsc-error-code') };
}

/** Polls the outway until a call is answered 200 (a restarted peer needs a token again); its id. */
async function firstOk(url: string, timeoutMs = 30_000): Promise<string> {
  let last: Awaited<ReturnType<typeof call>> | string = 'no call yet';
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      last = await call(url);
      if (last.status === 200 && last.id !== undefined) return last.id;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no 200 from ${url} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

interface Answer {
  client: number;
  status: number;
  id: string | undefined;
  code: string | undefined;
  connection: string | undefined;
}

interface Failure {
  client: number;
  code: string;
  message: string;
  sentAfterFault: boolean;
  /** The request went out on a connection that had carried an earlier call (keep-alive). */
  reused: boolean;
}

interface LoadResult {
  answers: Answer[];
  failures: Failure[];
  faulted: boolean;
  ms: number;
}

/**
 * `LOAD.clients` undici Clients (one keep-alive connection each) call `url` in a loop, bounded by
 * `LOAD.maxCalls` calls and `LOAD.maxMs`; after the `LOAD.faultAfterOk`th 2xx, `fault()` runs once
 * and from then on each client stops at its first failure.
 */
async function load(url: string, fault: () => void): Promise<LoadResult> {
  const { origin, pathname } = new URL(url);
  const answers: Answer[] = [];
  const failures: Failure[] = [];
  const t0 = performance.now();
  const deadline = t0 + LOAD.maxMs;
  let calls = 0;
  let ok = 0;
  let faulted = false;
  const one = async (n: number): Promise<void> => {
    const client = new Client(origin, {
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    let open = false;
    let used = false;
    client.on('connect', () => {
      open = true;
      used = false;
    });
    client.on('disconnect', () => (open = false));
    try {
      while (calls < LOAD.maxCalls && performance.now() < deadline) {
        calls++;
        const sentAfterFault = faulted;
        const reused = open && used;
        try {
          const res = await client.request({ path: pathname, method: 'GET' });
          await res.body.text();
          used = true;
          const h = (name: string): string | undefined => {
            const v = res.headers[name];
            return typeof v === 'string' ? v : undefined;
          };
          answers.push({
            client: n,
            status: res.statusCode,
            id: h('fsc-transaction-id'),
            code: h('fsc-error-code'),
            connection: h('connection'),
          });
          if (res.statusCode >= 200 && res.statusCode < 300) {
            ok++;
            if (!faulted && ok >= LOAD.faultAfterOk) {
              faulted = true;
              fault();
            }
          } else if (faulted) break;
        } catch (err) {
          const e = err as Error & { code?: string; cause?: { code?: string } };
          failures.push({
            client: n,
            code: e.cause?.code ?? e.code ?? 'unknown',
            message: e.message,
            sentAfterFault,
            reused,
          });
          if (faulted) break;
        }
      }
    } finally {
      await client.destroy();
    }
  };
  await Promise.all(Array.from({ length: LOAD.clients }, (_, n) => one(n)));
  return { answers, failures, faulted, ms: Math.round(performance.now() - t0) };
}

const acknowledged = (r: LoadResult): string[] =>
  r.answers
    .filter((a) => a.status >= 200 && a.status < 300)
    .map((a) => a.id ?? 'answered 2xx without a transaction id');

interface Exported {
  transaction_id: string;
  direction: string;
  status?: number;
}

describe('crash durability: every acknowledged call is logged on both sides, through kills and drains', () => {
  let dir: string;
  let pki: string;
  let registry: PersonRegistryServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-crash-'));
    pki = join(dir, 'pki');
    await writeFederationPki(pki, GROUP, OIN, HOST);
    registry = await startPersonRegistry({ host: HOST, port: 0 });
  });

  afterEach(killStarted);

  afterAll(async () => {
    await registry?.close();
    await rm(dir, { recursive: true, force: true });
  });

  interface Federation {
    configs: Record<Role, string>;
    procs: Record<Role, KoppelProcess>;
    /** A call through the consumer's outway to the provider's service. */
    url: string;
    /** Unix seconds before the first call. */
    since: number;
    /** (Re)starts a role with its configuration and waits until it serves. */
    start(role: Role): Promise<KoppelProcess>;
  }

  /** Directory, provider and consumer as processes of their own (own data), contracts negotiated. */
  async function federation(name: string, consumerLog: Partial<KoppelConfigInput> = {}): Promise<Federation> {
    const base = join(dir, name);
    const ports = await federationPorts(HOST);
    const configs = await writeFederationConfigs({
      host: HOST,
      groupId: GROUP,
      pki,
      directoryPeerId: OIN.directory,
      ports,
      service: { name: SERVICE, endpointUrl: registry.url },
      dataRoot: base,
      configDir: dir,
      prefix: `${name}-`,
      consumer: consumerLog,
    });
    const procs = {} as Record<Role, KoppelProcess>;
    const start = async (role: Role): Promise<KoppelProcess> => {
      const proc = koppel([role === 'directory' ? 'directory' : 'peer', '--config', configs[role]]);
      procs[role] = proc;
      await started(proc);
      return proc;
    };
    await start('directory');
    await Promise.all([start('provider'), start('consumer')]);

    const admin = (role: 'provider' | 'consumer', port: number) =>
      createAdminClient({
        baseUrl: `http://${HOST}:${port}`,
        readToken: () => readFile(join(base, role, 'admin-token'), 'utf8'),
      });
    await negotiateContracts({
      provider: { admin: admin('provider', ports.providerAdmin), peerId: OIN.provider, name: 'provider' },
      consumer: {
        admin: admin('consumer', ports.consumerAdmin),
        peerId: OIN.consumer,
        name: 'consumer',
        outwayPublicKeyThumbprint: publicKeyThumbprint(await readFile(join(pki, 'consumer.pem'), 'utf8')),
      },
      directoryName: 'directory',
      service: { name: SERVICE, endpointUrl: registry.url },
      progress: () => undefined,
    });
    return {
      configs,
      procs,
      url: `http://${HOST}:${ports.outway}/${OIN.provider}/${SERVICE}/personen/999990196`,
      since: Math.floor(Date.now() / 1000),
      start,
    };
  }

  /** SIGTERM to every role that still runs; each must end with 0. */
  async function stopAll(fed: Federation): Promise<void> {
    const procs = (['consumer', 'provider', 'directory'] as const).map((r) => fed.procs[r]);
    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes, procs.map((p) => p.output()).join('\n---\n')).toEqual([0, 0, 0]);
  }

  /** `koppel logs verify` (must say OK) and `koppel logs export` of one side's log (stopped peer). */
  async function logOf(fed: Federation, role: 'provider' | 'consumer'): Promise<Exported[]> {
    const verify = koppel(['logs', 'verify', '--config', fed.configs[role]]);
    const exported = koppel([
      'logs',
      'export',
      '--config',
      fed.configs[role],
      '--from',
      String(fed.since - 1),
      '--to',
      String(Math.floor(Date.now() / 1000) + 60),
      '--format',
      'jsonl',
    ]);
    const [verified, exportedCode] = await Promise.all([verify.exited, exported.exited]);
    expect(verified, `${role}: ${verify.output()}`).toBe(0);
    expect(verify.stdout()).toMatch(/^OK transaction log/);
    expect(exportedCode, `${role}: ${exported.output()}`).toBe(0);
    return exported
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Exported);
  }

  /** Each acknowledged id has exactly one record in the log (ids the log holds more or less often are listed). */
  function expectEachOnce(log: Exported[], ids: readonly string[], side: string): void {
    const count = new Map<string, number>();
    for (const r of log)
      count.set(r.transaction_id.toLowerCase(), (count.get(r.transaction_id.toLowerCase()) ?? 0) + 1);
    const wrong = ids
      .filter((id) => count.get(id.toLowerCase()) !== 1)
      .map((id) => `${id}: ${count.get(id.toLowerCase()) ?? 0}`);
    expect(wrong, `${side}: acknowledged calls without exactly one record`).toEqual([]);
  }

  it(
    'SIGKILL of the consumer, then of the provider, under load: every 2xx has one record on both sides after restart, both chains verify',
    { timeout: 60_000 },
    async () => {
      const fed = await federation('kill-gateway');
      const acked = [await firstOk(fed.url)];

      // The outway's peer dies mid-load; clients see resets, then refused connections.
      const consumer = fed.procs.consumer;
      const first = await load(fed.url, () => consumer.child.kill('SIGKILL'));
      await consumer.exited;
      expect(first.faulted).toBe(true);
      expect(consumer.child.signalCode).toBe('SIGKILL');
      acked.push(...acknowledged(first));
      // Calls in flight are cut, later ones refused: the clients saw it.
      expect(first.failures.length).toBeGreaterThan(0);

      await fed.start('consumer');
      acked.push(await firstOk(fed.url));

      // The inway's peer dies mid-load; the outway answers the calls it cannot pass on with 5xx.
      const provider = fed.procs.provider;
      const second = await load(fed.url, () => provider.child.kill('SIGKILL'));
      await provider.exited;
      expect(second.faulted).toBe(true);
      expect(provider.child.signalCode).toBe('SIGKILL');
      acked.push(...acknowledged(second));
      // The outway stayed up: what the provider's death cost is answered, not cut.
      expect(second.failures, 'calls cut instead of answered').toEqual([]);

      await fed.start('provider');
      acked.push(await firstOk(fed.url));
      await stopAll(fed);

      expect(new Set(acked).size).toBe(acked.length);
      expect(acked.length).toBeGreaterThanOrEqual(2 * LOAD.faultAfterOk + 3);
      const [consumerLog, providerLog] = await Promise.all([logOf(fed, 'consumer'), logOf(fed, 'provider')]);
      expectEachOnce(consumerLog, acked, 'consumer (outway)');
      expectEachOnce(providerLog, acked, 'provider (inway)');
      for (const r of consumerLog) expect(r.direction).toBe('DIRECTION_OUTGOING');
      for (const r of providerLog) expect(r.direction).toBe('DIRECTION_INCOMING');
      console.info(
        `kill-gateway: ${acked.length} acknowledged; consumer kill ${first.ms} ms (${first.failures.length} failures), ` +
          `provider kill ${second.ms} ms (${second.answers.filter((a) => a.status >= 500).length} 5xx); ` +
          `records consumer ${consumerLog.length}, provider ${providerLog.length}`,
      );
    },
  );

  describe("with the consumer's transaction log on a Redis of its own (appendonly yes, appendfsync always)", () => {
    let redis: PrivateRedis;

    beforeAll(async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
    });

    afterAll(async () => {
      // A SIGKILLed server is gone already: nothing left to stop.
      if (redis?.child !== undefined && redis.child.exitCode === null && redis.child.signalCode !== null)
        redis.child = undefined;
      await redis?.dispose();
    });

    it(
      'SIGKILL of Redis under load: calls fail closed while it is down, every earlier 2xx is on both sides after its restart, both chains verify',
      { timeout: 60_000 },
      async () => {
        const fed = await federation('kill-redis', {
          store: { kind: 'sqlite', redisUrl: redis.url, keyPrefix: 'crash-consumer:' },
          txlog: { kind: 'redis' },
        });
        const acked = [await firstOk(fed.url)];

        const server = redis.child!;
        const exited = once(server, 'exit');
        const run = await load(fed.url, () => server.kill('SIGKILL'));
        await exited;
        expect(run.faulted).toBe(true);
        acked.push(...acknowledged(run));
        // What was not acknowledged was refused by the outway, never cut and never passed on unlogged.
        const refused = run.answers.filter((a) => a.status < 200 || a.status >= 300);
        expect(run.failures, 'calls cut instead of answered').toEqual([]);
        expect(refused.length).toBeGreaterThan(0);
        for (const a of refused) expect([a.status, a.code]).toEqual([500, 'TRANSACTION_LOG_WRITE_ERROR']);
        // And so is every call while Redis stays down.
        const down: Awaited<ReturnType<typeof call>>[] = [];
        for (let i = 0; i < 3; i++) down.push(await call(fed.url));
        for (const d of down) expect([d.status, d.code]).toEqual([500, 'TRANSACTION_LOG_WRITE_ERROR']);

        // Same port, same data directory: the AOF brings back what was acknowledged.
        await redis.start();
        acked.push(await firstOk(fed.url));
        await stopAll(fed);

        expect(new Set(acked).size).toBe(acked.length);
        const [consumerLog, providerLog] = await Promise.all([logOf(fed, 'consumer'), logOf(fed, 'provider')]);
        expectEachOnce(consumerLog, acked, 'consumer (outway, Redis log)');
        expectEachOnce(providerLog, acked, 'provider (inway, SQLite log)');
        // A refused call never reached the provider. (At the consumer, a record whose append ran just
        // before the kill but whose reply was lost may be on disk although its call was refused: the
        // log may hold more than was acknowledged, never less.)
        const refusedIds = [...refused, ...down].map((a) => a.id).filter((id): id is string => id !== undefined);
        const atProvider = new Set(providerLog.map((r) => r.transaction_id.toLowerCase()));
        expect(
          refusedIds.filter((id) => atProvider.has(id.toLowerCase())),
          'refused calls logged by the provider',
        ).toEqual([]);
        const atConsumer = new Set(consumerLog.map((r) => r.transaction_id.toLowerCase()));
        const refusedButLogged = refusedIds.filter((id) => atConsumer.has(id.toLowerCase())).length;
        console.info(
          `kill-redis: ${acked.length} acknowledged, ${refused.length + down.length} refused with TRANSACTION_LOG_WRITE_ERROR ` +
            `(${refusedIds.length} with an id, ${refusedButLogged} of them logged by the consumer) in ${run.ms} ms; records consumer ${consumerLog.length}, provider ${providerLog.length}`,
        );
      },
    );
  });

  describe('SIGTERM of the consumer under keep-alive load', () => {
    // One run, two readings of it: what holds (nothing acknowledged is lost, exit 0) and what does
    // not yet (a keep-alive client is not told to close and its next call is accepted, then cut).
    let run: LoadResult;
    let exitCode: number | null;
    let acked: string[];
    let consumerLog: Exported[];
    let providerLog: Exported[];

    beforeAll(async () => {
      const fed = await federation('sigterm');
      acked = [await firstOk(fed.url)];
      const consumer = fed.procs.consumer;
      run = await load(fed.url, () => consumer.child.kill('SIGTERM'));
      exitCode = await consumer.exited;
      acked.push(...acknowledged(run));
      await stopAll(fed);
      [consumerLog, providerLog] = await Promise.all([logOf(fed, 'consumer'), logOf(fed, 'provider')]);
      const kinds = new Map<string, number>();
      for (const f of run.failures) {
        const kind = `${f.code}${f.reused ? ' on a reused connection' : ''}`;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      const ack = new Set(acked.map((id) => id.toLowerCase()));
      console.info(
        `sigterm: ${run.answers.length} answers (${acked.length} acknowledged) in ${run.ms} ms, ` +
          `${run.answers.filter((a) => a.connection === 'close').length} with connection: close; failures: ` +
          [...kinds].map(([k, n]) => `${n} ${k}`).join(', ') +
          `; consumer records without a 2xx: ${consumerLog.filter((r) => !ack.has(r.transaction_id.toLowerCase())).length}`,
      );
    }, 60_000);

    it('ends with 0 and loses no acknowledged call: each 2xx has one record and its 200 completion on both sides, both chains verify', () => {
      expect(run.faulted).toBe(true);
      expect(exitCode).toBe(0);
      // The calls in flight when the signal came were finished, and answered 200 (no 5xx from the drain).
      // (A client whose call went out just before the drain began may find its idle keep-alive connection
      // closed — the usual keep-alive race, for which RFC 9112 §9.3.1 lets a client retry. Whether such a
      // call was accepted shows in the log: see the next test.)
      expect(run.answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
      expectEachOnce(consumerLog, acked, 'consumer (outway)');
      expectEachOnce(providerLog, acked, 'provider (inway)');
      // A drain, not a crash: the completions were written too.
      const ack = new Set(acked.map((id) => id.toLowerCase()));
      for (const log of [consumerLog, providerLog]) {
        const completed = log.filter((r) => ack.has(r.transaction_id.toLowerCase())).map((r) => r.status);
        expect(completed.filter((s) => s !== 200)).toEqual([]);
      }
      // Whatever was logged without a 2xx reaching the client is not logged as a success.
      const unanswered = consumerLog.filter((r) => !ack.has(r.transaction_id.toLowerCase()));
      expect(unanswered.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300)).toEqual([]);
    });

    // Issue 10, "SIGTERM under load: no in-flight call lost, keep-alive clients told to close": the
    // answers in flight when the drain begins carry `Connection: close`, and a request that still
    // reaches a connection ended for the drain is dropped unhandled (no record, the client may retry).
    it('accepts no call it then cuts, and tells keep-alive clients to close', () => {
      const ack = new Set(acked.map((id) => id.toLowerCase()));
      // A record is written once a call is accepted: each record without a 2xx is an accepted call that was dropped.
      const acceptedThenCut = consumerLog
        .filter((r) => !ack.has(r.transaction_id.toLowerCase()))
        .map((r) => r.transaction_id);
      expect(acceptedThenCut).toEqual([]);
      // The answers to the calls in flight during the drain said so.
      expect(run.answers.filter((a) => a.connection === 'close').length).toBeGreaterThan(0);
    });
  });
});
