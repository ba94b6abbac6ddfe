// The sample source registry the demo federation publishes through its inway: a person registry in
// the style of Haal Centraal BRP Bevragen 2.x (BRP-API/Haal-Centraal-BRP-bevragen), plus a handful of
// plain endpoints the proxy tests use to exercise streaming, headers, status codes and timeouts.
//
// Person API
//   POST /haalcentraal/api/brp/personen   BRP 2.x query: {type, fields, …} → {type, personen}
//        types RaadpleegMetBurgerservicenummer, ZoekMetGeslachtsnaamEnGeboortedatum,
//        ZoekMetPostcodeEnHuisnummer; errors as application/problem+json with invalidParams.
//   GET  /personen/{bsn}[?fields=a,b.c]     one person (full Persoon), 400 invalid BSN, 404 unknown
//   GET  /personen?postcode=&huisnummer=   (or ?geslachtsnaam=&geboortedatum=) → {personen}
// Test endpoints
//   GET  /health                           {status: "ok"}
//   GET  /bulk?bytes=N[&chunked=true]      N bytes, byte i = i mod 251, generated as it is read
//   POST /echo                             streams the request body back as it arrives
//   POST /count                            {bytes, sha256} of the request body, hashed as it arrives
//   ANY  /headers[/*]                      the request line and headers as received, as JSON
//   ANY  /status/{code}                    that status (200–599) with a small JSON body
//   GET  /slow?ms=N[&after=headers]        answers after N ms (or sends headers first, body after N ms)
//
// Nothing sensitive is echoed: problem bodies name parameters, never their values, and /headers
// replaces credential headers by a SHA-256 fingerprint so tests can still compare them.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableStreamReadResult } from 'node:stream/web';
import { setTimeout as delay } from 'node:timers/promises';
import { getRequestListener } from '@hono/node-server';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { isValidBsn, persons as demoPersons } from './persons.ts';
import type { Person } from './persons.ts';

export interface PersonRegistryOptions {
  /** The persons to serve; the deterministic demo data set by default. */
  readonly persons?: readonly Person[];
  /** Milliseconds since the epoch; only `leeftijd` depends on it. Defaults to Date.now. */
  readonly now?: () => number;
  /** Largest `GET /bulk?bytes=N` allowed. Default 4 GiB. */
  readonly maxBulkBytes?: number;
  /** Largest `GET /slow?ms=N` allowed. Default 120 000 ms. */
  readonly maxSlowMs?: number;
  /** Called with unexpected errors before a generic 500 is returned (the body carries no detail). */
  readonly onError?: (error: unknown) => void;
}

export interface StartPersonRegistryOptions extends PersonRegistryOptions {
  /** Interface to bind; 127.0.0.1 by default. */
  readonly host?: string;
  /** TCP port; 0 (any free port) by default. */
  readonly port?: number;
}

export interface PersonRegistryServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting, drops open connections (pending /slow answers included). Idempotent. */
  close(): Promise<void>;
}

type Env = { Bindings: Partial<HttpBindings> };

/** Period of the /bulk byte pattern: prime, so it never lines up with chunk or buffer sizes. */
export const BULK_PATTERN_PERIOD = 251;
const BULK_CHUNK_BYTES = 64 * 1024;
const MAX_QUERY_BODY_BYTES = 64 * 1024;
const PERSONEN_PATH = '/haalcentraal/api/brp/personen';
const API_VERSION = '2.0.0';

// --- problem responses (RFC 7807; titles and codes as in the BRP API fout-cases) -----------------

interface InvalidParam {
  readonly name: string;
  readonly code: string;
  readonly reason: string;
}

interface Problem {
  readonly status: number;
  readonly title: string;
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly invalidParams?: readonly InvalidParam[];
}

const PROBLEM_TYPES: Readonly<Record<number, string>> = {
  400: 'https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1',
  404: 'https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.4',
  413: 'https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.11',
  500: 'https://datatracker.ietf.org/doc/html/rfc7231#section-6.6.1',
};

function problemResponse(problem: Problem): Response {
  const body = {
    type: PROBLEM_TYPES[problem.status] ?? 'about:blank',
    title: problem.title,
    status: problem.status,
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    code: problem.code,
    ...(problem.instance === undefined ? {} : { instance: problem.instance }),
    ...(problem.invalidParams === undefined ? {} : { invalidParams: problem.invalidParams }),
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'api-version': API_VERSION },
  });
}

