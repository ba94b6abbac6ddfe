// The plain node:http backend every chain of `npm run bench` ends at (a copy of ../shared/bench/backend.mjs,
// so the repository does not depend on that folder at run time).
//   GET  /api/people/:id  -> ~1 KB JSON document, serialised once per id
//   GET  /healthz         -> "ok"
// Env: PORT (required), HOST (default 127.0.0.1; loopback only).
import { createServer } from 'node:http';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT);

function person(id: number): unknown {
  return {
    id,
    type: 'natural-person',
    name: { given: 'Jan', family: 'de Vries', initials: 'J.', prefix: 'de' },
    birth: { date: '1985-04-12', place: 'Utrecht', country: 'NL' },
    address: {
      street: 'Oudegracht',
      number: 231,
      suffix: 'bis',
      postalCode: '3511NK',
      city: 'Utrecht',
      municipalityCode: '0344',
      country: 'NL',
    },
    contact: { email: `person-${id}@example.invalid`, phone: '+31 30 000 0000' },
    registrations: [
      { register: 'BRP', since: '1985-04-15', status: 'active', source: '00000001001234567000' },
      { register: 'BAG', since: '2012-09-01', status: 'active', source: '00000001001234567000' },
      { register: 'HR', since: '2019-01-10', status: 'inactive', source: '00000001009876543000' },
    ],
    notes:
      'Synthetic record used only for loopback gateway benchmarks. ' +
      'It is deliberately padded to weigh about one kilobyte of JSON, which is ' +
      'roughly the size of a typical single-resource response behind an API gateway.',
    links: { self: `/api/people/${id}`, household: `/api/households/${id}` },
    updatedAt: '2024-01-01T00:00:00.000Z',
  };
}

// The benchmark is about the proxies, not JSON.stringify.
const bodies = new Map<number, Buffer>();
function personBody(id: number): Buffer {
  let body = bodies.get(id);
  if (body === undefined) {
    body = Buffer.from(JSON.stringify(person(id)));
    if (bodies.size > 10_000) bodies.clear();
    bodies.set(id, body);
  }
  return body;
}

const PEOPLE = /^\/api\/people\/(\d{1,12})\/?(?:\?.*)?$/;

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
    return;
  }
  const match = PEOPLE.exec(url);
  if (match) {
    const body = personBody(Number(match[1]));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
});

// Idle keep-alive sockets outlive the proxies' pools.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, host, () => console.log(`backend http://${host}:${port} pid=${process.pid}`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
}
