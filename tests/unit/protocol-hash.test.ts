// Contract content hashes and grant hashes, both schemes (fsc-core "The content hash", "Grant hash").
//
// The expected hashes below were computed INDEPENDENTLY of gateway/protocol with python3 (hashlib's
// SHA3-512, a hand-written RFC 8785 canonicaliser, struct.pack for the fsc-1.1 bytes). Rerun with
//   python3 vectors.py tests/unit/fixtures/fsc-contracts.json
// where vectors.py is the script below. (Its jcs() equals RFC 8785 for what the fixtures hold: integers,
// strings, booleans, null, arrays and objects; json.dumps(ensure_ascii=False) escapes exactly `"`, `\`
// and U+0000..U+001F, and member names are sorted by their UTF-16 code units.)
//
// Neither the fsc-core text nor manager.yaml publishes a vector tied to a contract: the `gth` in the
// access-token examples is written in standard base64 (`+`, `/`, not the base64url the text prescribes)
// and hashes nothing shown. The reference implementation (open-fsc / fsc-nlx) is not in the searchable
// corpus, so no vectors from it are included. The manager.yaml example hash strings are used below as
// parse vectors only.
//
// ---- vectors.py --------------------------------------------------------------------------------------
// import base64, hashlib, json, struct, sys, uuid
//
// def jcs(v):  # RFC 8785, enough for the fixtures: ints, strings, bools, null, arrays, objects
//     if v is None: return 'null'
//     if v is True: return 'true'
//     if v is False: return 'false'
//     if isinstance(v, int): return str(v)
//     if isinstance(v, str): return json.dumps(v, ensure_ascii=False)  # escapes only " \ and < U+0020
//     if isinstance(v, list): return '[' + ','.join(jcs(x) for x in v) + ']'
//     if isinstance(v, dict):
//         keys = sorted(v, key=lambda k: k.encode('utf-16-be'))  # UTF-16 code-unit order
//         return '{' + ','.join(jcs(k) + ':' + jcs(v[k]) for k in keys) + '}'
//     raise TypeError(v)
//
// def h(hash_type, data):
//     d = hashlib.sha3_512(data).digest()
//     return '$1$%d$%s' % (hash_type, base64.urlsafe_b64encode(d).decode().rstrip('='))
//
// HASH_TYPE = {'GRANT_TYPE_SERVICE_PUBLICATION': 2, 'GRANT_TYPE_SERVICE_CONNECTION': 3,
//              'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION': 4, 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION': 5}
// GRANT_TYPE = {'GRANT_TYPE_SERVICE_PUBLICATION': 1, 'GRANT_TYPE_SERVICE_CONNECTION': 2,
//               'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION': 3, 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION': 4}
// SERVICE_TYPE = {'SERVICE_TYPE_SERVICE': 1, 'SERVICE_TYPE_DELEGATED_SERVICE': 2}
// u8 = lambda s: s.encode('utf-8')
// i32 = lambda n: struct.pack('<i', n)
// i64 = lambda n: struct.pack('<q', n)
//
// def jcs_hashes(c):
//     ch = h(1, u8(jcs(c)))
//     return ch, [h(HASH_TYPE[g['data']['type']], u8(ch) + u8(jcs(g['data']))) for g in c['grants']]
//
// def fsc11_grant_bytes(c, d):
//     b = u8(c['group_id']) + uuid.UUID(c['iv']).bytes + i32(GRANT_TYPE[d['type']])
//     s = d['service']
//     if 'directory' in d:  # (delegated) publication: directory, service{peer_id, name, protocol}
//         b += u8(d['directory']['peer_id']) + u8(s['peer_id']) + u8(s['name']) + u8(s['protocol'])
//     else:  # (delegated) connection: outway{peer_id, thumbprint}, service{type, peer_id, name[, delegator]}
//         b += u8(d['outway']['peer_id']) + u8(d['outway']['public_key_thumbprint'])
//         b += i32(SERVICE_TYPE[s['type']]) + u8(s['peer_id']) + u8(s['name'])
//         if s['type'] == 'SERVICE_TYPE_DELEGATED_SERVICE':
//             b += u8(s['delegator']['peer_id'])
//     if 'delegator' in d:
//         b += u8(d['delegator']['peer_id'])
//     return b
//
// def fsc11_hashes(c):
//     gh = [h(HASH_TYPE[g['data']['type']], fsc11_grant_bytes(c, g['data'])) for g in c['grants']]
//     b = u8(c['group_id']) + uuid.UUID(c['iv']).bytes
//     b += i64(c['validity']['not_before']) + i64(c['validity']['not_after']) + i64(c['created_at'])
//     b += b''.join(sorted(u8(x) for x in gh))
//     return h(1, b), gh
//
// for name, c in json.load(open(sys.argv[1], encoding='utf-8')).items():
//     print(name, 'jcs', *jcs_hashes(c)[:1], *jcs_hashes(c)[1])
//     if not any('properties' in g['data'] for g in c['grants']):
//         print(name, 'fsc-1.1', *fsc11_hashes(c)[:1], *fsc11_hashes(c)[1])
// ------------------------------------------------------------------------------------------------------
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  contentHash,
  formatHash,
  fsc11GrantBytes,
  FscError,
  grantHash,
  grantHashes,
  HashType,
  hashTypeOfGrant,
  isGrantHashType,
  parseContractContent,
  parseHash,
} from '../../gateway/protocol/index.ts';
import type { ContractContent, HashScheme } from '../../gateway/protocol/index.ts';

