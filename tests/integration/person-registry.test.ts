// The demo person registry (config/demo): its synthetic persons, the BRP-Bevragen-style API over a
// real socket on port 0, and the streaming/test endpoints the proxy tests lean on, at 50 MiB.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errors, request } from 'undici';
import { headerFingerprint, startPersonRegistry } from '../../demo/person-registry.ts';
import type { PersonRegistryServer } from '../../demo/person-registry.ts';
import { DEMO_PERSON_COUNT, generatePersons, isValidBsn, persons } from '../../demo/persons.ts';
import type { Person } from '../../demo/persons.ts';
import { memoryPeak } from './memory.ts';

// Written from the definition, deliberately not sharing code with isValidBsn.
function elfproef(bsn: string): boolean {
  const weights = [9, 8, 7, 6, 5, 4, 3, 2, -1];
  if (bsn.length !== 9 || ![...bsn].every((ch) => ch >= '0' && ch <= '9')) return false;
  const total = weights.reduce((sum, weight, i) => sum + weight * (bsn.charCodeAt(i) - 48), 0);
  return total % 11 === 0;
}

const FIXED_NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const MiB = 1024 * 1024;
const STREAM_BYTES = 50 * MiB;
const MAX_RSS_GROWTH = 40 * MiB;
const PERSONEN = '/haalcentraal/api/brp/personen';

type Json = Record<string, unknown>;
interface Reply {
  status: number;
  contentType: string | undefined;
  text: string;
  json: Json;
}

function person(index: number): Person {
  const found = persons[index];
  if (!found) throw new Error(`no person at ${index}`);
  return found;
}

function expectedAge(birthDate: string, nowMs: number): number {
  const now = new Date(nowMs);
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age;
}

/** A BSN that passes the elfproef but belongs to nobody in the data set. */
function unknownValidBsn(): string {
  const known = new Set(persons.map((p) => p.burgerservicenummer));
  for (let n = 999999999; ; n--) {
    const candidate = String(n);
    if (elfproef(candidate) && !known.has(candidate)) return candidate;
  }
}

/** The same BSN with its last digit changed: the elfproef catches every single-digit error. */
function corrupted(bsn: string): string {
  const last = Number(bsn.at(-1));
  return `${bsn.slice(0, 8)}${(last + 1) % 10}`;
}

describe('demo persons', () => {
  it(`holds ${DEMO_PERSON_COUNT} persons with unique BSNs that pass the elfproef`, () => {
    expect(persons).toHaveLength(DEMO_PERSON_COUNT);
    const bsns = persons.map((p) => p.burgerservicenummer);
    expect(new Set(bsns).size).toBe(bsns.length);
    for (const bsn of bsns) {
      expect(elfproef(bsn), bsn).toBe(true);
      expect(isValidBsn(bsn), bsn).toBe(true);
      expect(bsn.startsWith('0'), bsn).toBe(false);
    }
  });

  it('isValidBsn agrees with the elfproef and rejects every single-digit change of a valid BSN', () => {
    for (const bsn of ['999990019', '111222333', '123456782']) expect(isValidBsn(bsn), bsn).toBe(true);
    for (const bsn of ['123456789', '12345678', '1234567890', 'abcdefghi', '', '000000000', '99999001９'])
      expect(isValidBsn(bsn), bsn).toBe(false);
    for (const { burgerservicenummer: bsn } of persons) {
      for (let position = 0; position < 9; position++) {
        for (let digit = 0; digit <= 9; digit++) {
          const changed = `${bsn.slice(0, position)}${digit}${bsn.slice(position + 1)}`;
          if (changed !== bsn) expect(isValidBsn(changed), changed).toBe(false);
        }
      }
    }
  });

  it('is generated deterministically, without Math.random or the clock', () => {
    const random = vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random used');
    });
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('Date.now used');
    });
    try {
      expect(generatePersons()).toEqual(persons);
      expect(generatePersons(1)).not.toEqual(persons);
    } finally {
      random.mockRestore();
      clock.mockRestore();
    }
  });

  it('links partners, parents and children both ways and keeps households at one address', () => {
    const byBsn = new Map(persons.map((p) => [p.burgerservicenummer, p]));
    for (const p of persons) {
      for (const partner of p.partners) {
        const other = byBsn.get(partner.burgerservicenummer);
        expect(other?.partners.map((x) => x.burgerservicenummer)).toContain(p.burgerservicenummer);
        expect(other?.verblijfplaats).toEqual(p.verblijfplaats);
      }
      for (const kind of p.kinderen) {
        const child = byBsn.get(kind.burgerservicenummer);
        expect(child?.ouders.map((o) => o.burgerservicenummer)).toContain(p.burgerservicenummer);
        expect(child?.naam).toMatchObject(kind.naam);
        expect(child && child.geboorte.datum.datum > p.geboorte.datum.datum).toBe(true);
      }
      for (const ouder of p.ouders) {
        expect(byBsn.get(ouder.burgerservicenummer)?.kinderen.map((k) => k.burgerservicenummer)).toContain(
          p.burgerservicenummer,
        );
      }
      expect(p.verblijfplaats.verblijfadres.postcode).toMatch(/^[1-9][0-9]{3}[A-Z]{2}$/);
    }
    // The data set covers the cases the API treats specially.
    expect(persons.some((p) => p.overlijden)).toBe(true);
    expect(persons.some((p) => p.naam.voorvoegsel)).toBe(true);
    expect(persons.some((p) => p.partners.length > 0 && p.kinderen.length > 0)).toBe(true);
    expect(persons.some((p) => p.geboorte.land.code !== '6030')).toBe(true);
  });
});

