import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFields,
  isLoopbackHost,
  loadConfig,
  renderConfigReference,
  resolveConfig,
  type ConfigIssue,
  type KoppelConfigInput,
} from '../../config/index.ts';

const repo = join(import.meta.dirname, '..', '..');

/** The smallest valid file: only the keys without a default. */
const minimal = {
  groupId: 'fsc-test',
  peer: { trustAnchorPath: 'pki/ca.pem', certificatePath: 'pki/peer.pem', keyPath: 'pki/peer.key.pem' },
  manager: { publicAddress: 'https://manager.example.nl:8443' },
} satisfies KoppelConfigInput;

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

const paths = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => i.path);

describe('config defaults', () => {
  it('fills every default from the schema', () => {
    const c = resolveConfig({ file: minimal });
    expect(c.hashScheme).toBe('jcs');
    expect(c.tls).toEqual({ minVersion: 'TLSv1.3' });
    expect(c.manager).toEqual({
      listen: { host: '127.0.0.1', port: 8443 },
      publicAddress: 'https://manager.example.nl:8443',
      mode: 'peer',
      tokenLifetimeSeconds: 300,
      maxBodyBytes: 1024 * 1024,
      inwayHealthIntervalMs: 5_000,
      inwayHealthTimeoutMs: 3_000,
    });
    // Issue 10 finding 6: by default the directory sees a dead inway within 10 s (a round plus a timeout).
    expect(c.manager.inwayHealthIntervalMs + c.manager.inwayHealthTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(c.admin.listen).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(c.inway).toEqual({ enabled: false, listen: { host: '127.0.0.1', port: 8444 }, services: [], workers: 1 });
    expect(c.outway).toEqual({ enabled: false, listen: { host: '127.0.0.1', port: 8080 }, workers: 1, maxCallsPerService: 32, maxQueuedCallsPerService: 256, maxQueueWaitMs: 10000, inwayFailuresToOpen: 5, inwayOpenMs: 5000 });
    expect(c.timeouts).toEqual({ connectMs: 5000, headersMs: 30000, bodyIdleMs: 30000 });
    expect(c.listeners).toEqual({
      handshakeTimeoutMs: 10000,
      headersTimeoutMs: 20000,
      requestTimeoutMs: 120000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 4096,
      maxHeadersCount: 100,
      maxHeaderBytes: 16384,
      maxRequestTargetBytes: 8192,
      maxRequestBodyBytes: 134217728,
    });
    expect(c.dataDir).toBe('./data');
    expect(c.store).toEqual({ kind: 'sqlite', keyPrefix: 'koppel:' });
    expect(c.txlog).toEqual({ kind: 'sqlite', redisAcceptLoss: false, headSignIntervalMs: 60000 });
    expect(c.log).toEqual({ level: 'info' });
  });

  it('derives admin.tokenPath from dataDir unless it is given', () => {
    expect(resolveConfig({ file: { ...minimal, dataDir: '/var/lib/koppel' } }).admin.tokenPath).toBe(
      '/var/lib/koppel/admin-token',
    );
    expect(resolveConfig({ file: { ...minimal, admin: { tokenPath: '/run/secrets/admin' } } }).admin.tokenPath).toBe(
      '/run/secrets/admin',
    );
  });

  it('reports the keys that have no default when they are missing', () => {
    const issues = issuesOf(() => resolveConfig({ file: {} }));
    expect(paths(issues).sort()).toEqual(['groupId', 'manager', 'peer']);
    expect(issues.every((i) => i.message === 'required')).toBe(true);
  });
});

describe('config precedence: defaults < file < env', () => {
  it('takes file values over defaults', () => {
    const c = resolveConfig({
      file: { ...minimal, manager: { ...minimal.manager, listen: { port: 9443 } }, hashScheme: 'fsc-1.1' },
    });
    expect(c.manager.listen).toEqual({ host: '127.0.0.1', port: 9443 });
    expect(c.hashScheme).toBe('fsc-1.1');
  });

  it('takes environment values over file values, leaf by leaf', () => {
    const c = resolveConfig({
      file: { ...minimal, manager: { ...minimal.manager, listen: { host: '127.0.0.1', port: 9443 } } },
      env: { KOPPEL_GROUP_ID: 'from-env', KOPPEL_MANAGER_LISTEN_PORT: '10443' },
    });
    expect(c.groupId).toBe('from-env');
    expect(c.manager.listen).toEqual({ host: '127.0.0.1', port: 10443 });
    expect(c.manager.publicAddress).toBe('https://manager.example.nl:8443');
  });

  it('can be configured from the environment alone', () => {
    const c = resolveConfig({
      env: {
        KOPPEL_GROUP_ID: 'env-only',
        KOPPEL_PEER_TRUST_ANCHOR_PATH: 'ca.pem',
        KOPPEL_PEER_CERTIFICATE_PATH: 'peer.pem',
        KOPPEL_PEER_KEY_PATH: 'peer.key.pem',
        KOPPEL_MANAGER_PUBLIC_ADDRESS: 'https://m.example.nl:8443',
        KOPPEL_OUTWAY_TLS_CERTIFICATE_PATH: 'apps.pem',
        KOPPEL_OUTWAY_TLS_KEY_PATH: 'apps.key.pem',
      },
    });
    expect(c.groupId).toBe('env-only');
    expect(c.outway.tls).toEqual({ certificatePath: 'apps.pem', keyPath: 'apps.key.pem' });
  });

  it('coerces numbers, booleans and JSON lists from environment text', () => {
    const c = resolveConfig({
      file: minimal,
      env: {
        KOPPEL_TIMEOUTS_CONNECT_MS: '250',
        KOPPEL_INWAY_ENABLED: 'true',
        KOPPEL_INWAY_PUBLIC_ADDRESS: 'https://inway.example.nl:443',
        KOPPEL_OUTWAY_ENABLED: '0',
        KOPPEL_INWAY_SERVICES: '[{"name":"brp","endpointUrl":"http://127.0.0.1:9000"}]',
        KOPPEL_TXLOG_RETENTION_DAYS: '30',
      },
    });
    expect(c.timeouts.connectMs).toBe(250);
    expect(c.inway.enabled).toBe(true);
    expect(c.outway.enabled).toBe(false);
    expect(c.inway.services).toEqual([
      { name: 'brp', endpointUrl: 'http://127.0.0.1:9000', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
    ]);
    expect(c.txlog.retentionDays).toBe(30);
  });

  it('treats an empty variable as unset', () => {
    const c = resolveConfig({ file: minimal, env: { KOPPEL_MANAGER_LISTEN_PORT: '', KOPPEL_LOG_LEVEL: '' } });
    expect(c.manager.listen.port).toBe(8443);
    expect(c.log.level).toBe('info');
  });

  it('names the variable when an environment value is wrong', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        file: minimal,
        env: {
          KOPPEL_MANAGER_LISTEN_PORT: 'eighty',
          KOPPEL_INWAY_ENABLED: 'perhaps',
          KOPPEL_INWAY_SERVICES: '[{',
          KOPPEL_ADMIN_LISTEN_PORT: '70000',
        },
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'manager.listen.port', message: '"eighty" is not a number (from KOPPEL_MANAGER_LISTEN_PORT)' },
        { path: 'inway.enabled', message: '"perhaps" is not a boolean (true or false) (from KOPPEL_INWAY_ENABLED)' },
        { path: 'inway.services', message: 'is not valid JSON (from KOPPEL_INWAY_SERVICES)' },
      ]),
    );
    const port = issues.find((i) => i.path === 'admin.listen.port');
    expect(port?.message).toMatch(/65535.*\(from KOPPEL_ADMIN_LISTEN_PORT\)$/);
  });
});