function validationProblem(instance: string, invalidParams: readonly InvalidParam[], combination = false): Response {
  const names = [...new Set(invalidParams.map((param) => param.name))];
  return problemResponse({
    status: 400,
    title: combination
      ? 'Minimale combinatie van parameters moet worden opgegeven.'
      : 'Een of meerdere parameters zijn niet correct.',
    detail: `De foutieve parameter(s) zijn: ${names.join(', ')}.`,
    code: combination ? 'paramsCombination' : 'paramsValidation',
    instance,
    invalidParams,
  });
}

// --- fields: which paths exist, and projecting a person onto a selection ------------------------

type FieldTree = { readonly [field: string]: FieldTree | true };

const WAARDETABEL = { code: true, omschrijving: true } as const;
const NAAM_GERELATEERDE = { voornamen: true, voorvoegsel: true, geslachtsnaam: true, voorletters: true } as const;
const GEBOORTE = { datum: true, plaats: WAARDETABEL, land: WAARDETABEL } as const;

/** Fields of a `Persoon` (RaadpleegMetBurgerservicenummer). A `true` leaf is returned whole (dates are). */
const PERSOON_FIELDS: FieldTree = {
  burgerservicenummer: true,
  geslacht: WAARDETABEL,
  leeftijd: true,
  naam: { ...NAAM_GERELATEERDE, volledigeNaam: true, aanduidingNaamgebruik: WAARDETABEL },
  geboorte: GEBOORTE,
  overlijden: { indicatieOverleden: true, datum: true, plaats: WAARDETABEL, land: WAARDETABEL },
  nationaliteiten: { type: true, nationaliteit: WAARDETABEL, datumIngangGeldigheid: true },
  gemeenteVanInschrijving: WAARDETABEL,
  datumInschrijvingInGemeente: true,
  verblijfplaats: {
    type: true,
    verblijfadres: {
      officieleStraatnaam: true,
      korteStraatnaam: true,
      huisnummer: true,
      huisletter: true,
      huisnummertoevoeging: true,
      postcode: true,
      woonplaats: true,
    },
    functieAdres: WAARDETABEL,
    adresseerbaarObjectIdentificatie: true,
    nummeraanduidingIdentificatie: true,
    datumVan: true,
  },
  adressering: {
    aanhef: true,
    aanschrijfwijze: { naam: true },
    gebruikInLopendeTekst: true,
    adresregel1: true,
    adresregel2: true,
  },
  partners: {
    burgerservicenummer: true,
    geslacht: WAARDETABEL,
    naam: NAAM_GERELATEERDE,
    geboorte: GEBOORTE,
    soortVerbintenis: WAARDETABEL,
    aangaanHuwelijkPartnerschap: { datum: true, plaats: WAARDETABEL, land: WAARDETABEL },
  },
  kinderen: { burgerservicenummer: true, naam: NAAM_GERELATEERDE, geboorte: GEBOORTE },
  ouders: {
    burgerservicenummer: true,
    ouderAanduiding: true,
    geslacht: WAARDETABEL,
    naam: NAAM_GERELATEERDE,
    geboorte: GEBOORTE,
    datumIngangFamilierechtelijkeBetrekking: true,
  },
};

/** Fields of a `PersoonBeperkt`: what the Zoek… operations may return (BRP 2.x limits searches). */
const PERSOON_BEPERKT_FIELDS: FieldTree = {
  burgerservicenummer: true,
  geslacht: WAARDETABEL,
  leeftijd: true,
  naam: { ...NAAM_GERELATEERDE, volledigeNaam: true },
  geboorte: { datum: true },
  overlijden: { indicatieOverleden: true },
  gemeenteVanInschrijving: WAARDETABEL,
  adressering: { adresregel1: true, adresregel2: true },
};

type Selection = true | Map<string, Selection>;

function isField(path: string, tree: FieldTree): boolean {
  let node: FieldTree | true = tree;
  for (const segment of path.split('.')) {
    if (node === true || !Object.hasOwn(node, segment)) return false;
    const next: FieldTree | true | undefined = node[segment];
    if (next === undefined) return false;
    node = next;
  }
  return true;
}

/** Merges field paths into one selection tree; `naam` covers `naam.voornamen`. No paths: everything. */
function selectionOf(paths: readonly string[] | undefined): Selection {
  if (paths === undefined) return true;
  const root = new Map<string, Selection>();
  for (const path of paths) {
    const segments = path.split('.');
    let node = root;
    for (const [index, segment] of segments.entries()) {
      const existing = node.get(segment);
      if (existing === true) break;
      if (index === segments.length - 1) {
        node.set(segment, true);
        break;
      }
      if (existing === undefined) {
        const child = new Map<string, Selection>();
        node.set(segment, child);
        node = child;
      } else {
        node = existing;
      }
    }
  }
  return root;
}

