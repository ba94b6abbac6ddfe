// `koppel logs verify` and `koppel logs export` against a real SQLite transaction log written the way a
// running peer writes it (head signed with the peer key, peer/start-peer.ts), and then tampered with
// directly in the file, the way someone with disk access would.
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../certs/index.ts';
import { runCli } from '../../cli/dispatch.ts';
import type { CliIo } from '../../cli/io.ts';
import { certificateThumbprint, createUuidV7Generator } from '../../gateway/protocol/index.ts';
import { createJwsHeadSigner, createTxLog, type LogRecord, type TxLog } from '../../gateway/txlog/index.ts';

const OIN = '00000000000000000002';
const T0 = 1_750_000_000;
const uuid = createUuidV7Generator();
const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function koppel(args: string[], cwd: string): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => ((stdout += chunk), true) },
    stderr: { write: (chunk: string) => ((stderr += chunk), true) },
    readFile: (path) => readFile(path, 'utf8'),
    env: {},
    cwd,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function rec(i: number, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    transaction_id: uuid(),
    direction: 'DIRECTION_INCOMING',
    grant_hash: '$1$3$AAAAgrant',
    source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: '00000000000000000003' },
    destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN },
    service_name: 'basisregistratie',
    created_at: T0 + i * 60,
    ...overrides,
  };
}

/** A peer configuration file for `peer` (certificate and key paths) with `extra` settings. */
async function writePeerConfig(
  path: string,
  pki: TestPki,
  peer: { certPath: string; keyPath: string },
  extra: Record<string, unknown>,
): Promise<void> {
  await writeFile(
    path,
    JSON.stringify({
      groupId: 'fsc-test-group',
      peer: { trustAnchorPath: pki.caPath, certificatePath: peer.certPath, keyPath: peer.keyPath },
      manager: { publicAddress: 'https://localhost:8443' },
      ...extra,
    }),
  );
}