type FixtureName = 'publication' | 'connection' | 'delegated-connection' | 'delegated-publication' | 'properties';
const raw = JSON.parse(readFileSync(new URL('./fixtures/fsc-contracts.json', import.meta.url), 'utf8')) as Record<
  FixtureName,
  unknown
>;
const fixture = (name: FixtureName): ContractContent => parseContractContent(structuredClone(raw[name]));

/** Output of vectors.py: [fixture, scheme, content hash, grant hashes in order]. */
const VECTORS: Array<[FixtureName, HashScheme, string, string[]]> = [
  [
    'publication',
    'jcs',
    '$1$1$UmbAVixci54RtKFBvB65dM14__VjOUfqLl84eucXIpOdtrpoOqxavCs-994BYnLwuufhpcThz1fc0mtZMp7q3w',
    [
      '$1$2$zvypqzDn8ZqM69i1kOjJKZI_I88qIQoKYDftXYyugtNYUOr690Yj2CabzSBwj5YQSkFMH7D4dJrRGYMHYwN4_g',
      '$1$2$ekhaiZm49SrTllfHEJWJoWBmMIWuEaUuVx5nBajQ5V73DkmO1-g96qZ59nGFOpe4w9r2FDXJYH6usxNj0aiw-g',
    ],
  ],
  [
    'publication',
    'fsc-1.1',
    '$1$1$gV8rPrFMCr9HEwvjIpnXuuzc2qSY0rGm2LX8LF1X2l_eO7Yy2R7mYRUepvFMp-hGu_97YZJgj2mIS6WQklLBSA',
    [
      '$1$2$VKfny_bs7dS6LWITjv-9485CUPHRo81rXTeCoV84mJXXc2tnXgIrQNVph7TzWWatOiIvNxiNfmtas1si0VkcHw',
      '$1$2$Xk1GEdkO7jdeF4ebHzAIXC1mcHTts98ci5_zjt-CmPpCS2VbzCQvv7uKY_t-meulvDhMdu3TwHMvdn2agr8BqA',
    ],
  ],
  [
    'connection',
    'jcs',
    '$1$1$3M0fPEejF4BIVuf_9X1vHlzT8e-2e8UxxfHSjc4oUMSwirv9Ff1_I_pcCT6Z9hGrA0Jdk2vXSXq50eBlUl3qkg',
    [
      '$1$3$3bpoN93s5hfVZ9G50sM8b2Crb3e1Y9sldLqceNpol5vklwru7t1Zi_BdEBx6jXfKr_4EW3ohQ-ogxjy1_LRcpw',
      '$1$3$sf_cAn0GQxTj5FODiqx_pDFCulTh4ZBsUlTMJIqkRRpicR9wkXK3t2YGlZBhEkWCtAK6HzSg7iZCbanJUGfDDw',
    ],
  ],
  [
    'connection',
    'fsc-1.1',
    '$1$1$JzsX02YaeqtPxtPwKwA6UejNFGXud9aYyUoOjQxZGMXaEQTMhRr9gGP3iCG_6-7toPtfBpo_qA7LNVSnXxCioA',
    [
      '$1$3$i7LzkUy4G7JFSg3dzMfJ3tyF1tVaVP9TElk3FiK5VENxxysvXdD503cA1Y1JkJ2HKyqhK-XEpXXCqJO_VyjYjA',
      '$1$3$XCprMcv0wmrG_DVZkITcF6TF5WiqPby2gN1u8b2_SO4f7fhIJGcswMptsf0zZbXZS_hvDKBYv-mdl1e10_xFRQ',
    ],
  ],
  [
    'delegated-connection',
    'jcs',
    '$1$1$Rmk73_j-2L95t-Yl1aCoJrr1gTpIPcMYL0WkyM0XFQNS0YIFg2AKoDe3RjMIEA5ZrXzfQfxdga2LQqJm9Lgofw',
    ['$1$4$ab5Qmdcjkltqt7O_JoDGObSuO83_09nhYCvy5IYwYAdquJhac1sj5mMfWvJhQxSm6DbHRCya9qJcaAXZRxNHaw'],
  ],
  [
    'delegated-connection',
    'fsc-1.1',
    '$1$1$sceTjykSpIFlIVQgCEayJ77RBImQU90RJn4IMgTqAnL98r8IJ7aks5x4kYQaKPAss8t-1wzNiRX2iikIc_j0uQ',
    ['$1$4$sB1MxEVZHnFoydav5GadpDBCmlkjmgGLwH4vqZBHom0hcsTG_EWChmMPLkez5sXgu-8ZWvsgTOlG7rHXnJ2jNA'],
  ],
  [
    'delegated-publication',
    'jcs',
    '$1$1$Vch5Sv2XrpkgPTNyb1_FqnerYNfPfefYFM2iJ__SWO5p5oG6QYAWCsjTxBkImJ7x9LLJI1Y3SYNqnlR2uDt3Dw',
    ['$1$5$vUw7U6J4ItiPHqYhcmNBg2zCuAHXbjhXbfwghlpIj6KLxMPIUPfvDVof3exB12iB1imNODWzMwu6kiCDVHi2Ow'],
  ],
  [
    'delegated-publication',
    'fsc-1.1',
    '$1$1$3XW3yy8SRJPBKz9TNJlNNPHv5G8k_bT47XYkSTChCrV7K91QzYLFdhM4Uo-dlDlf18d694rt11gSPmrzNeg81w',
    ['$1$5$SgOla5QumBBfKkvIirV7sLFWEWrmkqABp_GUeOUPnxTP0ws4q-S2qWfqnmRyn7haoBhZ2E6uumYTRlww-eE4HQ'],
  ],
  [
    'properties',
    'jcs',
    '$1$1$05UVTZumzx3OYkmM_zBQ6UsU5b0kM2QwPequUljsVM21eiAp_gSWdlJ_UXewqKuryYCzqqmT5RKZAI5Jy2j25Q',
    ['$1$3$hSt1x05N26cR1K0doAGALsjmXJvpsfRe4TeY4GNVV9_Sg2SLltXSj7FXl0DW1ZAnhFf72FdSDFLbNPbr4sVUVg'],
  ],
];