function project(value: unknown, tree: FieldTree | true, selection: Selection): unknown {
  if (value === undefined || value === null) return undefined;
  if (tree === true) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => project(item, tree, selection)).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value !== 'object') return undefined;
  const record = value as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const [key, subtree] of Object.entries(tree)) {
    const sub = selection === true ? true : selection.get(key);
    if (sub === undefined) continue;
    const projected = project(record[key], subtree, sub);
    if (projected !== undefined) out[key] = projected;
  }
  if (Object.keys(out).length === 0) return undefined;
  // BRP: a polymorphic object always carries its discriminator when any of its fields is returned.
  if (typeof record.type === 'string' && Object.hasOwn(tree, 'type') && out.type === undefined) {
    return { type: record.type, ...out };
  }
  return out;
}

function ageOn(birthDate: string, nowMs: number): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!match) return undefined;
  const now = new Date(nowMs);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const beforeBirthday = now.getUTCMonth() + 1 < month || (now.getUTCMonth() + 1 === month && now.getUTCDate() < day);
  const age = now.getUTCFullYear() - year - (beforeBirthday ? 1 : 0);
  return age >= 0 ? age : undefined;
}

function render(person: Person, tree: FieldTree, selection: Selection, nowMs: number): unknown {
  // leeftijd is derived at request time; BRP gives no age for a deceased person.
  const leeftijd = person.overlijden ? undefined : ageOn(person.geboorte.datum.datum, nowMs);
  return project({ ...person, leeftijd }, tree, selection) ?? {};
}

// --- query validation ---------------------------------------------------------------------------

type Params = Readonly<Record<string, unknown>>;

const QUERY_SPECS = {
  RaadpleegMetBurgerservicenummer: { required: ['burgerservicenummer'], optional: [], beperkt: false },
  ZoekMetGeslachtsnaamEnGeboortedatum: {
    required: ['geslachtsnaam', 'geboortedatum'],
    optional: ['geslacht', 'voorvoegsel', 'voornamen', 'inclusiefOverledenPersonen'],
    beperkt: true,
  },
  ZoekMetPostcodeEnHuisnummer: {
    required: ['postcode', 'huisnummer'],
    optional: ['huisletter', 'huisnummertoevoeging', 'inclusiefOverledenPersonen'],
    beperkt: true,
  },
} as const;

type QueryType = keyof typeof QUERY_SPECS;

function isQueryType(value: unknown): value is QueryType {
  return typeof value === 'string' && Object.hasOwn(QUERY_SPECS, value);
}

const COMMON_PARAMS = ['type', 'fields', 'gemeenteVanInschrijving'];
const MAX_BSNS = 20;
const MAX_FIELDS = 130;