describe('koppel logs', () => {
  let pki: TestPki;
  let dir: string;
  let configPath: string;
  const ids: string[] = [];

  async function open(signerKey?: string): Promise<TxLog> {
    const peer = pki.peers[OIN]!;
    const signer = createJwsHeadSigner({ privateKey: createPrivateKey(signerKey ?? peer.keyPem), x5tS256: certificateThumbprint(peer.certPem) });
    return createTxLog({ kind: 'sqlite', dataDir: join(dir, 'data'), peerId: OIN, signer, headIntervalMs: 0 });
  }

  beforeAll(async () => {
    pki = await createTestPki({ groupId: 'fsc-test-group', peers: [{ oin: OIN, name: 'Provider Org' }] });
  });

  afterAll(async () => {
    await pki.remove();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-cli-logs-'));
    const peer = pki.peers[OIN]!;
    configPath = join(dir, 'peer.json');
    await writePeerConfig(configPath, pki, peer, { dataDir: join(dir, 'data') });
    ids.length = 0;
    const log = await open();
    for (let i = 0; i < 10; i++) {
      const r = rec(i, {
        additional_data: { process_id: i % 2 === 0 ? 'even' : 'odd', data_subject: i === 3 ? 'bsn=999993653, kenteken=AB-12-CD' : `bsn=10000000${i}` },
        ...(i === 4 ? { service_name: 'kadaster' } : {}),
      });
      await log.write(r);
      await log.writeCompletion({ transaction_id: r.transaction_id, direction: r.direction, status: i === 5 ? 502 : 200, duration_ms: 10 + i });
      ids.push(r.transaction_id);
      if (i === 4) await log.signHead();
    }
    await log.close(); // signs the head again at close
    return async () => {
      await rm(dir, { recursive: true, force: true });
    };
  });

  describe('verify', () => {
    it('verifies heads signed before a certificate renewal by the certificate they carry (x5c), without flags', async () => {
      // A fresh log: heads signed with the first certificate, then with a renewed one (same OIN).
      const data = join(dir, 'renewed');
      const first = pki.peers[OIN]!;
      const renewed = await pki.issue({ oin: OIN, name: 'Provider Org', label: `renewed-${Date.now()}` });
      const signerOf = (peer: typeof first, withChain: boolean) =>
        createJwsHeadSigner({
          privateKey: createPrivateKey(peer.keyPem),
          x5tS256: certificateThumbprint(peer.certPem),
          ...(withChain ? { x5c: [new X509Certificate(peer.certPem).raw.toString('base64')] } : {}),
        });
      const config = join(dir, 'renewed.json');
      await writePeerConfig(config, pki, renewed, { dataDir: data });
      const write = async (peer: typeof first, withChain: boolean, from: number): Promise<void> => {
        const log = await createTxLog({
          kind: 'sqlite',
          dataDir: data,
          peerId: OIN,
          signer: signerOf(peer, withChain),
          headIntervalMs: 0,
        });
        for (let i = from; i < from + 3; i++) await log.write(rec(i));
        await log.close(); // signs the head
      };
      await write(first, true, 0);
      await write(renewed, true, 3);
      const ok = await koppel(['logs', 'verify', '--config', config], repo);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/signed heads\s+2 \(signatures verified\)/);

      // A head from before x5c (no chain in it): the message says how to give the old certificate.
      await write(first, false, 6);
      const broken = await koppel(['logs', 'verify', '--config', config], repo);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain('--certificate OLD.pem');
      const withOld = await koppel(['logs', 'verify', '--config', config, '--certificate', first.certPath], repo);
      expect(withOld.stderr).toBe('');
      expect(withOld.code).toBe(0);
      expect(withOld.stdout).toMatch(/signed heads\s+3 \(signatures verified\)/);
    });

    it('says OK with the counts of entries and verified signed heads', async () => {
      const r = await koppel(['logs', 'verify', '--config', configPath], repo);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^OK transaction log of peer 00000000000000000002/);
      expect(r.stdout).toMatch(/entries checked\s+20 \(up to seq 20\)/);
      expect(r.stdout).toMatch(/signed heads\s+2 \(signatures verified\)/);
    });

    it('names the first broken link when a record was altered in the file (exit 1)', async () => {
      const db = new Database(join(dir, 'data', 'txlog.sqlite'));
      db.prepare(`UPDATE txlog_entries SET service_name = 'altered' WHERE peer_id = ? AND transaction_id = ? AND kind = 'record'`).run(OIN, ids[6]);
      db.close();
      const r = await koppel(['logs', 'verify', '--config', configPath], repo);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^BROKEN/);
      expect(r.stdout).toMatch(/first broken link seq 13\b/);
      expect(r.stdout).toContain(`transaction id    ${ids[6]}`);
      expect(r.stdout).toMatch(/what differs\s+hash-mismatch/);
      expect(r.stdout).toMatch(/verified before\s+12 entries, 1 signed head\b/);
    });

    it('finds a deleted record', async () => {
      const db = new Database(join(dir, 'data', 'txlog.sqlite'));
      db.prepare(`DELETE FROM txlog_entries WHERE peer_id = ? AND seq = 3`).run(OIN);
      db.close();
      const r = await koppel(['logs', 'verify', '--config', configPath], repo);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/missing-seq/);
      expect(r.stdout).toMatch(/first broken link seq 3\b/);
    });

    it('refuses a signed head that the peer key did not sign', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const { exportPKCS8 } = await import('jose');
      const log = await open(await exportPKCS8(privateKey));
      await log.write(rec(20));
      await log.close(); // signs a head with the wrong key
      const r = await koppel(['logs', 'verify', '--config', configPath], repo);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/head-signature-invalid/);
      expect(r.stdout).toMatch(/first broken link seq 21\b/);
    });

    it('verifies a time window only, and tells when it holds no records', async () => {
      const window = await koppel(['logs', 'verify', '--config', configPath, '--from', String(T0 + 2 * 60), '--to', new Date((T0 + 5 * 60) * 1000).toISOString()], repo);
      expect(window.code).toBe(0);
      // Records 2..5 are seq 5, 7, 9, 11: from seq 5 up to seq 11 = 7 entries.
      expect(window.stdout).toMatch(/entries checked\s+7 \(up to seq 11\)/);
      const empty = await koppel(['logs', 'verify', '--config', configPath, '--from', '2001-01-01', '--to', '2001-01-02'], repo);
      expect(empty.code).toBe(0);
      expect(empty.stdout).toContain('no records in the given period');
    });

    it('exits 2 on a time it cannot read, and 1 when there is no log', async () => {
      const bad = await koppel(['logs', 'verify', '--config', configPath, '--from', 'last tuesday'], repo);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--from');
      await rm(join(dir, 'data'), { recursive: true, force: true });
      const none = await koppel(['logs', 'verify', '--config', configPath], repo);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('no transaction log at');
    });
  });

  describe('export', () => {
    it('writes CSV to stdout: header, one row per record, RFC 4180 quoting', async () => {
      const r = await koppel(['logs', 'export', '--config', configPath, '--from', String(T0), '--to', String(T0 + 9 * 60), '--format', 'csv'], repo);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\r\n');
      expect(lines).toHaveLength(11);
      expect(lines[0]).toBe(
        'created_at,created_at_iso,transaction_id,direction,service_name,source_peer_id,source_delegator_peer_id,destination_peer_id,destination_delegator_peer_id,grant_hash,process_id,data_subject,status,duration_ms,error_code,trace_id,span_id,seq,hash',
      );
      expect(lines[4]).toContain(`${ids[3]},DIRECTION_INCOMING,basisregistratie,`);
      expect(lines[4]).toContain(',odd,"bsn=999993653, kenteken=AB-12-CD",200,13,');
      expect(lines[6]).toContain(',502,15,');
    });

    it('both ends of the period are included', async () => {
      const r = await koppel(['logs', 'export', '--config', configPath, '--from', String(T0 + 60), '--to', String(T0 + 120), '--format', 'jsonl'], repo);
      const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { transaction_id: string });
      expect(rows.map((x) => x.transaction_id)).toEqual([ids[1], ids[2]]);
    });

    it('filters by data subject and process id, as JSON Lines with the outcome and chain position', async () => {
      const bySubject = await koppel(
        ['logs', 'export', '--config', configPath, '--from', '2020-01-01', '--to', '2100-01-01', '--subject', 'BSN=999993653', '--format', 'jsonl'],
        repo,
      );
      expect(bySubject.code).toBe(0);
      const rows = bySubject.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows).toEqual([
        expect.objectContaining({ transaction_id: ids[3], status: 200, duration_ms: 13, seq: 7, additional_data: { process_id: 'odd', data_subject: 'bsn=999993653, kenteken=AB-12-CD' } }),
      ]);
      const byProcess = await koppel(['logs', 'export', '--config', configPath, '--from', '2020-01-01', '--to', '2100-01-01', '--process-id', 'even', '--format', 'jsonl'], repo);
      expect(byProcess.stdout.trim().split('\n')).toHaveLength(5);
    });

    it('writes a new file with mode 0600 and refuses to overwrite it without --force', async () => {
      const out = join(dir, 'export.csv');
      const args = ['logs', 'export', '--config', configPath, '--from', String(T0), '--to', String(T0 + 3600), '--format', 'csv', '--out', out];
      const first = await koppel(args, repo);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('10 records written');
      expect((await stat(out)).mode & 0o777).toBe(0o600);
      expect((await readFile(out, 'utf8')).split('\r\n')).toHaveLength(12);
      const again = await koppel(args, repo);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('exists');
      expect((await koppel([...args, '--force'], repo)).code).toBe(0);
    });

    it('refuses a wrong format, a reversed period or a malformed subject (exit 2)', async () => {
      const base = ['logs', 'export', '--config', configPath, '--from', String(T0), '--to', String(T0 + 60)];
      expect((await koppel([...base, '--format', 'xml'], repo)).code).toBe(2);
      expect((await koppel(['logs', 'export', '--config', configPath, '--from', String(T0 + 60), '--to', String(T0), '--format', 'csv'], repo)).code).toBe(2);
      expect((await koppel([...base, '--format', 'csv', '--subject', 'nobody'], repo)).code).toBe(2);
    });

    it('streams through the real command to a pipe', async () => {
      const { stdout } = await run(process.execPath, [join(repo, 'bin', 'koppel.js'), 'logs', 'export', '--config', configPath, '--from', String(T0), '--to', String(T0 + 3600), '--format', 'jsonl'], {
        cwd: repo,
      });
      expect(stdout.trim().split('\n')).toHaveLength(10);
    });
  });

  describe('with the log in Redis', () => {
    it('finds the log under the key prefix the running peer uses, and verifies it', async () => {
      const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
      const prefix = `koppel-test-cli-logs-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const peer = pki.peers[OIN]!;
      const redisConfig = join(dir, 'redis.json');
      await writePeerConfig(redisConfig, pki, peer, {
        dataDir: join(dir, 'data'),
        store: { kind: 'redis', redisUrl: url, keyPrefix: `${prefix}:` },
        txlog: { kind: 'redis' },
      });
      // As peer/start-peer.ts opens it: the config prefix without its trailing ':'.
      const signer = createJwsHeadSigner({ privateKey: createPrivateKey(peer.keyPem), x5tS256: certificateThumbprint(peer.certPem) });
      const log = await createTxLog({ kind: 'redis', url, groupId: 'fsc-test-group', keyPrefix: prefix, peerId: OIN, signer, headIntervalMs: 0 });
      for (let i = 0; i < 3; i++) await log.write(rec(i));
      await log.close();
      const admin = new Redis(url);
      try {
        const r = await koppel(['logs', 'verify', '--config', redisConfig], repo);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/entries checked\s+3 \(up to seq 3\)/);
        expect(r.stdout).toMatch(/signed heads\s+1 \(signatures verified\)/);
        const e = await koppel(['logs', 'export', '--config', redisConfig, '--from', String(T0), '--to', String(T0 + 3600), '--format', 'jsonl'], repo);
        expect(e.stdout.trim().split('\n')).toHaveLength(3);
      } finally {
        const keys = await admin.keys(`${prefix}:*`);
        if (keys.length > 0) await admin.del(...keys);
        await admin.quit();
      }
    });
  });
});