describe('person registry over HTTP', () => {
  let registry: PersonRegistryServer;

  beforeAll(async () => {
    registry = await startPersonRegistry({ port: 0, now: () => FIXED_NOW });
  });
  afterAll(async () => {
    await registry.close();
  });

  async function call(
    path: string,
    init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const res = await request(`${registry.url}${path}`, {
      method: init.method ?? 'GET',
      ...(init.body === undefined ? {} : { body: init.body }),
      headers: init.headers ?? {},
    });
    const text = await res.body.text();
    const contentType = res.headers['content-type'];
    return {
      status: res.statusCode,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      text,
      json: text.startsWith('{') ? (JSON.parse(text) as Json) : {},
    };
  }

  const query = (body: unknown): Promise<Reply> =>
    call(PERSONEN, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  function personen(reply: Reply): Json[] {
    expect(reply.status).toBe(200);
    expect(Array.isArray(reply.json.personen)).toBe(true);
    return reply.json.personen as Json[];
  }

  function expectProblem(reply: Reply, status: number, code: string): Json {
    expect(reply.status).toBe(status);
    expect(reply.contentType).toBe('application/problem+json');
    expect(reply.json).toMatchObject({ status, code });
    expect(typeof reply.json.title).toBe('string');
    expect(typeof reply.json.type).toBe('string');
    return reply.json;
  }

  it('binds to 127.0.0.1 on a free port and answers /health', async () => {
    expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(registry.port).toBeGreaterThan(0);
    const reply = await call('/health');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: 'ok' });
  });

  describe('RaadpleegMetBurgerservicenummer', () => {
    it('returns exactly the requested fields', async () => {
      const p = person(3);
      const reply = await query({
        type: 'RaadpleegMetBurgerservicenummer',
        burgerservicenummer: [p.burgerservicenummer],
        fields: ['naam', 'geboorte'],
      });
      expect(reply.json.type).toBe('RaadpleegMetBurgerservicenummer');
      const [found, ...rest] = personen(reply);
      expect(rest).toEqual([]);
      expect(Object.keys(found ?? {}).sort()).toEqual(['geboorte', 'naam']);
      expect(found?.naam).toEqual(p.naam);
      expect(found?.geboorte).toEqual(p.geboorte);
    });

    it('narrows to sub-fields and keeps the discriminator of polymorphic objects', async () => {
      const p = persons.find((x) => x.partners.length > 0) ?? person(0);
      const [found] = personen(
        await query({
          type: 'RaadpleegMetBurgerservicenummer',
          burgerservicenummer: [p.burgerservicenummer],
          fields: [
            'naam.voornamen',
            'verblijfplaats.verblijfadres.postcode',
            'partners.naam.geslachtsnaam',
            'geslacht.code',
          ],
        }),
      );
      expect(found).toEqual({
        naam: { voornamen: p.naam.voornamen },
        geslacht: { code: p.geslacht.code },
        verblijfplaats: { type: 'Adres', verblijfadres: { postcode: p.verblijfplaats.verblijfadres.postcode } },
        partners: p.partners.map((partner) => ({ naam: { geslachtsnaam: partner.naam.geslachtsnaam } })),
      });
    });

    it('computes leeftijd from the injected clock', async () => {
      const living = persons.filter((x) => !x.overlijden).slice(0, 5);
      const found = personen(
        await query({
          type: 'RaadpleegMetBurgerservicenummer',
          burgerservicenummer: living.map((x) => x.burgerservicenummer),
          fields: ['burgerservicenummer', 'leeftijd'],
        }),
      );
      expect(found).toEqual(
        living.map((x) => ({
          burgerservicenummer: x.burgerservicenummer,
          leeftijd: expectedAge(x.geboorte.datum.datum, FIXED_NOW),
        })),
      );
    });

    it('answers several numbers in order and leaves unknown (valid) numbers out', async () => {
      const [a, b] = [person(5), person(1)];
      const found = personen(
        await query({
          type: 'RaadpleegMetBurgerservicenummer',
          burgerservicenummer: [a.burgerservicenummer, unknownValidBsn(), b.burgerservicenummer],
          fields: ['burgerservicenummer'],
        }),
      );
      expect(found).toEqual([
        { burgerservicenummer: a.burgerservicenummer },
        { burgerservicenummer: b.burgerservicenummer },
      ]);
    });

    it('rejects a BSN that fails the elfproef with a 400 problem that does not echo the number', async () => {
      const bad = corrupted(person(0).burgerservicenummer);
      const reply = await query({
        type: 'RaadpleegMetBurgerservicenummer',
        burgerservicenummer: [bad],
        fields: ['naam'],
      });
      const problem = expectProblem(reply, 400, 'paramsValidation');
      expect(problem.instance).toBe(PERSONEN);
      expect(problem.invalidParams).toEqual([
        { name: 'burgerservicenummer[0]', code: 'elfproef', reason: 'Waarde voldoet niet aan de elfproef.' },
      ]);
      expect(reply.text).not.toContain(bad);
    });

    it('reports every invalid parameter at once', async () => {
      const reply = await query({
        type: 'RaadpleegMetBurgerservicenummer',
        burgerservicenummer: ['12345678', person(0).burgerservicenummer, 999990019],
        fields: ['naam', 'bestaatNiet'],
        gemeenteVanInschrijving: '123',
        voornamen: 'Jan',
      });
      const problem = expectProblem(reply, 400, 'paramsValidation');
      expect(problem.invalidParams).toEqual(
        expect.arrayContaining([
          { name: 'voornamen', code: 'unknownParam', reason: 'Parameter is niet verwacht.' },
          { name: 'fields[1]', code: 'fields', reason: 'Parameter bevat een niet bestaande veldnaam.' },
          { name: 'gemeenteVanInschrijving', code: 'pattern', reason: 'Waarde voldoet niet aan patroon ^[0-9]{4}$.' },
          { name: 'burgerservicenummer[0]', code: 'pattern', reason: 'Waarde voldoet niet aan patroon ^[0-9]{9}$.' },
          { name: 'burgerservicenummer[2]', code: 'pattern', reason: 'Waarde voldoet niet aan patroon ^[0-9]{9}$.' },
        ]),
      );
      expect(problem.invalidParams).toHaveLength(5);
    });

    it('requires burgerservicenummer and fields (paramsCombination), and at most 20 numbers', async () => {
      const missing = expectProblem(await query({ type: 'RaadpleegMetBurgerservicenummer' }), 400, 'paramsCombination');
      expect(missing.invalidParams).toEqual([
        { name: 'burgerservicenummer', code: 'required', reason: 'Parameter is verplicht.' },
        { name: 'fields', code: 'required', reason: 'Parameter is verplicht.' },
      ]);
      const many = expectProblem(
        await query({
          type: 'RaadpleegMetBurgerservicenummer',
          burgerservicenummer: persons.slice(0, 21).map((x) => x.burgerservicenummer),
          fields: ['naam'],
        }),
        400,
        'paramsValidation',
      );
      expect(many.invalidParams).toEqual([
        { name: 'burgerservicenummer', code: 'maxItems', reason: 'Array bevat meer dan 20 items.' },
      ]);
    });

    it('rejects an unknown type, a body that is not JSON, and an oversized body', async () => {
      const type = expectProblem(
        await query({ type: 'ZoekMetKristallenBol', fields: ['naam'] }),
        400,
        'paramsValidation',
      );
      expect(type.invalidParams).toEqual([{ name: 'type', code: 'value', reason: 'Waarde is geen geldig zoek type.' }]);
      expectProblem(
        await call(PERSONEN, { method: 'POST', body: '{"type":', headers: { 'content-type': 'application/json' } }),
        400,
        'badRequest',
      );
      expectProblem(
        await call(PERSONEN, {
          method: 'POST',
          body: ' '.repeat(65 * 1024),
          headers: { 'content-type': 'application/json' },
        }),
        413,
        'bodyTooLarge',
      );
    });
  });

  describe('Zoek operations', () => {
    const household = persons.find((p) => p.kinderen.length > 0) ?? person(0);
    const address = household.verblijfplaats.verblijfadres;
    const housemates = persons
      .filter((p) => !p.overlijden)
      .filter((p) => p.verblijfplaats.verblijfadres.postcode === address.postcode)
      .filter((p) => p.verblijfplaats.verblijfadres.huisnummer === address.huisnummer)
      .map((p) => p.burgerservicenummer);

    it('ZoekMetPostcodeEnHuisnummer finds everyone at the address (postcode with space, any case)', async () => {
      const spaced = `${address.postcode.slice(0, 4)} ${address.postcode.slice(4).toLowerCase()}`;
      const found = personen(
        await query({
          type: 'ZoekMetPostcodeEnHuisnummer',
          postcode: spaced,
          huisnummer: address.huisnummer,
          fields: ['burgerservicenummer', 'adressering.adresregel1'],
        }),
      );
      expect(found.map((x) => x.burgerservicenummer).sort()).toEqual([...housemates].sort());
      expect(housemates.length).toBeGreaterThan(1);
      for (const x of found) expect((x.adressering as Json).adresregel1).toBe(household.adressering.adresregel1);
    });

    it('limits searches to PersoonBeperkt fields', async () => {
      const reply = await query({
        type: 'ZoekMetPostcodeEnHuisnummer',
        postcode: address.postcode,
        huisnummer: address.huisnummer,
        fields: ['kinderen'],
      });
      const problem = expectProblem(reply, 400, 'paramsValidation');
      expect(problem.invalidParams).toEqual([
        { name: 'fields[0]', code: 'fields', reason: 'Parameter bevat een niet toegestane veldnaam.' },
      ]);
    });

    it('ZoekMetGeslachtsnaamEnGeboortedatum matches case-insensitively with a trailing wildcard', async () => {
      const target = persons.find((p) => !p.overlijden && p.naam.geslachtsnaam.length >= 4) ?? person(0);
      const found = personen(
        await query({
          type: 'ZoekMetGeslachtsnaamEnGeboortedatum',
          geslachtsnaam: `${target.naam.geslachtsnaam.slice(0, 3).toUpperCase()}*`,
          geboortedatum: target.geboorte.datum.datum,
          fields: ['burgerservicenummer', 'naam.geslachtsnaam'],
        }),
      );
      expect(found).toContainEqual({
        burgerservicenummer: target.burgerservicenummer,
        naam: { geslachtsnaam: target.naam.geslachtsnaam },
      });
      const invalidDate = await query({
        type: 'ZoekMetGeslachtsnaamEnGeboortedatum',
        geslachtsnaam: target.naam.geslachtsnaam,
        geboortedatum: '2023-02-30',
        fields: ['naam'],
      });
      expect(expectProblem(invalidDate, 400, 'paramsValidation').invalidParams).toEqual([
        { name: 'geboortedatum', code: 'date', reason: 'Waarde is geen geldige datum.' },
      ]);
    });

    it('leaves deceased persons out unless inclusiefOverledenPersonen is true', async () => {
      const deceased = persons.find((p) => p.overlijden) ?? person(0);
      const base = {
        type: 'ZoekMetGeslachtsnaamEnGeboortedatum',
        geslachtsnaam: deceased.naam.geslachtsnaam,
        geboortedatum: deceased.geboorte.datum.datum,
        fields: ['burgerservicenummer', 'overlijden', 'leeftijd'],
      };
      expect(personen(await query(base))).toEqual([]);
      expect(personen(await query({ ...base, inclusiefOverledenPersonen: true }))).toEqual([
        { burgerservicenummer: deceased.burgerservicenummer, overlijden: { indicatieOverleden: true } },
      ]);
    });
  });

  describe('REST form', () => {
    it('GET /personen/{bsn} returns the person, narrowed by ?fields=', async () => {
      const p = persons.find((x, index) => index >= 7 && !x.overlijden) ?? person(0);
      const full = await call(`/personen/${p.burgerservicenummer}`);
      expect(full.status).toBe(200);
      expect(full.json).toMatchObject({
        burgerservicenummer: p.burgerservicenummer,
        naam: p.naam,
        verblijfplaats: p.verblijfplaats,
      });
      expect(full.json.leeftijd).toBe(expectedAge(p.geboorte.datum.datum, FIXED_NOW));
      const narrow = await call(`/personen/${p.burgerservicenummer}?fields=naam.geslachtsnaam,geboorte.datum`);
      expect(narrow.json).toEqual({
        naam: { geslachtsnaam: p.naam.geslachtsnaam },
        geboorte: { datum: p.geboorte.datum },
      });
      // BRP gives no age for the deceased; their overlijden is part of the full Persoon.
      const deceased = persons.find((x) => x.overlijden) ?? person(0);
      const dead = await call(`/personen/${deceased.burgerservicenummer}`);
      expect(dead.json.overlijden).toEqual(deceased.overlijden);
      expect(dead.json).not.toHaveProperty('leeftijd');
    });

    it('GET /personen/{bsn}: 404 problem for an unknown number, 400 for a failed elfproef or bad pattern', async () => {
      const unknown = unknownValidBsn();
      const notFound = await call(`/personen/${unknown}`);
      expect(expectProblem(notFound, 404, 'notFound').instance).toBe('/personen/{burgerservicenummer}');
      expect(notFound.text).not.toContain(unknown);

      const bad = corrupted(person(2).burgerservicenummer);
      const invalid = await call(`/personen/${bad}`);
      expect(expectProblem(invalid, 400, 'paramsValidation').invalidParams).toEqual([
        { name: 'burgerservicenummer', code: 'elfproef', reason: 'Waarde voldoet niet aan de elfproef.' },
      ]);
      expect(invalid.text).not.toContain(bad);
      expect(expectProblem(await call('/personen/12345'), 400, 'paramsValidation').invalidParams).toEqual([
        { name: 'burgerservicenummer', code: 'pattern', reason: 'Waarde voldoet niet aan patroon ^[0-9]{9}$.' },
      ]);
      expectProblem(await call(`/personen/${person(2).burgerservicenummer}?fields=geheim`), 400, 'paramsValidation');
    });

    it('GET /personen?postcode=&huisnummer= lists the residents; bad input is a 400 problem', async () => {
      const p = person(4);
      const { postcode, huisnummer } = p.verblijfplaats.verblijfadres;
      const reply = await call(`/personen?postcode=${postcode}&huisnummer=${huisnummer}&fields=burgerservicenummer`);
      expect(personen(reply)).toContainEqual({ burgerservicenummer: p.burgerservicenummer });
      const problem = expectProblem(
        await call(`/personen?postcode=${postcode}&huisnummer=twaalf`),
        400,
        'paramsValidation',
      );
      expect(problem.invalidParams).toEqual([
        { name: 'huisnummer', code: 'integer', reason: 'Waarde is geen geldige integer.' },
      ]);
      expectProblem(await call('/personen'), 400, 'paramsCombination');
    });

    it('unknown routes are a 404 problem', async () => {
      expectProblem(await call('/bestaat/niet'), 404, 'notFound');
    });
  });

  describe('test endpoints', () => {
    it('/status/{code} answers with that status and body, untouched', async () => {
      for (const code of [200, 404, 418, 500, 503]) {
        const res = await request(`${registry.url}/status/${code}`);
        expect(res.statusCode).toBe(code);
        expect(res.headers['x-person-registry-status']).toBe(String(code));
        expect(await res.body.text()).toBe(`{"status":${code},"source":"person-registry"}`);
      }
      const noContent = await request(`${registry.url}/status/204`, { method: 'POST', body: 'ignored' });
      expect(noContent.statusCode).toBe(204);
      expect(await noContent.body.text()).toBe('');
      const invalid = await call('/status/99');
      expectProblem(invalid, 400, 'paramsValidation');
    });

    it('/headers reports what arrived, with credentials replaced by their fingerprint', async () => {
      const secret = 'Bearer not-for-your-eyes';
      const res = await request(`${registry.url}/headers/some/path?q=1`, {
        method: 'POST',
        headers: { authorization: secret, 'Fsc-Authorization': secret, 'X-Custom': ['one', 'two'], 'X-Case': 'Kept' },
        body: 'x',
      });
      const text = await res.body.text();
      expect(text).not.toContain('not-for-your-eyes');
      const report = JSON.parse(text) as {
        method: string;
        path: string;
        query: string;
        headers: Json;
        rawHeaders: [string, string][];
      };
      expect(report).toMatchObject({ method: 'POST', path: '/headers/some/path', query: '?q=1' });
      expect(report.headers['x-custom']).toEqual(['one', 'two']);
      expect(report.headers['x-case']).toBe('Kept');
      const fingerprint = `sha256:${createHash('sha256').update(secret).digest('hex')}`;
      expect(headerFingerprint(secret)).toBe(fingerprint);
      expect(report.headers.authorization).toBe(fingerprint);
      expect(report.rawHeaders).toContainEqual(['Fsc-Authorization', fingerprint]);
    });

    it('/slow answers after the delay; a shorter headers timeout gives up first', async () => {
      const started = performance.now();
      const res = await request(`${registry.url}/slow?ms=150`);
      expect(await res.body.json()).toEqual({ waitedMs: 150 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);

      await expect(request(`${registry.url}/slow?ms=5000`, { headersTimeout: 100 })).rejects.toBeInstanceOf(
        errors.HeadersTimeoutError,
      );
      expectProblem(await call('/slow?ms=-1'), 400, 'paramsValidation');
    });

    it('/slow?after=headers sends headers at once and the body after the delay', async () => {
      // Headers at once: with a delay longer than the test may run, the headers can only arrive
      // because they were sent before the delay, and no body byte has come with them.
      const pending = await request(`${registry.url}/slow?ms=60000&after=headers`, { headersTimeout: 10_000 });
      expect(pending.statusCode).toBe(200);
      expect({ ended: pending.body.readableEnded, buffered: pending.body.readableLength }).toEqual({
        ended: false,
        buffered: 0,
      });
      pending.body.destroy();

      // The body after the delay (a lower bound: a busy machine only makes it later).
      const started = performance.now();
      const res = await request(`${registry.url}/slow?ms=300&after=headers`);
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ waitedMs: 300 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    });

    it('close() is idempotent and does not wait for a pending slow answer', async () => {
      const other = await startPersonRegistry({ now: () => FIXED_NOW });
      const res = await request(`${other.url}/slow?ms=60000&after=headers`);
      expect(res.statusCode).toBe(200);
      const body = res.body.text();
      const started = performance.now();
      await Promise.all([other.close(), other.close()]);
      // Far below the 60 s the pending answer would take; loose enough for a busy 2-core machine.
      expect(performance.now() - started).toBeLessThan(10_000);
      await expect(body).rejects.toThrow();
      await expect(request(`${other.url}/health`)).rejects.toThrow();
    });
  });

  describe('streaming 50 MiB', () => {
    // One immutable 1 MiB block, sent 50 times: the sender allocates nothing per chunk.
    const block = Buffer.alloc(MiB);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 3) & 0xff;
    const blockCount = STREAM_BYTES / MiB;
    const sentSha256 = (() => {
      const hash = createHash('sha256');
      for (let i = 0; i < blockCount; i++) hash.update(block);
      return hash.digest('hex');
    })();

    /** Peak RSS growth, every reading (baseline included) after a forced full garbage collection. */
    function rssWatch(): { sample(): void; growth(): number } {
      const peak = memoryPeak();
      return { sample: () => peak.sample(), growth: () => peak.growth().rss };
    }

    it('/echo starts answering before the request has ended and returns every byte', async () => {
      // The sender stops after the first MiB until echoed bytes come back. A server that buffered
      // the request body would never answer, and this test would time out instead of passing.
      let firstEcho!: () => void;
      const echoed = new Promise<void>((resolve) => (firstEcho = resolve));
      let requestEnded = false;
      let responseBeforeEnd = false;
      async function* body(): AsyncGenerator<Buffer> {
        yield block;
        await echoed;
        for (let i = 1; i < blockCount; i++) yield block;
        requestEnded = true;
      }
      // Fail with a reason rather than a bare test timeout when the exchange stalls.
      const stalled = new AbortController();
      const guard = setTimeout(
        () => stalled.abort(new Error('no echo while the request was open: /echo buffers')),
        15_000,
      );
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        const res = await request(`${registry.url}/echo`, {
          method: 'POST',
          body: Readable.from(body(), { objectMode: false }),
          headers: { 'content-type': 'application/x-test' },
          signal: stalled.signal,
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/x-test');
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (bytes === 0) {
            responseBeforeEnd = !requestEnded;
            firstEcho();
          }
          hash.update(chunk);
          bytes += chunk.length;
        }
      } finally {
        clearTimeout(guard);
      }
      expect(responseBeforeEnd).toBe(true);
      expect(requestEnded).toBe(true);
      expect(bytes).toBe(STREAM_BYTES);
      expect(hash.digest('hex')).toBe(sentSha256);
    });

    it('/count hashes the body as it arrives, with bounded memory', async () => {
      const rss = rssWatch();
      function* body(): Generator<Buffer> {
        for (let i = 0; i < blockCount; i++) {
          rss.sample();
          yield block;
        }
      }
      const res = await request(`${registry.url}/count`, {
        method: 'POST',
        body: Readable.from(body(), { objectMode: false }),
      });
      expect(await res.body.json()).toEqual({ bytes: STREAM_BYTES, sha256: sentSha256 });
      rss.sample();
      expect(rss.growth()).toBeLessThan(MAX_RSS_GROWTH);
    });

    it('/bulk streams N deterministic bytes (byte i = i mod 251) with bounded memory', async () => {
      // Expected digest from the documented pattern, computed here independently.
      const expected = createHash('sha256');
      const period = Buffer.alloc(251);
      for (let i = 0; i < 251; i++) period[i] = i;
      const full = Buffer.concat(Array.from({ length: Math.ceil(MiB / 251) + 1 }, () => period));
      for (let offset = 0; offset < STREAM_BYTES; offset += MiB) {
        expected.update(full.subarray(offset % 251, (offset % 251) + MiB));
      }

      const rss = rssWatch();
      const res = await request(`${registry.url}/bulk?bytes=${STREAM_BYTES}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBe(String(STREAM_BYTES));
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        // A reading (with its forced GC) at every MiB boundary the body crosses.
        if (Math.floor((bytes + chunk.length) / MiB) > Math.floor(bytes / MiB)) rss.sample();
        bytes += chunk.length;
      }
      rss.sample();
      expect(bytes).toBe(STREAM_BYTES);
      expect(hash.digest('hex')).toBe(expected.digest('hex'));
      expect(rss.growth()).toBeLessThan(MAX_RSS_GROWTH);

      const chunked = await request(`${registry.url}/bulk?bytes=1000&chunked=true`);
      expect(chunked.headers['content-length']).toBeUndefined();
      expect((await chunked.body.arrayBuffer()).byteLength).toBe(1000);
      expectProblem(await call('/bulk?bytes=lots'), 400, 'paramsValidation');
    });
  });
});