// Patterns from the BRP 2.x OpenAPI (GeslachtsnaamFilter, Postcode, …); no `u` flag, as written there.
const PATTERNS = {
  burgerservicenummer: /^[0-9]{9}$/,
  field: /^[a-zA-Z0-9._]{1,200}$/,
  gemeenteVanInschrijving: /^[0-9]{4}$/,
  geslachtsnaam: /^[a-zA-Z0-9À-ž .\-']{1,200}$|^[a-zA-Z0-9À-ž .\-']{3,199}\*$/,
  voornamen: /^[a-zA-Z0-9À-ž .\-']{1,199}\*?$/,
  voorvoegsel: /^[a-zA-Z ']{1,10}$/,
  geslacht: /^([Mm]|[Vv]|[Oo])$/,
  postcode: /^[1-9][0-9]{3} ?[A-Za-z]{2}$/,
  huisletter: /^[a-zA-Z]$/,
  huisnummertoevoeging: /^[a-zA-Z0-9 -]{1,4}$/,
} as const;

type PersonQuery =
  | { readonly type: 'RaadpleegMetBurgerservicenummer'; readonly burgerservicenummers: readonly string[] }
  | {
      readonly type: 'ZoekMetGeslachtsnaamEnGeboortedatum';
      readonly geslachtsnaam: string;
      readonly geboortedatum: string;
      readonly geslacht: string | undefined;
      readonly voorvoegsel: string | undefined;
      readonly voornamen: string | undefined;
      readonly inclusiefOverledenPersonen: boolean;
    }
  | {
      readonly type: 'ZoekMetPostcodeEnHuisnummer';
      readonly postcode: string;
      readonly huisnummer: number;
      readonly huisletter: string | undefined;
      readonly huisnummertoevoeging: string | undefined;
      readonly inclusiefOverledenPersonen: boolean;
    };

interface ParsedQuery {
  readonly query: PersonQuery;
  readonly fields: readonly string[] | undefined;
  readonly gemeenteVanInschrijving: string | undefined;
}

type ParseResult =
  | { readonly ok: true; readonly value: ParsedQuery }
  | { readonly ok: false; readonly invalidParams: readonly InvalidParam[]; readonly combination: boolean };

/** Reads parameters, collecting every problem at once (BRP reports all invalid parameters together). */
class ParamReader {
  readonly errors: InvalidParam[] = [];

  constructor(private readonly params: Params) {}

  present(name: string): boolean {
    return this.params[name] !== undefined && this.params[name] !== null;
  }

  fail(name: string, code: string, reason: string): undefined {
    this.errors.push({ name, code, reason });
    return undefined;
  }

  string(name: string, pattern: RegExp): string | undefined {
    if (!this.present(name)) return undefined;
    const value = this.params[name];
    if (typeof value !== 'string') return this.fail(name, 'string', 'Waarde is geen string.');
    if (!pattern.test(value)) return this.fail(name, 'pattern', `Waarde voldoet niet aan patroon ${pattern.source}.`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    if (!this.present(name)) return undefined;
    const value = this.params[name];
    return typeof value === 'boolean' ? value : this.fail(name, 'boolean', 'Waarde is geen boolean.');
  }

  integer(name: string, minimum: number, maximum: number): number | undefined {
    if (!this.present(name)) return undefined;
    const value = this.params[name];
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.fail(name, 'integer', 'Waarde is geen geldige integer.');
    }
    if (value < minimum) return this.fail(name, 'minimum', `Waarde is lager dan minimum ${minimum}.`);
    if (value > maximum) return this.fail(name, 'maximum', `Waarde is hoger dan maximum ${maximum}.`);
    return value;
  }

  date(name: string): string | undefined {
    if (!this.present(name)) return undefined;
    const value = this.params[name];
    if (typeof value !== 'string' || !isCalendarDate(value)) {
      return this.fail(name, 'date', 'Waarde is geen geldige datum.');
    }
    return value;
  }

  /** An array of 1..maxItems strings, each checked by `item` (which reports its own errors). */
  array(
    name: string,
    maxItems: number,
    item: (value: unknown, itemName: string) => string | undefined,
  ): string[] | undefined {
    if (!this.present(name)) return undefined;
    const value = this.params[name];
    if (!Array.isArray(value)) return this.fail(name, 'array', 'Parameter is geen array.');
    if (value.length < 1) return this.fail(name, 'minItems', 'Array bevat minder dan 1 items.');
    if (value.length > maxItems) return this.fail(name, 'maxItems', `Array bevat meer dan ${maxItems} items.`);
    const before = this.errors.length;
    const items = value.map((element: unknown, index) => item(element, `${name}[${index}]`));
    return this.errors.length === before ? items.filter((element) => element !== undefined) : undefined;
  }
}

function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Validates a BRP 2.x query. `fieldsRequired` is true for the POST API (as in BRP) and false for
 * the REST convenience form, where no fields means "every field the operation may return".
 */
function parseQuery(body: unknown, fieldsRequired: boolean): ParseResult {
  const params: Params = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Params) : {};
  const reader = new ParamReader(params);
  const type = params.type;
  if (type === undefined || type === null) {
    return {
      ok: false,
      invalidParams: [{ name: 'type', code: 'required', reason: 'Parameter is verplicht.' }],
      combination: false,
    };
  }
  if (!isQueryType(type)) {
    return {
      ok: false,
      invalidParams: [{ name: 'type', code: 'value', reason: 'Waarde is geen geldig zoek type.' }],
      combination: false,
    };
  }
  const spec = QUERY_SPECS[type];
  const known = new Set<string>([...COMMON_PARAMS, ...spec.required, ...spec.optional]);
  for (const name of Object.keys(params)) {
    if (!known.has(name)) reader.fail(name, 'unknownParam', 'Parameter is niet verwacht.');
  }
  const missing = [...spec.required, ...(fieldsRequired ? ['fields'] : [])].filter((name) => !reader.present(name));
  if (missing.length > 0) {
    return {
      ok: false,
      invalidParams: missing.map((name) => ({ name, code: 'required', reason: 'Parameter is verplicht.' })),
      combination: true,
    };
  }

  const tree = spec.beperkt ? PERSOON_BEPERKT_FIELDS : PERSOON_FIELDS;
  const fields = reader.array('fields', MAX_FIELDS, (value, itemName) => {
    if (typeof value !== 'string' || !PATTERNS.field.test(value)) {
      return reader.fail(itemName, 'pattern', `Waarde voldoet niet aan patroon ${PATTERNS.field.source}.`);
    }
    if (isField(value, tree)) return value;
    return isField(value, PERSOON_FIELDS)
      ? reader.fail(itemName, 'fields', 'Parameter bevat een niet toegestane veldnaam.')
      : reader.fail(itemName, 'fields', 'Parameter bevat een niet bestaande veldnaam.');
  });
  const gemeenteVanInschrijving = reader.string('gemeenteVanInschrijving', PATTERNS.gemeenteVanInschrijving);

  let query: PersonQuery | undefined;
  switch (type) {
    case 'RaadpleegMetBurgerservicenummer': {
      const burgerservicenummers = reader.array('burgerservicenummer', MAX_BSNS, (value, itemName) => {
        if (typeof value !== 'string' || !PATTERNS.burgerservicenummer.test(value)) {
          return reader.fail(
            itemName,
            'pattern',
            `Waarde voldoet niet aan patroon ${PATTERNS.burgerservicenummer.source}.`,
          );
        }
        // Beyond BRP, which only checks the pattern: the demo registry also applies the elfproef.
        return isValidBsn(value) ? value : reader.fail(itemName, 'elfproef', 'Waarde voldoet niet aan de elfproef.');
      });
      if (burgerservicenummers) query = { type, burgerservicenummers };
      break;
    }
    case 'ZoekMetGeslachtsnaamEnGeboortedatum': {
      const geslachtsnaam = reader.string('geslachtsnaam', PATTERNS.geslachtsnaam);
      const geboortedatum = reader.date('geboortedatum');
      const geslacht = reader.string('geslacht', PATTERNS.geslacht);
      const voorvoegsel = reader.string('voorvoegsel', PATTERNS.voorvoegsel);
      const voornamen = reader.string('voornamen', PATTERNS.voornamen);
      const inclusiefOverledenPersonen = reader.boolean('inclusiefOverledenPersonen') ?? false;
      if (geslachtsnaam !== undefined && geboortedatum !== undefined) {
        query = { type, geslachtsnaam, geboortedatum, geslacht, voorvoegsel, voornamen, inclusiefOverledenPersonen };
      }
      break;
    }
    case 'ZoekMetPostcodeEnHuisnummer': {
      const postcode = reader.string('postcode', PATTERNS.postcode);
      const huisnummer = reader.integer('huisnummer', 1, 99999);
      const huisletter = reader.string('huisletter', PATTERNS.huisletter);
      const huisnummertoevoeging = reader.string('huisnummertoevoeging', PATTERNS.huisnummertoevoeging);
      const inclusiefOverledenPersonen = reader.boolean('inclusiefOverledenPersonen') ?? false;
      if (postcode !== undefined && huisnummer !== undefined) {
        query = { type, postcode, huisnummer, huisletter, huisnummertoevoeging, inclusiefOverledenPersonen };
      }
      break;
    }
  }
  if (reader.errors.length > 0 || query === undefined) {
    return { ok: false, invalidParams: reader.errors, combination: false };
  }
  return { ok: true, value: { query, fields, gemeenteVanInschrijving } };
}

// --- search -------------------------------------------------------------------------------------

/** BRP searches are case-insensitive and ignore diacritics. */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** `*` is a wildcard (BRP allows it at the end of names; we accept it anywhere). */
function matches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const parts = fold(pattern)
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(fold(value));
}

