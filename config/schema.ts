// The one configuration schema of a Koppel peer. Every field carries its type, its default (units in
// the name: `Ms`, `Seconds`, `Bytes`, `Days`) and a description; the environment variable of a field
// is derived from its path (see env.ts), and docs/configuration.md is rendered from this file.
//
// Objects are strict at every level: an unknown key is a mistake (a typo silently ignored is a
// setting silently not applied). Sections default to `{}` through `prefault`, so their inner
// defaults apply when a section is left out.
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';

/** fsc-core: a group id matches `^[a-zA-Z0-9./_-]{1,100}$`. */
const GROUP_ID_RE = /^[a-zA-Z0-9./_-]{1,100}$/;
/** fsc-core: a service name matches `^[a-zA-Z0-9-._]{1,100}$`. */
const SERVICE_NAME_RE = /^[a-zA-Z0-9._-]{1,100}$/;
/** fsc-core: a peer id is 3–255 characters (in Dutch groups the 20-digit OIN). */
const PEER_ID_RE = /^\S{3,255}$/;

/**
 * A file or folder path. In a configuration file, a relative one is relative to the file's folder
 * (config/load.ts); given by environment, to the working directory.
 */
const filePath = () => z.string().trim().min(1, 'must be a file path').meta({ filePath: true });

const port = () => z.number().int('must be a whole number').min(0).max(65535);

/** A listen host; the admin API additionally requires loopback. */
const host = () => z.string().trim().min(1, 'must be a host name or IP address');

/** True for an address that only this machine can reach. */
export function isLoopbackHost(value: string): boolean {
  const h = value.trim().toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * An `https://host:port` address as FSC exchanges it (`Fsc-Manager-Address`, the inway address in
 * publications and token `aud`): scheme https, an explicit port, nothing after the authority.
 */
const publicAddress = () =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute URL like https://peer.example.nl:8443' });
        return;
      }
      if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use https://' });
      // `new URL` drops a default port (443), so look at the text itself.
      if (!/^https?:\/\/(\[[^\]]+\]|[^/:?#@]+):\d+$/i.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be scheme, host and explicit port only, like https://peer.example.nl:443',
        });
      }
    });

const httpUrl = () =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      try {
        const url = new URL(value);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          ctx.addIssue({ code: 'custom', message: 'must use http:// or https://' });
        }
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      }
    });

function listenSchema(what: string, defaults: { host: string; port: number }, hostHint = '') {
  return z
    .strictObject({
      host: host().default(defaults.host).describe(`Interface the ${what} binds to.${hostHint}`),
      port: port().default(defaults.port).describe(`TCP port the ${what} listens on; 0 picks a free port (tests).`),
    })
    .prefault({});
}

const peerSchema = z
  .strictObject({
    trustAnchorPath: filePath().describe(
      'PEM file with the group trust anchor (the CA certificate or certificates every peer certificate must chain to).',
    ),
    certificatePath: filePath().describe(
      "PEM file with this peer's certificate, leaf first, followed by any intermediate certificates. Subject `serialNumber` is the peer id (OIN).",
    ),
    keyPath: filePath().describe('PEM file (PKCS#8) with the private key of the peer certificate. Keep it mode 0600.'),
    name: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .describe('Display name of this peer. Omitted: the Subject `O` of the peer certificate.'),
  })
  .describe('Identity of this peer: its certificate, key and the group trust anchor.');

const tlsSchema = z
  .strictObject({
    minVersion: z
      .enum(['TLSv1.3', 'TLSv1.2'])
      .default('TLSv1.3')
      .describe(
        'Lowest TLS version accepted and offered on every FSC connection; `TLSv1.2` only if the group allows it.',
      ),
  })
  .prefault({})
  .describe('TLS settings for connections between peers (manager, inway, outway → inway).');