function fscErrorOf(fn: () => unknown): FscError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FscError) return err;
    throw err;
  }
  throw new Error('expected an FscError');
}

describe('content and grant hashes: independent python vectors', () => {
  it.each(VECTORS)('%s (%s scheme)', (name, scheme, expectedContent, expectedGrants) => {
    const content = fixture(name);
    expect(contentHash(content, scheme)).toBe(expectedContent);
    expect(grantHashes(content, scheme)).toEqual(expectedGrants);
    expectedGrants.forEach((expected, i) => {
      expect(grantHash(content, i, scheme)).toBe(expected);
      expect(grantHash(content, content.grants[i]!, scheme)).toBe(expected);
    });
  });

  it('uses the jcs scheme by default', () => {
    const content = fixture('connection');
    expect(contentHash(content)).toBe(contentHash(content, 'jcs'));
    expect(grantHashes(content)).toEqual(grantHashes(content, 'jcs'));
    expect(grantHash(content, 1)).toBe(grantHashes(content, 'jcs')[1]);
  });

  it('hashes the same content regardless of member order (jcs)', () => {
    const reverseKeys = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reverseKeys);
      if (typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(
        Object.entries(v)
          .reverse()
          .map(([k, x]) => [k, reverseKeys(x)]),
      );
    };
    const content = fixture('delegated-connection');
    const reordered = reverseKeys(content) as ContractContent;
    expect(Object.keys(reordered)[0]).toBe('created_at');
    expect(contentHash(reordered)).toBe(contentHash(content));
    expect(grantHashes(reordered)).toEqual(grantHashes(content));
  });
});