function normalisedPostcode(postcode: string): string {
  return postcode.replace(' ', '').toUpperCase();
}

function search(parsed: ParsedQuery, all: readonly Person[], byBsn: ReadonlyMap<string, Person>): Person[] {
  const { query, gemeenteVanInschrijving } = parsed;
  const inGemeente = (person: Person): boolean =>
    gemeenteVanInschrijving === undefined || person.gemeenteVanInschrijving.code === gemeenteVanInschrijving;
  switch (query.type) {
    case 'RaadpleegMetBurgerservicenummer':
      // Unknown numbers are simply absent from the answer (BRP answers 200 with fewer personen).
      return [...new Set(query.burgerservicenummers)]
        .map((bsn) => byBsn.get(bsn))
        .filter((person): person is Person => person !== undefined && inGemeente(person));
    case 'ZoekMetGeslachtsnaamEnGeboortedatum':
      return all.filter(
        (person) =>
          inGemeente(person) &&
          (query.inclusiefOverledenPersonen || !person.overlijden) &&
          person.geboorte.datum.datum === query.geboortedatum &&
          matches(query.geslachtsnaam, person.naam.geslachtsnaam) &&
          (query.geslacht === undefined || person.geslacht.code === query.geslacht.toUpperCase()) &&
          (query.voorvoegsel === undefined || fold(query.voorvoegsel) === fold(person.naam.voorvoegsel ?? '')) &&
          (query.voornamen === undefined || matches(query.voornamen, person.naam.voornamen)),
      );
    case 'ZoekMetPostcodeEnHuisnummer': {
      const postcode = normalisedPostcode(query.postcode);
      return all.filter((person) => {
        const adres = person.verblijfplaats.verblijfadres;
        return (
          inGemeente(person) &&
          (query.inclusiefOverledenPersonen || !person.overlijden) &&
          adres.postcode === postcode &&
          adres.huisnummer === query.huisnummer &&
          (query.huisletter === undefined || fold(query.huisletter) === fold(adres.huisletter ?? '')) &&
          (query.huisnummertoevoeging === undefined ||
            fold(query.huisnummertoevoeging) === fold(adres.huisnummertoevoeging ?? ''))
        );
      });
    }
  }
}