const managerSchema = z
  .strictObject({
    listen: listenSchema('manager (FSC Manager API, mTLS)', { host: '127.0.0.1', port: 8443 }).describe(
      'Where the manager accepts mTLS connections from other peers. FSC uses port 8443 for managers.',
    ),
    publicAddress: publicAddress().describe(
      'Address other peers use to reach this manager, sent as `Fsc-Manager-Address`, e.g. `https://manager.example.nl:8443`.',
    ),
    mode: z
      .enum(['peer', 'directory'])
      .default('peer')
      .describe(
        '`directory` makes this manager the group directory: it co-signs service publications and lists services and peers.',
      ),
    directoryAddress: publicAddress()
      .optional()
      .describe(
        'Manager address of the group directory, e.g. `https://directory.example.nl:8443`. Not needed in `directory` mode.',
      ),
    directoryPeerId: z
      .string()
      .regex(PEER_ID_RE, 'must be a peer id (3–255 characters, no spaces)')
      .optional()
      .describe(
        "Peer id (OIN) of the group directory. Omitted: taken from the directory's certificate on first contact.",
      ),
    inwayHealthIntervalMs: z
      .number()
      .int()
      .min(500)
      .max(3_600_000)
      .default(5_000)
      .describe(
        'Directory mode: time between two health probes of each listed inway. With the probe timeout, a dead inway shows as down within 10 s by default.',
      ),
    inwayHealthTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(3_000)
      .describe('Directory mode: connect, TLS handshake and answer of one inway health probe.'),
    tokenLifetimeSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(300)
      .describe('Lifetime of the access tokens this manager issues.'),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024)
      .describe('Largest request body the Manager API accepts; larger requests are refused.'),
  })
  .describe('The control plane: contracts, signatures, access tokens, peers (FSC Manager API).');

const adminSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: host()
          .default('127.0.0.1')
          .refine(
            isLoopbackHost,
            'must be a loopback address (127.x.x.x, ::1 or localhost): the admin API is not for the network',
          )
          .describe('Interface the admin API binds to. Must be loopback.'),
        port: port().default(8081).describe('TCP port of the admin API; 0 picks a free port (tests).'),
      })
      .prefault({})
      .describe('Where the admin API and console listen (this machine only).'),
    tokenPath: filePath()
      .optional()
      .describe('File holding the bearer token of the admin API. Omitted: `<dataDir>/admin-token`.'),
  })
  .prefault({})
  .describe('The local admin API (used by the `koppel` commands) and the operator console.');

const inwayServiceSchema = z.strictObject({
  name: z
    .string()
    .regex(SERVICE_NAME_RE, 'must be 1–100 letters, digits, dots, dashes or underscores')
    .describe('Service name as published in the directory.'),
  endpointUrl: httpUrl().describe(
    'Where the inway forwards requests for this service, e.g. `http://127.0.0.1:9000/api`.',
  ),
  protocol: z
    .enum(['PROTOCOL_TCP_HTTP_1.1', 'PROTOCOL_TCP_HTTP_2'])
    .default('PROTOCOL_TCP_HTTP_1.1')
    .describe('Protocol announced in the service publication.'),
});

/** `inway.workers` / `outway.workers`: hop processes sharing the listener (peer/workers.ts). */
function hopWorkers(role: 'inway' | 'outway') {
  const Role = role === 'inway' ? 'Inway' : 'Outway';
  return z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe(
      `${Role} processes sharing the listener (\`koppel peer|${role}\`), for a machine with cores to spare: the workers relay their log records to one writer, so the log stays one chain with one group commit. Measured on 2 cores with the load generator beside it, 2 workers were slower than 1 (docs/performance.md).`,
    );
}

const inwaySchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Run the inway (provider side) in this process.'),
    listen: listenSchema('inway (mTLS from outways)', { host: '127.0.0.1', port: 8444 }).describe(
      'Where the inway accepts mTLS connections. FSC uses 443 publicly; map it to this port.',
    ),
    publicAddress: publicAddress()
      .optional()
      .describe(
        'Address outways use to reach this inway (token `aud`), e.g. `https://inway.example.nl:443`. Required when the inway is enabled.',
      ),
    services: z
      .array(inwayServiceSchema)
      .default([])
      .describe(
        'Services this inway offers, each `{name, endpointUrl, protocol}`. More can be added through the admin API.',
      ),
    workers: hopWorkers('inway'),
  })
  .prefault({})
  .describe("The provider's reverse proxy: mTLS in from outways, plain HTTP(S) to the service.");

const outwaySchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Run the outway (consumer side) in this process.'),
    listen: listenSchema('outway (requests from applications)', { host: '127.0.0.1', port: 8080 }).describe(
      'Where applications send their requests.',
    ),
    tls: z
      .strictObject({
        certificatePath: filePath().describe('PEM certificate the outway presents to applications.'),
        keyPath: filePath().describe('PEM (PKCS#8) private key of that certificate.'),
      })
      .optional()
      .describe('Serve HTTPS instead of plain HTTP to applications. Omitted: plain HTTP.'),
    workers: hopWorkers('outway'),
    maxCallsPerService: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(32)
      .describe(
        'Calls in flight to one service; more wait in a queue. Half the pooled connections to an inway (64), so one slow service cannot starve the other services behind the same inway.',
      ),
    maxQueuedCallsPerService: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(256)
      .describe('Calls waiting for a place per service; more are refused at once with 503 ERROR_CODE_SERVICE_UNAVAILABLE.'),
    maxQueueWaitMs: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe('Longest a call waits in that queue before it is refused with 503.'),
    inwayFailuresToOpen: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(5)
      .describe(
        "Failures in a row to reach one inway (refused, reset, TLS, connect timeout — not a slow service behind it) after which calls to it are refused at once with 502 ERROR_CODE_INWAY_UNREACHABLE instead of each waiting for the failure (the inway's circuit opens). Each failure also drops the cached token, so a provider that moved its service is found again.",
      ),
    inwayOpenMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5_000)
      .describe(
        'How long an open circuit refuses calls before one trial call goes to the inway: an answer closes it, a failure opens it again for twice as long, up to a minute (or this, if longer).',
      ),
  })
  .prefault({})
  .describe("The consumer's forward proxy: HTTP in from applications, mTLS out to inways.");

const timeoutsSchema = z
  .strictObject({
    connectMs: z
      .number()
      .int()
      .min(1)
      .default(5_000)
      .describe('Time to establish a TCP + TLS connection to another peer or a service.'),
    headersMs: z
      .number()
      .int()
      .min(1)
      .default(30_000)
      .describe(
        'Time a peer or service may take to send response headers. The outway waits a quarter (at least a second) longer for an inway, so that an inway with the same setting answers a slow service with its own SERVICE_TIMEOUT first.',
      ),
    bodyIdleMs: z
      .number()
      .int()
      .min(1)
      .default(30_000)
      .describe('Longest pause allowed between two chunks of a request or response body (the outway: a quarter longer, as above).'),
  })
  .prefault({})
  .describe('Timeouts for outgoing connections (outway → inway, inway → service, manager → manager).');

const listenersSchema = z
  .strictObject({
    handshakeTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe(
        "TLS listeners (manager, inway, outway with `outway.tls`): time from TCP accept to a completed handshake. A TLS 1.3 handshake is one round trip; 10 s leaves room for a slow link, yet an idle connection that never starts one holds its slot for a twelfth of Node's 120 s.",
      ),
    headersTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(20_000)
      .describe(
        'Time a client may take to send a complete request head. For the first request it counts from the accept (after the handshake with TLS), so a connection that never sends a request is closed after it too.',
      ),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(120_000)
      .describe('Time a client may take to send a whole request, head and body. At least `headersTimeoutMs`.'),
    keepAliveTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(5_000)
      .describe(
        "How long an idle keep-alive connection stays open between requests. Longer than undici's client default (4 s), so the client closes first and no request races a server-side close.",
      ),
    maxConnections: z
      .number()
      .int()
      .min(1)
      .default(4_096)
      .describe(
        'Open connections per listener and process, including those still in the TLS handshake; more are closed at accept. An idle TLS connection cost about 50 KB in the flood that led to this limit (20 000 connections, 1 GB), so 4 096 bound one listener to some 200 MB and the four listeners of a peer to 16 384 file descriptors, while legitimate traffic stays far below it (an outway keeps one connection per concurrent call). Raise it together with the file-descriptor limit (`ulimit -n`).',
      ),
    maxHeadersCount: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe(
        "Header fields in one request; more are refused with 431 before any handler (Node would silently keep only the first ones). 100 is Apache httpd's `LimitRequestFields`.",
      ),
    maxHeaderBytes: z
      .number()
      .int()
      .min(1)
      .default(16_384)
      .describe(
        "Bytes of the request line and header fields (Node's `maxHeaderSize`, its default); more are refused with 431.",
      ),
    maxRequestTargetBytes: z
      .number()
      .int()
      .min(1)
      .default(8_192)
      .describe(
        'Bytes of the request target (path and query); longer ones are refused with 414. RFC 9112 §3 asks for at least 8 000.',
      ),
    maxRequestBodyBytes: z
      .number()
      .int()
      .min(1)
      .default(134_217_728)
      .describe(
        'Bytes of a request body. Declared with Content-Length, a larger one is refused with 413 before any token work; sent chunked, it is counted as it streams to the next hop, which is cut off once the count passes this, and the client gets 413 (Connection: close). 128 MiB by default: proxied bodies stream, so this bounds what one call may send, not memory.',
      ),
  })
  .prefault({})
  .describe(
    'Limits of every listener (manager, admin, inway, outway), each on its own: against clients that hold connections without authenticating, and framing the gateway cannot pass on faithfully. Refusals are FSC errors (408, 414, 431, 501) given before any handler runs; a `Transfer-Encoding` other than `chunked` is refused with 501.',
  );