describe('hash sensitivity', () => {
  // The last column: whether the field is part of the fsc-1.1 grant bytes (group_id, iv and the grant
  // fields are; validity and created_at only enter the 1.1 content bytes). In the jcs scheme the grant
  // hash covers the content hash, so every field counts.
  const mutations: Array<[string, (c: ContractContent) => void, boolean]> = [
    ['group_id', (c) => (c.group_id = 'koppel-other'), true],
    ['iv', (c) => (c.iv = '0193e8a4-5b2c-7d11-9f00-2a6c8e4b1d38'), true],
    ['not_before', (c) => (c.validity.not_before += 1), false],
    ['not_after', (c) => (c.validity.not_after += 1), false],
    ['created_at', (c) => (c.created_at += 1), false],
    [
      'service name',
      (c) => ((c.grants[0]!.data as { service: { name: string } }).service.name = 'other-service'),
      true,
    ],
    [
      'outway thumbprint',
      (c) =>
        ((c.grants[0]!.data as { outway: { public_key_thumbprint: string } }).outway.public_key_thumbprint = 'b'.repeat(
          64,
        )),
      true,
    ],
  ];
  it.each(mutations)(
    'a different %s changes the content hash in both schemes and the grant hash where covered',
    (_field, mutate, inFsc11Grant) => {
      for (const scheme of ['jcs', 'fsc-1.1'] as const) {
        const a = fixture('connection');
        const b = fixture('connection');
        mutate(b);
        expect(contentHash(b, scheme)).not.toBe(contentHash(a, scheme));
        if (scheme === 'jcs' || inFsc11Grant) expect(grantHash(b, 0, scheme)).not.toBe(grantHash(a, 0, scheme));
        else expect(grantHash(b, 0, scheme)).toBe(grantHash(a, 0, scheme));
      }
    },
  );

  it('fsc-1.1 sorts grant hashes, so grant order does not change the content hash; jcs keeps array order', () => {
    const a = fixture('connection');
    const b = fixture('connection');
    b.grants.reverse();
    expect(contentHash(b, 'fsc-1.1')).toBe(contentHash(a, 'fsc-1.1'));
    expect(contentHash(b, 'jcs')).not.toBe(contentHash(a, 'jcs'));
  });

  it('properties are part of the jcs grant hash', () => {
    const a = fixture('properties');
    const b = fixture('properties');
    (b.grants[0]!.data.properties as Record<string, unknown>).doelbinding = 'other';
    expect(grantHash(b, 0)).not.toBe(grantHash(a, 0));
  });
});