describe('config strictness', () => {
  it('rejects unknown keys at every level, one issue per key, with a suggestion', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        file: {
          ...minimal,
          groupid: 'x',
          manager: { ...minimal.manager, listne: {}, listen: { prot: 1 } },
          inway: { services: [{ name: 'a', endpointUrl: 'http://a', extra: true }] },
        },
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'groupid', message: 'unknown key (did you mean "groupId"?)' },
        { path: 'manager.listne', message: 'unknown key (did you mean "listen"?)' },
        { path: 'manager.listen.prot', message: 'unknown key (did you mean "port"?)' },
        { path: 'inway.services[0].extra', message: 'unknown key' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('rejects unknown KOPPEL_ variables under a section prefix, leaves other KOPPEL_ names alone', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        file: minimal,
        env: { KOPPEL_MANAGER_LISTEN_PROT: '1', KOPPEL_CONFIG: 'peer.json', PATH: '/bin' },
      }),
    );
    expect(issues).toEqual([
      {
        path: '',
        message:
          'KOPPEL_MANAGER_LISTEN_PROT is not a configuration variable (did you mean KOPPEL_MANAGER_LISTEN_PORT?)',
      },
    ]);
  });

  it('reports every problem at once', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        file: {
          groupId: 'not a group id!',
          peer: { trustAnchorPath: '', certificatePath: 'c.pem' },
          hashScheme: 'sha1',
          tls: { minVersion: 'TLSv1.1' },
          manager: { publicAddress: 'http://manager.example.nl', tokenLifetimeSeconds: 0 },
          admin: { listen: { host: '0.0.0.0' } },
          inway: { enabled: true, services: [{ name: 'a b', endpointUrl: 'ftp://x' }] },
          store: { kind: 'redis' },
          log: { level: 'loud' },
          bogus: 1,
        },
        env: { KOPPEL_TIMEOUTS_HEADERS_MS: 'soon' },
      }),
    );
    expect(new Set(paths(issues))).toEqual(
      new Set([
        'groupId',
        'peer.trustAnchorPath',
        'peer.keyPath',
        'hashScheme',
        'tls.minVersion',
        'manager.publicAddress',
        'manager.tokenLifetimeSeconds',
        'admin.listen.host',
        'inway.services[0].name',
        'inway.services[0].endpointUrl',
        'inway.publicAddress',
        'store.redisUrl',
        'log.level',
        'bogus',
        'timeouts.headersMs',
      ]),
    );
    const error = (() => {
      try {
        resolveConfig({ file: { bogus: 1 }, source: 'peer.json' });
      } catch (err) {
        return err as ConfigError;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^invalid configuration in peer.json \(4 problems\)\n {2}groupId: required/);
  });

  it('requires https with an explicit port and nothing else for public addresses', () => {
    const check = (publicAddress: string): string[] =>
      (() => {
        try {
          resolveConfig({ file: { ...minimal, manager: { publicAddress } } });
          return [];
        } catch (err) {
          return (err as ConfigError).issues.map((i) => i.message);
        }
      })();
    expect(check('https://manager.example.nl:8443')).toEqual([]);
    expect(check('https://manager.example.nl:443')).toEqual([]);
    expect(check('https://[::1]:8443')).toEqual([]);
    expect(check('https://manager.example.nl')[0]).toMatch(/explicit port/);
    expect(check('http://manager.example.nl:80')).toEqual(['must use https://']);
    expect(check('https://manager.example.nl:8443/v1')[0]).toMatch(/explicit port only/);
    expect(check('manager.example.nl:8443')[0]).toMatch(/https/);
  });

  it('reports cross-field rules: redis url, duplicate services, clashing ports', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        file: {
          ...minimal,
          txlog: { kind: 'redis' },
          inway: {
            enabled: true,
            publicAddress: 'https://inway.example.nl:443',
            listen: { port: 8443 },
            services: [
              { name: 'brp', endpointUrl: 'http://127.0.0.1:1' },
              { name: 'brp', endpointUrl: 'http://127.0.0.1:2' },
            ],
          },
          outway: { enabled: true, listen: { host: '0.0.0.0', port: 8081 } },
        },
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'store.redisUrl', message: 'required when txlog.kind is "redis"' },
        { path: 'inway.services[1].name', message: 'service "brp" is listed twice' },
        { path: 'inway.listen.port', message: 'port 8443 is also used by manager.listen' },
        { path: 'outway.listen.port', message: 'port 8081 is also used by admin.listen' },
      ]),
    );
    expect(issues).toHaveLength(4);
    // Port 0 (pick a free port) never clashes, and a disabled outway does not listen.
    expect(() =>
      resolveConfig({
        file: {
          ...minimal,
          manager: { ...minimal.manager, listen: { port: 0 } },
          admin: { listen: { port: 0 } },
          outway: { listen: { port: 8443 } },
        },
      }),
    ).not.toThrow();
  });
});