const storeSchema = z
  .strictObject({
    kind: z
      .enum(['sqlite', 'redis'])
      .default('sqlite')
      .describe('`sqlite`: embedded, in `dataDir`. `redis`: shared between replicas of this peer.'),
    redisUrl: z
      .string()
      .trim()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional()
      .describe(
        'Redis to use, e.g. `redis://127.0.0.1:6379` (`rediss://` for TLS). Required when `store.kind` or `txlog.kind` is `redis`. Put no password here: use `redisPasswordPath`.',
      ),
    redisPasswordPath: filePath()
      .optional()
      .describe('File holding the Redis password (AUTH), so the secret stays out of the URL and the environment.'),
    keyPrefix: z
      .string()
      .min(1)
      .max(200)
      .default('koppel:')
      .describe('Prefix of every Redis key this peer writes; give each peer its own when several share one Redis.'),
  })
  .prefault({})
  .describe('Where contracts, peers, tokens and caches are kept.');

const txlogSchema = z
  .strictObject({
    kind: z
      .enum(['sqlite', 'redis'])
      .default('sqlite')
      .describe('`sqlite`: embedded, in `dataDir`. `redis`: the Redis of `store.redisUrl`, with `store.keyPrefix`.'),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Delete records older than this. Omitted: keep every record.'),
    redisAcceptLoss: z
      .boolean()
      .default(false)
      .describe(
        'Run with txlog.kind "redis" even when that Redis does not put every write on disk before it answers (appendonly yes, appendfsync always): acknowledged records can then be lost in a crash. Off: the peer refuses to start on such a Redis. Meant for development only; a warning is logged at every start.',
      ),
    headSignIntervalMs: z
      .number()
      .int()
      .min(1_000)
      .default(60_000)
      .describe('How often the head of the record chain is signed with the peer key (tamper evidence).'),
  })
  .prefault({})
  .describe('The transaction log (fsc-logging): one record per request, written before the request is forwarded.');

const logSchema = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Lowest level written to the log (pino levels).'),
  })
  .prefault({})
  .describe('Process log output (JSON lines on stdout).');

/** The shape of a Koppel peer configuration, before cross-field rules. */
export const koppelConfigShape = z.strictObject({
  groupId: z
    .string()
    .regex(GROUP_ID_RE, 'must be 1–100 letters, digits, dots, slashes, dashes or underscores')
    .describe('Id of the FSC group (federation) this peer belongs to, e.g. `fsc-demo`. Every contract carries it.'),
  peer: peerSchema,
  hashScheme: z
    .enum(['jcs', 'fsc-1.1'])
    .default('jcs')
    .describe(
      'How contract and grant hashes are computed: `jcs` (current draft) or `fsc-1.1` (published 1.1). The whole group must agree.',
    ),
  tls: tlsSchema,
  manager: managerSchema,
  admin: adminSchema,
  inway: inwaySchema,
  outway: outwaySchema,
  timeouts: timeoutsSchema,
  listeners: listenersSchema,
  dataDir: filePath()
    .default('./data')
    .describe(
      'Directory for the SQLite databases and generated files. Like every path in a configuration file, a relative one (and this default) is relative to the folder of that file; given by environment variable, to the working directory.',
    ),
  store: storeSchema,
  txlog: txlogSchema,
  log: logSchema,
});