describe('fsc-1.1 grant bytes', () => {
  it('start with group_id, the 16 iv bytes and the grant type as int32 little-endian', () => {
    const content = fixture('connection');
    const bytes = fsc11GrantBytes(content, content.grants[1]!.data);
    const groupId = Buffer.from('koppel-test', 'utf8');
    expect(bytes.subarray(0, groupId.length)).toEqual(groupId);
    expect(bytes.subarray(groupId.length, groupId.length + 16)).toEqual(
      Buffer.from('0193e8a45b2c7d119f002a6c8e4b1d37', 'hex'),
    );
    expect(bytes.subarray(groupId.length + 16, groupId.length + 20)).toEqual(Buffer.from([2, 0, 0, 0]));
    // ... and end with the delegated service: type 2 (int32 LE), peer id, name, delegator peer id.
    const tail = Buffer.concat([
      Buffer.from([2, 0, 0, 0]),
      Buffer.from('00000001555555550000kadaster_brk00000001234567890000'),
    ]);
    expect(bytes.subarray(bytes.length - tail.length)).toEqual(tail);
  });

  it('refuses grant properties, which 1.1 cannot hash', () => {
    const content = fixture('properties');
    for (const fn of [
      () => contentHash(content, 'fsc-1.1'),
      () => grantHash(content, 0, 'fsc-1.1'),
      () => grantHashes(content, 'fsc-1.1'),
    ]) {
      const err = fscErrorOf(fn);
      expect(err.code).toBe('ERROR_CODE_INVALID_CONTRACT');
      expect(err.message).toMatch(/properties/);
    }
  });
});

describe('hash algorithm and grant index', () => {
  it('refuses an unknown hash_algorithm in content that bypassed the parser', () => {
    const content = { ...fixture('publication'), hash_algorithm: 'HASH_ALGORITHM_MD5' } as unknown as ContractContent;
    expect(fscErrorOf(() => contentHash(content)).code).toBe('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH');
    expect(fscErrorOf(() => grantHashes(content, 'fsc-1.1')).code).toBe('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH');
  });

  it('throws for an unknown scheme instead of falling back to another construction', () => {
    const content = fixture('publication');
    const scheme = 'sha256' as unknown as HashScheme;
    expect(() => contentHash(content, scheme)).toThrow(/unknown hash scheme sha256/);
    expect(() => grantHash(content, 0, scheme)).toThrow(TypeError);
    expect(() => grantHashes(content, scheme)).toThrow(TypeError);
  });

  it('throws a RangeError for a grant index that does not exist', () => {
    const content = fixture('publication');
    expect(() => grantHash(content, 2)).toThrow(RangeError);
    expect(() => grantHash(content, -1)).toThrow(RangeError);
    expect(() => grantHash(content, 0.5)).toThrow(RangeError);
  });
});

describe('hash types', () => {
  it('maps grant types to hash types per fsc-core "Type mappings" (the table, not the "$1$2$" example)', () => {
    expect(hashTypeOfGrant('GRANT_TYPE_SERVICE_PUBLICATION')).toBe(HashType.ServicePublicationGrant);
    expect(hashTypeOfGrant('GRANT_TYPE_SERVICE_CONNECTION')).toBe(3);
    expect(hashTypeOfGrant('GRANT_TYPE_DELEGATED_SERVICE_CONNECTION')).toBe(4);
    expect(hashTypeOfGrant('GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION')).toBe(5);
    expect(HashType.Contract).toBe(1);
    expect(isGrantHashType(HashType.Contract)).toBe(false);
    expect(isGrantHashType(HashType.ServiceConnectionGrant)).toBe(true);
  });
});