describe('admin API binds to loopback only', () => {
  it.each(['127.0.0.1', '127.0.0.53', '::1', 'localhost'])('accepts %s', (host) => {
    expect(resolveConfig({ file: { ...minimal, admin: { listen: { host } } } }).admin.listen.host).toBe(host);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'admin.example.nl'])('rejects %s', (host) => {
    const issues = issuesOf(() => resolveConfig({ file: { ...minimal, admin: { listen: { host } } } }));
    expect(issues).toEqual([{ path: 'admin.listen.host', message: expect.stringMatching(/loopback/) as unknown }]);
  });

  it('isLoopbackHost', () => {
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});

describe('loadConfig reads a JSON file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file and applies the environment on top', async () => {
    const path = join(dir, 'peer.json');
    await writeFile(path, JSON.stringify(minimal));
    const c = await loadConfig({ path, env: { KOPPEL_LOG_LEVEL: 'debug' } });
    expect(c.groupId).toBe('fsc-test');
    expect(c.log.level).toBe('debug');
  });

  it('reports a missing file, malformed JSON and a non-object as ConfigErrors', async () => {
    await expect(loadConfig({ path: join(dir, 'absent.json') })).rejects.toMatchObject({
      issues: [{ path: '', message: expect.stringMatching(/cannot read .*absent\.json: no such file/) as unknown }],
    });
    await writeFile(join(dir, 'broken.json'), '{"groupId": ');
    await expect(loadConfig({ path: join(dir, 'broken.json') })).rejects.toMatchObject({
      issues: [{ path: '', message: expect.stringMatching(/broken\.json is not valid JSON/) as unknown }],
    });
    await writeFile(join(dir, 'list.json'), '[]');
    await expect(loadConfig({ path: join(dir, 'list.json') })).rejects.toBeInstanceOf(ConfigError);
  });

  it('resolves relative paths in a file against its folder, whatever the working directory', async () => {
    const folder = join(dir, 'etc', 'koppel');
    await mkdir(folder, { recursive: true });
    const path = join(folder, 'peer.json');
    await writeFile(
      path,
      JSON.stringify({
        ...minimal,
        peer: { ...minimal.peer, keyPath: '/srv/keys/peer.key.pem' },
        outway: { tls: { certificatePath: './apps.pem', keyPath: '../apps.key.pem' } },
      }),
    );
    const c = await loadConfig({ path: join(dir, 'etc', '.', 'koppel', 'peer.json') });
    expect(c.peer.trustAnchorPath).toBe(join(folder, 'pki', 'ca.pem'));
    expect(c.peer.certificatePath).toBe(join(folder, 'pki', 'peer.pem'));
    expect(c.peer.keyPath).toBe('/srv/keys/peer.key.pem');
    expect(c.outway.tls).toEqual({ certificatePath: join(folder, 'apps.pem'), keyPath: join(dir, 'etc', 'apps.key.pem') });
    // the default data folder too, and what derives from it
    expect(c.dataDir).toBe(join(folder, 'data'));
    expect(c.admin.tokenPath).toBe(join(folder, 'data', 'admin-token'));
    // a path given by environment variable stays relative to the working directory
    const fromEnv = await loadConfig({ path, env: { KOPPEL_DATA_DIR: 'var/koppel', KOPPEL_PEER_CERTIFICATE_PATH: 'x.pem' } });
    expect(fromEnv.dataDir).toBe('var/koppel');
    expect(fromEnv.peer.certificatePath).toBe('x.pem');
  });

  it('config/example.json is valid', async () => {
    const c = await loadConfig({ path: join(repo, 'config', 'example.json') });
    expect(c.inway.enabled).toBe(true);
    expect(c.inway.services[0]?.name).toBe('basisregistratie-personen');
  });
});