type ShapeOutput = z.output<typeof koppelConfigShape>;

interface Listener {
  name: string;
  host: string;
  port: number;
}

// Rules that span fields. They run even when other fields are invalid (`when`), so one check
// reports every problem; hence the defensive reads of a value that may be partly wrong.
function crossFieldRules(c: ShapeOutput, ctx: z.RefinementCtx<ShapeOutput>): void {
  const inway = c.inway as Partial<ShapeOutput['inway']> | undefined;
  if (inway?.enabled === true && inway.publicAddress === undefined) {
    ctx.addIssue({ code: 'custom', path: ['inway', 'publicAddress'], message: 'required when inway.enabled is true' });
  }
  const store = c.store as Partial<ShapeOutput['store']> | undefined;
  const txlog = c.txlog as Partial<ShapeOutput['txlog']> | undefined;
  if (store?.redisUrl === undefined) {
    if (store?.kind === 'redis') {
      ctx.addIssue({ code: 'custom', path: ['store', 'redisUrl'], message: 'required when store.kind is "redis"' });
    } else if (txlog?.kind === 'redis') {
      ctx.addIssue({ code: 'custom', path: ['store', 'redisUrl'], message: 'required when txlog.kind is "redis"' });
    }
  }
  if (Array.isArray(inway?.services)) {
    const seen = new Set<string>();
    inway.services.forEach((service: unknown, i) => {
      const name = (service as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['inway', 'services', i, 'name'],
          message: `service "${name}" is listed twice`,
        });
      }
      seen.add(name);
    });
  }
  const listenerLimits = c.listeners as Partial<ShapeOutput['listeners']> | undefined;
  if (
    typeof listenerLimits?.headersTimeoutMs === 'number' &&
    typeof listenerLimits.requestTimeoutMs === 'number' &&
    listenerLimits.headersTimeoutMs > listenerLimits.requestTimeoutMs
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['listeners', 'headersTimeoutMs'],
      message: 'must not exceed listeners.requestTimeoutMs',
    });
  }
  // Two listeners on one host:port would fail at start with EADDRINUSE; say so now.
  const listeners: Listener[] = [];
  const add = (name: string, listen: unknown, enabled = true): void => {
    const l = listen as Partial<Listener> | undefined;
    if (enabled && typeof l?.host === 'string' && typeof l.port === 'number' && l.port !== 0) {
      listeners.push({ name, host: l.host, port: l.port });
    }
  };
  add('manager', (c.manager as Partial<ShapeOutput['manager']> | undefined)?.listen);
  add('admin', (c.admin as Partial<ShapeOutput['admin']> | undefined)?.listen);
  add('inway', inway?.listen, inway?.enabled === true);
  add('outway', (c.outway as Partial<ShapeOutput['outway']> | undefined)?.listen, c.outway?.enabled === true);
  for (const [i, a] of listeners.entries()) {
    const clash = listeners
      .slice(0, i)
      .find((b) => b.port === a.port && (b.host === a.host || isWildcard(a.host) || isWildcard(b.host)));
    if (clash) {
      ctx.addIssue({
        code: 'custom',
        path: [a.name, 'listen', 'port'],
        message: `port ${a.port} is also used by ${clash.name}.listen`,
      });
    }
  }
}

function isWildcard(h: string): boolean {
  return h === '0.0.0.0' || h === '::' || h === '[::]';
}

/**
 * The configuration of one Koppel peer: the strict shape, cross-field rules, and derived defaults
 * (`admin.tokenPath` = `<dataDir>/admin-token`).
 */
export const koppelConfigSchema = koppelConfigShape
  .superRefine(crossFieldRules, { when: () => true })
  .transform((c) => ({
    ...c,
    admin: { ...c.admin, tokenPath: c.admin.tokenPath ?? join(c.dataDir, 'admin-token') },
  }));

/** A validated peer configuration, with every default applied. */
export type KoppelConfig = z.output<typeof koppelConfigSchema>;
/** What a configuration file (or the environment) may contain: defaults make most keys optional. */
export type KoppelConfigInput = z.input<typeof koppelConfigSchema>;
export type InwayServiceConfig = KoppelConfig['inway']['services'][number];
