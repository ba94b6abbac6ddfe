// Synthetic persons for the demo person registry. The shape follows Haal Centraal BRP Bevragen 2.x
// (BRP-API/Haal-Centraal-BRP-bevragen, schema `Persoon`: naam, geboorte, geslacht, nationaliteiten,
// verblijfplaats with `verblijfadres`, adressering, partners, kinderen, ouders, overlijden), not every field.
// Every person, address and number is made up. They are generated from a fixed seed with a small
// integer PRNG, so every run, every process and every test sees exactly the same people: no
// Math.random, no clock. Age (`leeftijd`) depends on "now" and is therefore computed by the registry
// at request time, never stored here.

export interface Waardetabel {
  readonly code: string;
  readonly omschrijving: string;
}

/** A place: Dutch municipalities carry a gemeentecode, places abroad only a name (BRP 2.x). */
export interface Plaats {
  readonly code?: string;
  readonly omschrijving: string;
}

/** BRP `VolledigeDatum`: the only date variant the synthetic data needs. */
export interface Datum {
  readonly type: 'Datum';
  readonly datum: string;
  readonly langFormaat: string;
}

export interface Geboorte {
  readonly datum: Datum;
  readonly plaats: Plaats;
  readonly land: Waardetabel;
}

export interface NaamGerelateerde {
  readonly voornamen: string;
  readonly voorvoegsel?: string;
  readonly geslachtsnaam: string;
  readonly voorletters: string;
}

export interface NaamPersoon extends NaamGerelateerde {
  readonly volledigeNaam: string;
  readonly aanduidingNaamgebruik: Waardetabel;
}

export interface Nationaliteit {
  readonly type: 'Nationaliteit';
  readonly nationaliteit: Waardetabel;
  readonly datumIngangGeldigheid: Datum;
}

export interface Verblijfadres {
  readonly officieleStraatnaam: string;
  readonly korteStraatnaam: string;
  readonly huisnummer: number;
  readonly huisletter?: string;
  readonly huisnummertoevoeging?: string;
  readonly postcode: string;
  readonly woonplaats: string;
}

export interface Verblijfplaats {
  readonly type: 'Adres';
  readonly verblijfadres: Verblijfadres;
  readonly functieAdres: Waardetabel;
  readonly adresseerbaarObjectIdentificatie: string;
  readonly nummeraanduidingIdentificatie: string;
  readonly datumVan: Datum;
}

export interface Adressering {
  readonly aanhef: string;
  readonly aanschrijfwijze: { readonly naam: string };
  readonly gebruikInLopendeTekst: string;
  readonly adresregel1: string;
  readonly adresregel2: string;
}

export interface Partner {
  readonly burgerservicenummer: string;
  readonly geslacht: Waardetabel;
  readonly naam: NaamGerelateerde;
  readonly geboorte: Geboorte;
  readonly soortVerbintenis: Waardetabel;
  readonly aangaanHuwelijkPartnerschap: { readonly datum: Datum; readonly plaats: Plaats; readonly land: Waardetabel };
}

export interface Kind {
  readonly burgerservicenummer: string;
  readonly naam: NaamGerelateerde;
  readonly geboorte: Geboorte;
}

export interface Ouder {
  readonly burgerservicenummer: string;
  readonly ouderAanduiding: '1' | '2';
  readonly geslacht: Waardetabel;
  readonly naam: NaamGerelateerde;
  readonly geboorte: Geboorte;
  readonly datumIngangFamilierechtelijkeBetrekking: Datum;
}

export interface Overlijden {
  readonly indicatieOverleden: true;
  readonly datum: Datum;
  readonly plaats: Plaats;
  readonly land: Waardetabel;
}

export interface Person {
  readonly burgerservicenummer: string;
  readonly geslacht: Waardetabel;
  readonly naam: NaamPersoon;
  readonly geboorte: Geboorte;
  readonly overlijden?: Overlijden;
  readonly nationaliteiten: readonly Nationaliteit[];
  readonly gemeenteVanInschrijving: Waardetabel;
  readonly datumInschrijvingInGemeente: Datum;
  readonly verblijfplaats: Verblijfplaats;
  readonly adressering: Adressering;
  readonly partners: readonly Partner[];
  readonly kinderen: readonly Kind[];
  readonly ouders: readonly Ouder[];
}