// --- small helpers ------------------------------------------------------------------------------

async function readBoundedText(request: Request, maxBytes: number): Promise<string | undefined> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function nonNegativeInteger(raw: string | undefined, maximum: number): number | undefined {
  if (raw === undefined || !/^[0-9]{1,16}$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value <= maximum ? value : undefined;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'api-version': API_VERSION },
  });
}

// Credentials never travel back in a response body, not even from a test endpoint.
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'fsc-authorization',
  'cookie',
  'x-api-key',
]);

/** What /headers shows instead of a credential: `sha256:<hex of the value>`. */
export function headerFingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

function headersReport(c: Context<Env>): Response {
  const incoming = (c.env as Env['Bindings'] | undefined)?.incoming;
  const raw: [string, string][] = [];
  if (incoming) {
    // rawHeaders keeps order, case and repetitions, which is what header-handling tests look at.
    for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
      raw.push([incoming.rawHeaders[i] ?? '', incoming.rawHeaders[i + 1] ?? '']);
    }
  } else {
    c.req.raw.headers.forEach((value, name) => raw.push([name, value]));
  }
  const rawHeaders = raw.map(([name, value]): [string, string] => [
    name,
    CREDENTIAL_HEADERS.has(name.toLowerCase()) ? headerFingerprint(value) : value,
  ]);
  const merged = new Map<string, string | string[]>();
  for (const [name, value] of rawHeaders) {
    const key = name.toLowerCase();
    const existing = merged.get(key);
    merged.set(key, existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value]);
  }
  const url = new URL(c.req.url);
  return json({
    method: c.req.method,
    path: url.pathname,
    query: url.search,
    ...(incoming ? { httpVersion: incoming.httpVersion } : {}),
    // fromEntries defines own properties, so a header called __proto__ stays a header.
    headers: Object.fromEntries(merged),
    rawHeaders,
  });
}

function bulkStream(totalBytes: number): ReadableStream<Uint8Array> {
  // One chunk-plus-a-period of the pattern; every chunk is a view into it, so nothing grows with N.
  const pattern = Buffer.alloc(BULK_CHUNK_BYTES + BULK_PATTERN_PERIOD);
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % BULK_PATTERN_PERIOD;
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= totalBytes) {
          controller.close();
          return;
        }
        const length = Math.min(BULK_CHUNK_BYTES, totalBytes - sent);
        const start = sent % BULK_PATTERN_PERIOD;
        controller.enqueue(pattern.subarray(start, start + length));
        sent += length;
      },
    },
    // Generate only when the socket asks for more: no read-ahead, memory stays flat for any N.
    { highWaterMark: 0 },
  );
}

async function countBody(request: Request): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
      if (done) break;
      hash.update(value);
      bytes += value.byteLength;
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}

// --- the app ------------------------------------------------------------------------------------

/**
 * Builds the person registry as a hono app (no socket; see {@link startPersonRegistry}).
 * Stateless apart from the read-only persons, so one app may serve any number of servers.
 */