describe('configuration reference', () => {
  it('gives every field a description and its own environment variable', () => {
    const fields = configFields();
    expect(fields.length).toBeGreaterThan(30);
    for (const f of fields) {
      expect(f.description, f.key).not.toBe('');
      expect(f.envVar, f.key).toMatch(/^KOPPEL_[A-Z0-9_]+$/);
    }
    expect(new Set(fields.map((f) => f.envVar)).size).toBe(fields.length);
    expect(fields.find((f) => f.key === 'manager.tokenLifetimeSeconds')?.envVar).toBe(
      'KOPPEL_MANAGER_TOKEN_LIFETIME_SECONDS',
    );
  });

  it('lists every field, its default and its variable', () => {
    const md = renderConfigReference();
    for (const f of configFields()) expect(md).toContain(`| \`${f.key}\` |`);
    expect(md).toContain('| `manager.listen.port` | integer 0–65535 | `8443` | `KOPPEL_MANAGER_LISTEN_PORT` |');
    expect(md).toContain('| `groupId` | string | **required** | `KOPPEL_GROUP_ID` |');
    expect(md).toContain('`inway.services[].endpointUrl`');
  });

  it('docs/configuration.md is the generated reference (regenerate: koppel config docs --out docs/configuration.md)', async () => {
    // Compared through Prettier, so the file may be committed as generated or as `npm run format` left it.
    const options = { ...(await prettier.resolveConfig(join(repo, 'docs', 'configuration.md'))), parser: 'markdown' };
    const committed = await readFile(join(repo, 'docs', 'configuration.md'), 'utf8');
    expect(await prettier.format(committed, options)).toBe(await prettier.format(renderConfigReference(), options));
  });
});
