// Structural parsing of contract content against manager.yaml `contractContent` (and fsc-core's
// patterns for group id and service name): every problem is reported with the path of its field.
import { describe, expect, it } from 'vitest';
import {
  ContractValidationError,
  FscError,
  isFscError,
  MAX_PROPERTIES_BYTES,
  parseContract,
  parseContractContent,
} from '../../gateway/protocol/index.ts';
import { rawFixture, type FixtureName } from './fixtures/fsc-contracts.ts';

function issuesOf(input: unknown, options?: { path?: string }): string[] {
  try {
    parseContractContent(input, options);
  } catch (err) {
    if (err instanceof ContractValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a ContractValidationError');
}

type Json = Record<string, unknown>;
const grant0 = (c: Json): Json => (c.grants as Json[])[0]!.data as Json;

describe('parseContractContent', () => {
  it.each<FixtureName>(['publication', 'connection', 'delegated-connection', 'delegated-publication', 'properties'])(
    'accepts the %s fixture and returns an equal, independent copy',
    (name) => {
      const input = rawFixture(name);
      const parsed = parseContractContent(input);
      expect(parsed).toEqual(input);
      expect(parsed).not.toBe(input);
      expect(parsed.grants[0]).not.toBe((input.grants as unknown[])[0]);
    },
  );

  it('throws an FscError ERROR_CODE_INVALID_CONTRACT (422) listing the issues', () => {
    const input = rawFixture('connection');
    (grant0(input).service as Json).name = 'no spaces allowed';
    let caught: unknown;
    try {
      parseContractContent(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ContractValidationError);
    expect(caught).toBeInstanceOf(FscError);
    expect(isFscError(caught)).toBe(true);
    const err = caught as ContractValidationError;
    expect(err.code).toBe('ERROR_CODE_INVALID_CONTRACT');
    expect(err.status).toBe(422);
    expect(err.domain).toBe('ERROR_DOMAIN_MANAGER');
    expect(err.issues).toEqual([
      { path: 'grants[0].data.service.name', message: 'must match ^[a-zA-Z0-9-._]{1,100}$' },
    ]);
    expect(err.message).toBe('invalid contract: grants[0].data.service.name: must match ^[a-zA-Z0-9-._]{1,100}$');
  });

  it('rejects the fsc-core "Contracts" example, whose service lacks the `type` manager.yaml requires', () => {
    const specExample = {
      iv: '06338364-8305-7b74-8000-de4963503139',
      group_id: 'fsc-example-group',
      validity: { not_before: 1672527600, not_after: 1704063600 },
      grants: [
        {
          data: {
            type: 'GRANT_TYPE_SERVICE_CONNECTION',
            service: { peer_id: '00000000000000000001', name: 'example-service' },
            outway: {
              peer_id: '00000000000000000002',
              public_key_thumbprint: '3a56f2e9269ac63f0d4394c46b96539da1625b6a985d38029ff89f34e490960c',
            },
          },
        },
      ],
      hash_algorithm: 'HASH_ALGORITHM_SHA3_512',
      created_at: 1672527600,
    };
    expect(issuesOf(specExample)).toEqual([
      'grants[0].data.service.type: must be one of SERVICE_TYPE_SERVICE, SERVICE_TYPE_DELEGATED_SERVICE',
    ]);
  });

  it.each<[string, unknown, string]>([
    ['an array', [], ': must be an object'],
    ['null', null, ': must be an object'],
    ['a string', 'contract', ': must be an object'],
  ])('rejects %s as content', (_name, input, issue) => {
    expect(issuesOf(input)).toEqual([issue]);
  });

  const cases: Array<[string, (c: Json) => void, string]> = [
    ['a missing field', (c) => delete c.validity, 'validity: is required'],
    ['an unknown top-level field', (c) => (c.version = 2), 'version: unknown field'],
    ['an unknown grant field', (c) => (grant0(c).extra = true), 'grants[0].data.extra: unknown field'],
    ['an unknown field next to data', (c) => ((c.grants as Json[])[0]!.type = 'x'), 'grants[0].type: unknown field'],
    ['an iv that is not a UUID', (c) => (c.iv = 'not-a-uuid'), 'iv: must be a UUID'],
    ['an iv that is not a string', (c) => (c.iv = 7), 'iv: must be a string'],
    ['a group_id with a space', (c) => (c.group_id = 'my group'), 'group_id: must match ^[a-zA-Z0-9./_-]{1,100}$'],
    ['an empty group_id', (c) => (c.group_id = ''), 'group_id: must match ^[a-zA-Z0-9./_-]{1,100}$'],
    [
      'a fractional not_before',
      (c) => ((c.validity as Json).not_before = 1.5),
      'validity.not_before: must be an integer (Unix time in seconds)',
    ],
    [
      'a string not_after',
      (c) => ((c.validity as Json).not_after = '1798761600'),
      'validity.not_after: must be an integer (Unix time in seconds)',
    ],
    [
      'a negative created_at',
      (c) => (c.created_at = -1),
      'created_at: must be a Unix time in seconds between 0 and 253402300799',
    ],
    [
      'milliseconds instead of seconds',
      (c) => (c.created_at = 1767139200000),
      'created_at: must be a Unix time in seconds between 0 and 253402300799',
    ],
    ['grants that are not an array', (c) => (c.grants = {}), 'grants: must be an array'],
    ['a grant that is not an object', (c) => (c.grants = [1]), 'grants[0]: must be an object'],
    ['a grant without data', (c) => (c.grants = [{}]), 'grants[0].data: is required'],
    [
      'an unknown grant type',
      (c) => (grant0(c).type = 'GRANT_TYPE_PEER_REGISTRATION'),
      'grants[0].data.type: must be one of GRANT_TYPE_SERVICE_PUBLICATION, GRANT_TYPE_SERVICE_CONNECTION, GRANT_TYPE_DELEGATED_SERVICE_CONNECTION, GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
    ],
    [
      'a hash_algorithm that is not a string',
      (c) => (c.hash_algorithm = 1),
      'hash_algorithm: must be one of HASH_ALGORITHM_SHA3_512',
    ],
    [
      'a service name that is too short',
      (c) => ((grant0(c).service as Json).name = 'ab'),
      'grants[0].data.service.name: must be at least 3 characters',
    ],
    [
      'a service name of 101 characters',
      (c) => ((grant0(c).service as Json).name = 'a'.repeat(101)),
      'grants[0].data.service.name: must match ^[a-zA-Z0-9-._]{1,100}$',
    ],
    [
      'a peer id of 2 characters',
      (c) => ((grant0(c).outway as Json).peer_id = '12'),
      'grants[0].data.outway.peer_id: must be 3 to 255 characters',
    ],
    [
      'a peer id of 256 characters',
      (c) => ((grant0(c).service as Json).peer_id = '1'.repeat(256)),
      'grants[0].data.service.peer_id: must be 3 to 255 characters',
    ],
    [
      'a thumbprint that is not hex',
      (c) => ((grant0(c).outway as Json).public_key_thumbprint = 'z'.repeat(64)),
      'grants[0].data.outway.public_key_thumbprint: must be 64 hexadecimal characters (SHA-256 of the public key)',
    ],
    [
      'a thumbprint of 63 characters',
      (c) => ((grant0(c).outway as Json).public_key_thumbprint = 'a'.repeat(63)),
      'grants[0].data.outway.public_key_thumbprint: must be 64 hexadecimal characters (SHA-256 of the public key)',
    ],
    [
      'a missing thumbprint',
      (c) => delete (grant0(c).outway as Json).public_key_thumbprint,
      'grants[0].data.outway.public_key_thumbprint: is required',
    ],
    [
      'an unknown service type',
      (c) => ((grant0(c).service as Json).type = 'SERVICE_TYPE_OTHER'),
      'grants[0].data.service.type: must be one of SERVICE_TYPE_SERVICE, SERVICE_TYPE_DELEGATED_SERVICE',
    ],
    [
      'a plain service with a delegator',
      (c) => ((grant0(c).service as Json).delegator = { peer_id: '00000001777777770000' }),
      'grants[0].data.service.delegator: unknown field',
    ],
    [
      'properties that are an array',
      (c) => (grant0(c).properties = []),
      'grants[0].data.properties: must be a JSON object',
    ],
    [
      'properties that are null',
      (c) => (grant0(c).properties = null),
      'grants[0].data.properties: must be a JSON object',
    ],
  ];
  it.each(cases)('reports %s with its path (connection grant)', (_name, mutate, issue) => {
    const input = rawFixture('connection');
    mutate(input);
    expect(issuesOf(input)).toEqual([issue]);
  });

  it('reports a delegated service without its delegator', () => {
    const input = rawFixture('connection');
    delete ((input.grants as Json[])[1]!.data as { service: Json }).service.delegator;
    expect(issuesOf(input)).toEqual(['grants[1].data.service.delegator: is required']);
  });

  it('reports a delegated connection without delegator and a bad delegator peer id', () => {
    const a = rawFixture('delegated-connection');
    delete grant0(a).delegator;
    expect(issuesOf(a)).toEqual(['grants[0].data.delegator: is required']);
    const b = rawFixture('delegated-connection');
    grant0(b).delegator = { peer_id: 42 };
    expect(issuesOf(b)).toEqual(['grants[0].data.delegator.peer_id: must be a string']);
  });

  it('reports publication fields: directory, protocol, missing service name', () => {
    const input = rawFixture('publication');
    grant0(input).directory = 'x';
    (grant0(input).service as Json).protocol = 'PROTOCOL_UDP';
    delete ((input.grants as Json[])[1]!.data as { service: Json }).service.name;
    expect(issuesOf(input)).toEqual([
      'grants[0].data.directory: must be an object',
      'grants[0].data.service.protocol: must be one of PROTOCOL_TCP_HTTP_1.1, PROTOCOL_TCP_HTTP_2',
      'grants[1].data.service.name: is required',
    ]);
  });

  it('reports a delegated publication without delegator', () => {
    const input = rawFixture('delegated-publication');
    delete grant0(input).delegator;
    expect(issuesOf(input)).toEqual(['grants[0].data.delegator: is required']);
  });

  it('reports properties JCS cannot carry, at the offending member', () => {
    const input = rawFixture('properties');
    (grant0(input).properties as Json).nested = { bad: 'x\ud800' };
    expect(issuesOf(input)).toEqual(['grants[0].data.properties.nested.bad: string contains a lone surrogate']);
  });

  it(`reports properties over ${MAX_PROPERTIES_BYTES} bytes (fsc-core "Properties > Security Considerations")`, () => {
    const input = rawFixture('properties');
    grant0(input).properties = { blob: 'x'.repeat(MAX_PROPERTIES_BYTES) };
    expect(issuesOf(input)).toEqual([
      `grants[0].data.properties: must be at most ${MAX_PROPERTIES_BYTES} bytes serialised`,
    ]);
  });

  it('reports every problem at once', () => {
    const input = rawFixture('connection');
    input.iv = 'x';
    delete input.created_at;
    (grant0(input).service as Json).name = '!';
    expect(issuesOf(input)).toEqual([
      'created_at: is required',
      'iv: must be a UUID',
      'grants[0].data.service.name: must match ^[a-zA-Z0-9-._]{1,100}$',
    ]);
  });

  it('keeps the message short when there are many problems', () => {
    const input = rawFixture('publication');
    input.grants = Array.from({ length: 12 }, () => ({ data: { type: 'nope' } }));
    let err: ContractValidationError | undefined;
    try {
      parseContractContent(input);
    } catch (e) {
      err = e as ContractValidationError;
    }
    expect(err?.issues).toHaveLength(12);
    expect(err?.message).toMatch(/; and 2 more$/);
  });

  it('prefixes issue paths with options.path', () => {
    const input = rawFixture('connection');
    input.iv = 'x';
    expect(issuesOf(input, { path: 'content' })).toEqual(['content.iv: must be a UUID']);
  });

  it('answers an unknown hash_algorithm with ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', () => {
    const input = rawFixture('connection');
    input.hash_algorithm = 'HASH_ALGORITHM_SHA2_256';
    input.iv = 'also wrong';
    let caught: unknown;
    try {
      parseContractContent(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FscError);
    expect(caught).not.toBeInstanceOf(ContractValidationError);
    expect((caught as FscError).code).toBe('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH');
    expect((caught as FscError).message).toMatch(/^hash_algorithm: /);
  });

  it('refuses a __proto__ member instead of letting it change the prototype', () => {
    const input = JSON.parse(
      `{"__proto__": {"x": 1}, ${JSON.stringify(rawFixture('publication')).slice(1)}`,
    ) as unknown;
    expect(issuesOf(input)).toEqual(['__proto__: unknown field']);
  });
});

describe('parseContract', () => {
  const signatures = { accept: { '00000001234567890000': 'a.b.c' }, reject: {}, revoke: {} };

  it('accepts {content, signatures}', () => {
    const content = rawFixture('publication');
    expect(parseContract({ content, signatures })).toEqual({ content, signatures });
  });

  it('prefixes content issues with content. and checks signature maps', () => {
    const content = rawFixture('publication');
    content.iv = 'x';
    try {
      parseContract({ content, signatures: { accept: { '00000001234567890000': 1 }, reject: {} } });
      expect.unreachable();
    } catch (err) {
      expect((err as ContractValidationError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
        'content.iv: must be a UUID',
        'signatures.revoke: is required',
        'signatures.accept["00000001234567890000"]: must be a string (compact JWS)',
      ]);
    }
  });

  it('requires both members', () => {
    try {
      parseContract({});
      expect.unreachable();
    } catch (err) {
      expect((err as ContractValidationError).issues.map((i) => i.path)).toEqual(['content', 'signatures']);
    }
  });
});