describe('parseHash / formatHash', () => {
  it('parses a computed hash and formats it back to the same string', () => {
    const hash = grantHashes(fixture('delegated-connection'))[0]!;
    const parsed = parseHash(hash);
    expect(parsed.algorithm).toBe('HASH_ALGORITHM_SHA3_512');
    expect(parsed.type).toBe(HashType.DelegatedServiceConnectionGrant);
    expect(parsed.digest).toHaveLength(64);
    expect(parsed.hash).toBe(hash);
    expect(formatHash(parsed.algorithm, parsed.type, parsed.digest)).toBe(hash);
  });

  it('parses the example hashes of manager.yaml', () => {
    expect(
      parseHash('$1$4$-PQI7we01qIfEwq4O5UioLKzjGBgRva6F5-bUfDlKxUjcY5yX1MRsn6NKquDbL8VcklhYO9sk18rHD6La3w_mg').type,
    ).toBe(HashType.DelegatedServiceConnectionGrant);
    expect(
      parseHash('$1$1$ouqPHvHP9-ZDKo4YDNz4GGYENOQQ80knSVg6lJ_MjaTLE_o3GgD1Vzyzteu791X0rkX6FvlJzyBYdZuD6hlWrQ').type,
    ).toBe(HashType.Contract);
  });

  it('formats a digest as unpadded base64url', () => {
    const digest = Buffer.alloc(64, 0xff);
    const s = formatHash('HASH_ALGORITHM_SHA3_512', HashType.ServiceConnectionGrant, digest);
    expect(s).toBe(`$1$3$${'_'.repeat(85)}w`);
    expect(s).not.toMatch(/[=+/]/);
  });

  it('throws ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH for an unknown algorithm', () => {
    const digest = Buffer.alloc(64).toString('base64url');
    const err = fscErrorOf(() => parseHash(`$2$1$${digest}`));
    expect(err.code).toBe('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH');
    expect(err.status).toBe(422);
  });

  const valid = Buffer.alloc(64, 7).toString('base64url');
  it.each([
    ['empty string', ''],
    ['no dollar signs', valid],
    ['missing type', `$1$${valid}`],
    ['leading zero', `$01$1$${valid}`],
    ['hash type 0', `$1$0$${valid}`],
    ['hash type 6', `$1$6$${valid}`],
    ['digest too short', `$1$1$${Buffer.alloc(32).toString('base64url')}`],
    ['padding', `$1$1$${valid}==`],
    [
      'standard base64 (the fsc-core access-token example)',
      '$1$4$+PQI7we01qIfEwq4O5UioLKzjGBgRva6F5+bUfDlKxUjcY5yX1MRsn6NKquDbL8VcklhYO9sk18rHD6La3w/mg',
    ],
    ['non-canonical trailing bits', `$1$1$${valid.slice(0, -1)}x`],
    ['trailing newline', `$1$1$${valid}\n`],
    ['too long', `$1$1$${'A'.repeat(1100)}`],
  ])('throws ERROR_CODE_BAD_REQUEST for %s', (_name, s) => {
    const err = fscErrorOf(() => parseHash(s));
    expect(err.code).toBe('ERROR_CODE_BAD_REQUEST');
    expect(err.reason).toBe('malformed-hash');
  });

  it('throws ERROR_CODE_BAD_REQUEST for a non-string', () => {
    expect(fscErrorOf(() => parseHash(42 as unknown as string)).code).toBe('ERROR_CODE_BAD_REQUEST');
  });
});

describe('assertKnownHashAlgorithm', () => {
  it('throws the unknown-algorithm code for a well-shaped hash with an unknown algorithm number, and nothing else', async () => {
    const { assertKnownHashAlgorithm, FscError } = await import('../../gateway/protocol/index.ts');
    const unknown = `$9$1$${'A'.repeat(86)}`;
    expect(() => assertKnownHashAlgorithm(unknown)).toThrow(FscError);
    try {
      assertKnownHashAlgorithm(unknown, 'ERROR_DOMAIN_OUTWAY');
      expect.unreachable('an unknown algorithm must throw');
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', status: 422, domain: 'ERROR_DOMAIN_OUTWAY' });
    }
    // Known algorithm, or not a hash at all: the caller reports those its own way.
    expect(() => assertKnownHashAlgorithm(`$1$1$${'A'.repeat(86)}`)).not.toThrow();
    expect(() => assertKnownHashAlgorithm('not a hash')).not.toThrow();
  });
});