export function createPersonRegistry(options: PersonRegistryOptions = {}): Hono<Env> {
  const all = options.persons ?? demoPersons;
  const byBsn = new Map(all.map((person) => [person.burgerservicenummer, person]));
  const now = options.now ?? Date.now;
  const maxBulkBytes = options.maxBulkBytes ?? 4 * 1024 ** 3;
  const maxSlowMs = options.maxSlowMs ?? 120_000;
  const app = new Hono<Env>();

  app.get('/health', () => json({ status: 'ok' }));

  app.post(PERSONEN_PATH, async function personenQuery(c) {
    const text = await readBoundedText(c.req.raw, MAX_QUERY_BODY_BYTES);
    if (text === undefined) {
      return problemResponse({
        status: 413,
        title: 'Request body is te groot.',
        code: 'bodyTooLarge',
        instance: PERSONEN_PATH,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return problemResponse({
        status: 400,
        title: 'Request body is geen geldige JSON.',
        code: 'badRequest',
        instance: PERSONEN_PATH,
      });
    }
    const parsed = parseQuery(body, true);
    if (!parsed.ok) return validationProblem(PERSONEN_PATH, parsed.invalidParams, parsed.combination);
    const { query, fields } = parsed.value;
    const tree = QUERY_SPECS[query.type].beperkt ? PERSOON_BEPERKT_FIELDS : PERSOON_FIELDS;
    const selection = selectionOf(fields);
    const nowMs = now();
    const personen = search(parsed.value, all, byBsn).map((person) => render(person, tree, selection, nowMs));
    return json({ type: query.type, personen });
  });

  app.get('/personen/:bsn', function persoon(c) {
    const instance = '/personen/{burgerservicenummer}';
    const bsn = c.req.param('bsn');
    const reader = new ParamReader({ ...c.req.query(), burgerservicenummer: bsn });
    for (const name of Object.keys(c.req.query())) {
      if (name !== 'fields') reader.fail(name, 'unknownParam', 'Parameter is niet verwacht.');
    }
    if (reader.string('burgerservicenummer', PATTERNS.burgerservicenummer) !== undefined && !isValidBsn(bsn)) {
      reader.fail('burgerservicenummer', 'elfproef', 'Waarde voldoet niet aan de elfproef.');
    }
    const fieldsParam = c.req.query('fields');
    const fields = fieldsParam === undefined ? undefined : fieldsParam.split(',');
    fields?.forEach((field, index) => {
      if (!PATTERNS.field.test(field) || !isField(field, PERSOON_FIELDS)) {
        reader.fail(`fields[${index}]`, 'fields', 'Parameter bevat een niet bestaande veldnaam.');
      }
    });
    if (reader.errors.length > 0) return validationProblem(instance, reader.errors);
    const person = byBsn.get(bsn);
    if (!person) {
      return problemResponse({ status: 404, title: 'Opgevraagde resource bestaat niet.', code: 'notFound', instance });
    }
    return json(render(person, PERSOON_FIELDS, selectionOf(fields), now()));
  });

  app.get('/personen', function personen(c) {
    const instance = '/personen';
    const raw = c.req.query();
    const byAddress = raw.postcode !== undefined || raw.huisnummer !== undefined;
    const byName = raw.geslachtsnaam !== undefined || raw.geboortedatum !== undefined;
    if (!byAddress && !byName) {
      return validationProblem(
        instance,
        ['postcode', 'huisnummer'].map((name) => ({ name, code: 'required', reason: 'Parameter is verplicht.' })),
        true,
      );
    }
    // Query strings only carry text: turn them into the JSON types the POST API validates.
    const params: Record<string, unknown> = {
      ...raw,
      type: byAddress ? 'ZoekMetPostcodeEnHuisnummer' : 'ZoekMetGeslachtsnaamEnGeboortedatum',
    };
    if (raw.huisnummer !== undefined && /^[0-9]{1,9}$/.test(raw.huisnummer)) params.huisnummer = Number(raw.huisnummer);
    if (raw.inclusiefOverledenPersonen === 'true' || raw.inclusiefOverledenPersonen === 'false') {
      params.inclusiefOverledenPersonen = raw.inclusiefOverledenPersonen === 'true';
    }
    if (raw.fields !== undefined) params.fields = raw.fields.split(',');
    const parsed = parseQuery(params, false);
    if (!parsed.ok) return validationProblem(instance, parsed.invalidParams, parsed.combination);
    const selection = selectionOf(parsed.value.fields);
    const nowMs = now();
    const found = search(parsed.value, all, byBsn).map((person) =>
      render(person, PERSOON_BEPERKT_FIELDS, selection, nowMs),
    );
    return json({ personen: found });
  });

  app.get('/bulk', function bulk(c) {
    const totalBytes = nonNegativeInteger(c.req.query('bytes'), maxBulkBytes);
    if (totalBytes === undefined) {
      return validationProblem('/bulk', [
        { name: 'bytes', code: 'integer', reason: `Waarde is geen geheel getal van 0 tot en met ${maxBulkBytes}.` },
      ]);
    }
    const chunked = c.req.query('chunked') === 'true';
    return new Response(bulkStream(totalBytes), {
      headers: {
        'content-type': 'application/octet-stream',
        ...(chunked ? {} : { 'content-length': String(totalBytes) }),
      },
    });
  });

  app.on(['POST', 'PUT'], '/echo', function echo(c) {
    // The request stream becomes the response stream: bytes go back as they arrive, with the
    // socket's backpressure in both directions, and the response starts before the request ends.
    const length = c.req.header('content-length');
    return new Response(c.req.raw.body, {
      headers: {
        'content-type': c.req.header('content-type') ?? 'application/octet-stream',
        ...(length !== undefined && /^[0-9]+$/.test(length) ? { 'content-length': length } : {}),
      },
    });
  });

  app.on(['POST', 'PUT'], '/count', async function count(c) {
    return json(await countBody(c.req.raw));
  });

  app.all('/headers', headersReport);
  app.all('/headers/*', headersReport);

  app.all('/status/:code', function status(c) {
    const code = Number(c.req.param('code'));
    if (!/^[0-9]{3}$/.test(c.req.param('code')) || code < 200 || code > 599) {
      return validationProblem('/status/{code}', [
        { name: 'code', code: 'value', reason: 'Waarde is geen status van 200 tot en met 599.' },
      ]);
    }
    const bodyless = code === 204 || code === 205 || code === 304;
    return new Response(bodyless ? null : JSON.stringify({ status: code, source: 'person-registry' }), {
      status: code,
      headers: { 'content-type': 'application/json', 'x-person-registry-status': String(code) },
    });
  });

  app.get('/slow', async function slow(c) {
    const ms = nonNegativeInteger(c.req.query('ms'), maxSlowMs);
    const after = c.req.query('after');
    if (ms === undefined || (after !== undefined && after !== 'headers')) {
      return validationProblem('/slow', [
        ...(ms === undefined
          ? [{ name: 'ms', code: 'integer', reason: `Waarde is geen geheel getal van 0 tot en met ${maxSlowMs}.` }]
          : []),
        ...(after !== undefined && after !== 'headers'
          ? [{ name: 'after', code: 'value', reason: 'Waarde is niet headers.' }]
          : []),
      ]);
    }
    const body = JSON.stringify({ waitedMs: ms });
    // The client going away aborts the wait, so no timer outlives its connection (or close()).
    const clientGone = c.req.raw.signal;
    if (after === 'headers') {
      const cancelled = new AbortController();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            await delay(ms, undefined, { signal: AbortSignal.any([clientGone, cancelled.signal]) });
            controller.enqueue(Buffer.from(body));
            controller.close();
          } catch (error) {
            controller.error(error);
          }
        },
        cancel() {
          cancelled.abort();
        },
      });
      return new Response(stream, { headers: { 'content-type': 'application/json' } });
    }
    try {
      await delay(ms, undefined, { signal: clientGone });
    } catch {
      return new Response(null, { status: 499 });
    }
    return json({ waitedMs: ms });
  });

  app.notFound(() => problemResponse({ status: 404, title: 'Opgevraagde resource bestaat niet.', code: 'notFound' }));

  app.onError((error) => {
    options.onError?.(error);
    return problemResponse({ status: 500, title: 'Interne server fout.', code: 'serverError' });
  });

  return app;
}

/** Serves {@link createPersonRegistry} over plain HTTP (127.0.0.1, any free port by default). */
export async function startPersonRegistry(options: StartPersonRegistryOptions = {}): Promise<PersonRegistryServer> {
  const host = options.host ?? '127.0.0.1';
  const app = createPersonRegistry(options);
  const listener = getRequestListener((request, env) => app.fetch(request, env));
  // The listener settles on its own (errors become responses); the server only needs to start it.
  const server = createServer((incoming, outgoing) => {
    void listener(incoming, outgoing);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