/** The seed of the demo data set; changing it changes every person. */
export const DEMO_SEED = 20240611;
/** How many persons the demo data set holds. */
export const DEMO_PERSON_COUNT = 40;

/**
 * The elfproef for a burgerservicenummer: for digits d1..d9,
 * 9·d1 + 8·d2 + 7·d3 + 6·d4 + 5·d5 + 4·d6 + 3·d7 + 2·d8 − 1·d9 must be divisible by 11.
 * Exactly nine digits; 000000000 passes the arithmetic but is never issued, so it is rejected.
 */
export function isValidBsn(bsn: string): boolean {
  if (!/^[0-9]{9}$/.test(bsn) || bsn === '000000000') return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(bsn[i]);
  sum -= Number(bsn[8]);
  return sum % 11 === 0;
}

// --- deterministic randomness ---------------------------------------------------------------

/** mulberry32: 32-bit integer arithmetic only, so the sequence is identical on every platform. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rng {
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

function rngFrom(seed: number): Rng {
  const next = prng(seed);
  return {
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    chance: (p) => next() < p,
  };
}

// --- reference tables (shape of the LO GBA tables; a small, made-up-data-friendly subset) -------

const NEDERLAND: Waardetabel = { code: '6030', omschrijving: 'Nederland' };
const NEDERLANDSE: Waardetabel = { code: '0001', omschrijving: 'Nederlandse' };
const WOONADRES: Waardetabel = { code: 'W', omschrijving: 'woonadres' };
const EIGEN_NAAM: Waardetabel = { code: 'E', omschrijving: 'eigen geslachtsnaam' };
const GESLACHT = {
  M: { code: 'M', omschrijving: 'man' },
  V: { code: 'V', omschrijving: 'vrouw' },
} as const satisfies Record<string, Waardetabel>;
const VERBINTENIS = {
  H: { code: 'H', omschrijving: 'huwelijk' },
  P: { code: 'P', omschrijving: 'geregistreerd partnerschap' },
} as const satisfies Record<string, Waardetabel>;

const ABROAD = [
  {
    land: { code: '5002', omschrijving: 'Frankrijk' },
    plaats: 'Lyon',
    nationaliteit: { code: '0057', omschrijving: 'Franse' },
  },
  {
    land: { code: '6003', omschrijving: 'Griekenland' },
    plaats: 'Thessaloniki',
    nationaliteit: { code: '0059', omschrijving: 'Griekse' },
  },
] as const;

const BIRTH_PLACES: readonly Waardetabel[] = [
  { code: '0363', omschrijving: 'Amsterdam' },
  { code: '0599', omschrijving: 'Rotterdam' },
  { code: '0518', omschrijving: "'s-Gravenhage" },
  { code: '0344', omschrijving: 'Utrecht' },
  { code: '0014', omschrijving: 'Groningen' },
  { code: '0080', omschrijving: 'Leeuwarden' },
  { code: '0772', omschrijving: 'Eindhoven' },
  { code: '0268', omschrijving: 'Nijmegen' },
  { code: '0513', omschrijving: 'Gouda' },
  { code: '0193', omschrijving: 'Zwolle' },
];

interface Municipality {
  readonly gemeente: Waardetabel;
  readonly woonplaats: string;
  readonly postcodes: readonly [number, number];
  readonly streets: readonly string[];
}

const MUNICIPALITIES: readonly Municipality[] = [
  {
    gemeente: { code: '0363', omschrijving: 'Amsterdam' },
    woonplaats: 'Amsterdam',
    postcodes: [1011, 1098],
    streets: ['Keizersgracht', 'Prinsengracht', 'Overtoom', 'Javastraat', 'Van Woustraat', 'Admiraal de Ruijterweg'],
  },
  {
    gemeente: { code: '0518', omschrijving: "'s-Gravenhage" },
    woonplaats: "'s-Gravenhage",
    postcodes: [2491, 2597],
    streets: ['Laan van Meerdervoort', 'Weimarstraat', 'Frederik Hendriklaan', 'Prinsegracht', 'Borgesiusstraat'],
  },
  {
    gemeente: { code: '0599', omschrijving: 'Rotterdam' },
    woonplaats: 'Rotterdam',
    postcodes: [3011, 3089],
    streets: ['Coolsingel', 'Nieuwe Binnenweg', 'Witte de Withstraat', 'Beijerlandselaan', 'Oudedijk'],
  },
  {
    gemeente: { code: '0344', omschrijving: 'Utrecht' },
    woonplaats: 'Utrecht',
    postcodes: [3511, 3585],
    streets: ['Oudegracht', 'Biltstraat', 'Amsterdamsestraatweg', 'Twijnstraat', 'Nachtegaalstraat'],
  },
  {
    gemeente: { code: '0014', omschrijving: 'Groningen' },
    woonplaats: 'Groningen',
    postcodes: [9711, 9747],
    streets: ['Herestraat', 'Oosterstraat', 'Paterswoldseweg', 'Nieuwe Ebbingestraat'],
  },
  {
    gemeente: { code: '0080', omschrijving: 'Leeuwarden' },
    woonplaats: 'Leeuwarden',
    postcodes: [8911, 8935],
    streets: ['Nieuwestad', 'Tuinen', 'Harlingerstraatweg', 'Voorstreek'],
  },
];

const MALE_NAMES = [
  'Jan',
  'Pieter',
  'Hendrik',
  'Willem',
  'Johannes',
  'Cornelis',
  'Gerrit',
  'Daan',
  'Sem',
  'Lucas',
  'Thijs',
  'Bram',
  'Ruben',
  'Jeroen',
  'Maarten',
  'Koen',
  'Sander',
  'Bas',
  'Joost',
  'André',
];
const FEMALE_NAMES = [
  'Maria',
  'Anna',
  'Johanna',
  'Elisabeth',
  'Cornelia',
  'Sanne',
  'Emma',
  'Julia',
  'Sophie',
  'Lotte',
  'Anouk',
  'Fleur',
  'Eva',
  'Lisa',
  'Marloes',
  'Ingrid',
  'Femke',
  'Noor',
  'Zoë',
  'Wilhelmina',
];
const SURNAMES: readonly (readonly [string | undefined, string])[] = [
  ['de', 'Vries'],
  [undefined, 'Jansen'],
  ['van', 'Dijk'],
  [undefined, 'Bakker'],
  [undefined, 'Visser'],
  [undefined, 'Smit'],
  [undefined, 'Meijer'],
  ['de', 'Boer'],
  [undefined, 'Mulder'],
  ['de', 'Groot'],
  [undefined, 'Bos'],
  [undefined, 'Vos'],
  [undefined, 'Peters'],
  [undefined, 'Hendriks'],
  ['van', 'Leeuwen'],
  [undefined, 'Dekker'],
  [undefined, 'Brouwer'],
  ['de', 'Wit'],
  [undefined, 'Dijkstra'],
  ['van der', 'Meer'],
  ['van den', 'Berg'],
  [undefined, 'Kok'],
  ['de', 'Haan'],
  [undefined, 'Vermeulen'],
  ['ter', 'Horst'],
  [undefined, 'Hoekstra'],
  [undefined, 'Postma'],
];
// PostNL does not issue SA, SD and SS; using letters from this set avoids them altogether.
const POSTCODE_LETTERS = 'ABCEGHJKLMNPRTVWXZ';
const MONTHS = [
  'januari',
  'februari',
  'maart',
  'april',
  'mei',
  'juni',
  'juli',
  'augustus',
  'september',
  'oktober',
  'november',
  'december',
];

// --- helpers ----------------------------------------------------------------------------------

interface Ymd {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function randomDate(rng: Rng, fromYear: number, toYear: number): Ymd {
  const y = rng.int(fromYear, toYear);
  const m = rng.int(1, 12);
  return { y, m, d: rng.int(1, daysInMonth(y, m)) };
}

function toDatum({ y, m, d }: Ymd): Datum {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return { type: 'Datum', datum: `${y}-${pad(m)}-${pad(d)}`, langFormaat: `${d} ${MONTHS[m - 1] ?? ''} ${y}` };
}

function laterOf(a: Ymd, b: Ymd): Ymd {
  return a.y * 10000 + a.m * 100 + a.d >= b.y * 10000 + b.m * 100 + b.d ? a : b;
}

function voorletters(voornamen: string): string {
  return voornamen
    .split(' ')
    .map((name) => `${name.charAt(0)}.`)
    .join('');
}

/** `de Vries` → `De Vries`: a voorvoegsel that starts the name is capitalised (aanhef, lopende tekst). */
function capitalised(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function surname(naam: NaamGerelateerde): string {
  return naam.voorvoegsel ? `${naam.voorvoegsel} ${naam.geslachtsnaam}` : naam.geslachtsnaam;
}

// --- generation -------------------------------------------------------------------------------

type Sex = 'M' | 'V';

interface Address {
  readonly municipality: Municipality;
  readonly verblijfadres: Verblijfadres;
  readonly adresseerbaarObjectIdentificatie: string;
  readonly nummeraanduidingIdentificatie: string;
  readonly since: Ymd;
}

interface Draft {
  readonly bsn: string;
  readonly sex: Sex;
  readonly naam: NaamGerelateerde;
  readonly born: Ymd;
  readonly birthPlace: Plaats;
  readonly birthCountry: Waardetabel;
  readonly nationaliteiten: Nationaliteit[];
  readonly address: Address;
  died?: { readonly date: Ymd; readonly place: Waardetabel };
  partner?: { readonly bsn: string; readonly soort: Waardetabel; readonly date: Ymd; readonly place: Waardetabel };
  readonly kinderen: string[];
  readonly ouders: string[];
}

class PersonGenerator {
  private readonly rng: Rng;
  private nextBsnCandidate: number;
  private readonly usedAddresses = new Set<string>();
  private bagSequence = 0;
  readonly drafts: Draft[] = [];

  constructor(seed: number) {
    this.rng = rngFrom(seed);
    // The 99999xxxx range is the conventional home of test BSNs (e.g. 999990019).
    this.nextBsnCandidate = 999990000 + this.rng.int(0, 200);
  }

  private bsn(): string {
    // Walk upwards through the valid numbers, skipping a few each time, so numbers look scattered
    // but stay unique and inside the test range.
    let skip = this.rng.int(0, 3);
    for (;;) {
      const candidate = String(this.nextBsnCandidate++);
      if (!isValidBsn(candidate)) continue;
      if (skip-- === 0) return candidate;
    }
  }

  private address(): Address {
    const municipality = this.rng.pick(MUNICIPALITIES);
    for (;;) {
      const straat = this.rng.pick(municipality.streets);
      const huisnummer = this.rng.int(1, 240);
      const huisletter = this.rng.chance(0.15) ? this.rng.pick(['A', 'B', 'C']) : undefined;
      const toevoeging = !huisletter && this.rng.chance(0.12) ? this.rng.pick(['1', '2', 'bis', 'H']) : undefined;
      const digits = this.rng.int(municipality.postcodes[0], municipality.postcodes[1]);
      const postcode = `${digits}${this.rng.pick([...POSTCODE_LETTERS])}${this.rng.pick([...POSTCODE_LETTERS])}`;
      const key = `${postcode}|${huisnummer}|${huisletter ?? ''}|${toevoeging ?? ''}`;
      if (this.usedAddresses.has(key)) continue;
      this.usedAddresses.add(key);
      // BAG identifications: gemeentecode + object type (01 verblijfsobject, 20 nummeraanduiding) + 10 digits.
      const sequence = String(100000 + ++this.bagSequence * 37).padStart(10, '0');
      return {
        municipality,
        verblijfadres: {
          officieleStraatnaam: straat,
          korteStraatnaam: straat,
          huisnummer,
          ...(huisletter ? { huisletter } : {}),
          ...(toevoeging ? { huisnummertoevoeging: toevoeging } : {}),
          postcode,
          woonplaats: municipality.woonplaats,
        },
        adresseerbaarObjectIdentificatie: `${municipality.gemeente.code}01${sequence}`,
        nummeraanduidingIdentificatie: `${municipality.gemeente.code}20${sequence}`,
        since: randomDate(this.rng, 2005, 2023),
      };
    }
  }

  private person(input: {
    sex: Sex;
    born: Ymd;
    address: Address;
    family?: readonly [string | undefined, string];
    birthPlace?: Waardetabel;
  }): Draft {
    const { sex, born, address } = input;
    const first = this.rng.pick(sex === 'M' ? MALE_NAMES : FEMALE_NAMES);
    const second = this.rng.chance(0.45) ? this.rng.pick(sex === 'M' ? MALE_NAMES : FEMALE_NAMES) : undefined;
    const voornamen = second && second !== first ? `${first} ${second}` : first;
    const [voorvoegsel, geslachtsnaam] = input.family ?? this.rng.pick(SURNAMES);
    const abroad = !input.birthPlace && this.rng.chance(0.1) ? this.rng.pick(ABROAD) : undefined;
    const nationaliteiten: Nationaliteit[] = [
      {
        type: 'Nationaliteit',
        nationaliteit: NEDERLANDSE,
        // Born abroad: Dutch by naturalisation some years later; born here: Dutch from birth.
        datumIngangGeldigheid: toDatum(abroad ? randomDate(this.rng, born.y + 18, Math.min(born.y + 30, 2023)) : born),
      },
    ];
    if (abroad)
      nationaliteiten.push({
        type: 'Nationaliteit',
        nationaliteit: abroad.nationaliteit,
        datumIngangGeldigheid: toDatum(born),
      });
    const draft: Draft = {
      bsn: this.bsn(),
      sex,
      naam: { voornamen, ...(voorvoegsel ? { voorvoegsel } : {}), geslachtsnaam, voorletters: voorletters(voornamen) },
      born,
      birthPlace: abroad ? { omschrijving: abroad.plaats } : (input.birthPlace ?? this.rng.pick(BIRTH_PLACES)),
      birthCountry: abroad ? abroad.land : NEDERLAND,
      nationaliteiten,
      address,
      kinderen: [],
      ouders: [],
    };
    this.drafts.push(draft);
    return draft;
  }

  generate(count: number): void {
    let deceasedToMake = 2;
    while (this.drafts.length < count) {
      const remaining = count - this.drafts.length;
      const size = Math.min(remaining, this.rng.pick([1, 2, 2, 3, 4, 4, 5]));
      const address = this.address();
      if (size === 1) {
        // The first singles are elderly and deceased, so the data set exercises inclusiefOverledenPersonen.
        const deceased = deceasedToMake > 0;
        const born = deceased ? randomDate(this.rng, 1928, 1945) : randomDate(this.rng, 1940, 2002);
        const single = this.person({ sex: this.rng.chance(0.5) ? 'M' : 'V', born, address });
        if (deceased) {
          deceasedToMake--;
          // Died at home, after moving there.
          single.died = {
            date: laterOf(randomDate(this.rng, 2019, 2023), address.since),
            place: address.municipality.gemeente,
          };
        }
        continue;
      }
      const singleParent = size <= 3 && this.rng.chance(0.3);
      const parentYear = this.rng.int(1962, 1994);
      const mother = this.person({ sex: 'V', born: randomDate(this.rng, parentYear - 3, parentYear + 2), address });
      const parents: Draft[] = [mother];
      if (!singleParent) {
        const father = this.person({ sex: 'M', born: randomDate(this.rng, parentYear - 2, parentYear + 3), address });
        parents.unshift(father);
        const youngest = laterOf(father.born, mother.born);
        const date = randomDate(this.rng, youngest.y + 20, Math.min(youngest.y + 26, 2023));
        const soort = this.rng.chance(0.8) ? VERBINTENIS.H : VERBINTENIS.P;
        const place = address.municipality.gemeente;
        father.partner = { bsn: mother.bsn, soort, date, place };
        mother.partner = { bsn: father.bsn, soort, date, place };
      }
      const childCount = size - parents.length;
      const family = parents[0] ? ([parents[0].naam.voorvoegsel, parents[0].naam.geslachtsnaam] as const) : undefined;
      for (let i = 0; i < childCount; i++) {
        const born = randomDate(this.rng, parentYear + 24, Math.min(parentYear + 40, 2023));
        const child = this.person({
          sex: this.rng.chance(0.5) ? 'M' : 'V',
          born,
          address,
          ...(family ? { family } : {}),
          birthPlace: address.municipality.gemeente,
        });
        for (const parent of parents) {
          parent.kinderen.push(child.bsn);
          child.ouders.push(parent.bsn);
        }
      }
    }
  }
}

function geboorteOf(draft: Draft): Geboorte {
  return { datum: toDatum(draft.born), plaats: draft.birthPlace, land: draft.birthCountry };
}

function adresseringOf(draft: Draft): Adressering {
  const { naam, sex, address } = draft;
  const { verblijfadres: adres } = address;
  const family = capitalised(surname(naam));
  const huisnummer = `${adres.huisnummer}${adres.huisletter ?? ''}${adres.huisnummertoevoeging ? `-${adres.huisnummertoevoeging}` : ''}`;
  const postcode = `${adres.postcode.slice(0, 4)} ${adres.postcode.slice(4)}`;
  return {
    aanhef: `Geachte ${sex === 'M' ? 'heer' : 'mevrouw'} ${family}`,
    aanschrijfwijze: { naam: `${naam.voorletters} ${surname(naam)}` },
    gebruikInLopendeTekst: `${sex === 'M' ? 'de heer' : 'mevrouw'} ${family}`,
    adresregel1: `${adres.korteStraatnaam} ${huisnummer}`,
    // BRP adresregel2: postcode, two spaces, woonplaats in capitals.
    adresregel2: `${postcode}  ${adres.woonplaats.toUpperCase()}`,
  };
}

function finish(draft: Draft, byBsn: ReadonlyMap<string, Draft>): Person {
  const related = (bsn: string): Draft => {
    const found = byBsn.get(bsn);
    if (!found) throw new Error('dangling relation in generated persons');
    return found;
  };
  const { address } = draft;
  const registered = laterOf(address.since, draft.born);
  const person: Person = {
    burgerservicenummer: draft.bsn,
    geslacht: GESLACHT[draft.sex],
    naam: {
      ...draft.naam,
      volledigeNaam: `${draft.naam.voornamen} ${surname(draft.naam)}`,
      aanduidingNaamgebruik: EIGEN_NAAM,
    },
    geboorte: geboorteOf(draft),
    ...(draft.died
      ? {
          overlijden: {
            indicatieOverleden: true,
            datum: toDatum(draft.died.date),
            plaats: draft.died.place,
            land: NEDERLAND,
          },
        }
      : {}),
    nationaliteiten: draft.nationaliteiten,
    gemeenteVanInschrijving: address.municipality.gemeente,
    datumInschrijvingInGemeente: toDatum(registered),
    verblijfplaats: {
      type: 'Adres',
      verblijfadres: address.verblijfadres,
      functieAdres: WOONADRES,
      adresseerbaarObjectIdentificatie: address.adresseerbaarObjectIdentificatie,
      nummeraanduidingIdentificatie: address.nummeraanduidingIdentificatie,
      datumVan: toDatum(registered),
    },
    adressering: adresseringOf(draft),
    partners: draft.partner
      ? [
          {
            burgerservicenummer: draft.partner.bsn,
            geslacht: GESLACHT[related(draft.partner.bsn).sex],
            naam: related(draft.partner.bsn).naam,
            geboorte: geboorteOf(related(draft.partner.bsn)),
            soortVerbintenis: draft.partner.soort,
            aangaanHuwelijkPartnerschap: {
              datum: toDatum(draft.partner.date),
              plaats: draft.partner.place,
              land: NEDERLAND,
            },
          },
        ]
      : [],
    kinderen: draft.kinderen.map((bsn) => ({
      burgerservicenummer: bsn,
      naam: related(bsn).naam,
      geboorte: geboorteOf(related(bsn)),
    })),
    ouders: draft.ouders.map((bsn, index) => ({
      burgerservicenummer: bsn,
      ouderAanduiding: index === 0 ? '1' : '2',
      geslacht: GESLACHT[related(bsn).sex],
      naam: related(bsn).naam,
      geboorte: geboorteOf(related(bsn)),
      datumIngangFamilierechtelijkeBetrekking: toDatum(draft.born),
    })),
  };
  return deepFreeze(person);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Generates `count` synthetic persons from `seed`: households sharing an address, partners and
 * parent/child relations referring to each other by BSN. Pure: the same arguments always give
 * the same persons.
 */
export function generatePersons(seed: number = DEMO_SEED, count: number = DEMO_PERSON_COUNT): readonly Person[] {
  const generator = new PersonGenerator(seed);
  generator.generate(count);
  const byBsn = new Map(generator.drafts.map((draft) => [draft.bsn, draft]));
  return Object.freeze(generator.drafts.map((draft) => finish(draft, byBsn)));
}

/** The demo data set: {@link DEMO_PERSON_COUNT} persons from {@link DEMO_SEED}. */
export const persons: readonly Person[] = generatePersons();
