// The validation rules of fsc-core "Contract Validation" and the per-grant sections, one test each,
// plus validateContract for the fsc-test-suite Manager-SubmitContract scenarios it decides.
import { describe, expect, it } from 'vitest';
import {
  checkCreatedAtNotInFuture,
  checkDelegatorsDistinct,
  checkGrantCombination,
  checkGrantFields,
  checkGroupId,
  checkHasGrants,
  checkHashAlgorithm,
  checkIvIsUuid,
  checkIvUnique,
  checkNotAfterInFuture,
  checkReceivingPeerOnContract,
  checkServiceOffered,
  checkSubmittingPeerOnContract,
  checkValidityDates,
  checkValidityOrder,
  contractRules,
  ContractValidationError,
  FscError,
  validateContract,
} from '../../gateway/protocol/index.ts';
import type {
  ContractContent,
  ContractRule,
  ContractValidationContext,
  ErrorCode,
  Grant,
} from '../../gateway/protocol/index.ts';
import { fixture, GROUP_ID, NOT_AFTER, NOW, PEERS } from './fixtures/fsc-contracts.ts';

const ctx: ContractValidationContext = { groupId: GROUP_ID, now: NOW };

function failure(rule: ContractRule, content: ContractContent, context: ContractValidationContext = ctx): FscError {
  try {
    rule(content, context);
  } catch (err) {
    if (err instanceof FscError) return err;
    throw err;
  }
  throw new Error('expected the rule to fail');
}

function expectFailure(
  rule: ContractRule,
  content: ContractContent,
  code: ErrorCode,
  reason: string,
  context: ContractValidationContext = ctx,
): FscError {
  const err = failure(rule, content, context);
  expect(err.code).toBe(code);
  expect(err.reason).toBe(reason);
  expect(err.status).toBe(422);
  return err;
}

const publicationGrant = (): Grant => fixture('publication').grants[0]!;
const delegatedPublicationGrant = (): Grant => fixture('delegated-publication').grants[0]!;
const connectionGrant = (): Grant => fixture('connection').grants[0]!;
const delegatedConnectionGrant = (): Grant => fixture('delegated-connection').grants[0]!;

describe('contract validation rules (fsc-core "Contract Validation")', () => {
  it('every fixture passes every rule', () => {
    for (const name of [
      'publication',
      'connection',
      'delegated-connection',
      'delegated-publication',
      'properties',
    ] as const) {
      expect(() => validateContract(fixture(name), ctx)).not.toThrow();
    }
  });

  it('iv: must be a UUID', () => {
    const c = fixture('connection');
    c.iv = '0193e8a4-5b2c-7d11-9f00-2a6c8e4b1d3'; // 35 characters
    expectFailure(checkIvIsUuid, c, 'ERROR_CODE_INVALID_CONTRACT', 'iv-not-uuid');
    expect(() => checkIvIsUuid(fixture('connection'), ctx)).not.toThrow();
  });

  it('iv: must be unique (another contract already uses it)', () => {
    const c = fixture('connection');
    const seen: string[] = [];
    expectFailure(checkIvUnique, c, 'ERROR_CODE_INVALID_CONTRACT', 'iv-not-unique', {
      ...ctx,
      ivInUse: (iv) => {
        seen.push(iv);
        return true;
      },
    });
    expect(seen).toEqual([c.iv]);
    expect(() => checkIvUnique(c, { ...ctx, ivInUse: () => false })).not.toThrow();
    expect(() => checkIvUnique(c, ctx)).not.toThrow();
  });

  it('hash_algorithm: must be a known algorithm (ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH)', () => {
    const c = { ...fixture('connection'), hash_algorithm: 'HASH_ALGORITHM_SHA2_256' } as unknown as ContractContent;
    expectFailure(checkHashAlgorithm, c, 'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', 'unknown-hash-algorithm');
    expect(() => checkHashAlgorithm(fixture('connection'), ctx)).not.toThrow();
  });

  it('created_at: can not be in the future', () => {
    const c = fixture('connection');
    c.created_at = NOW + 1;
    expectFailure(checkCreatedAtNotInFuture, c, 'ERROR_CODE_INVALID_CONTRACT', 'created-at-in-future');
    c.created_at = NOW;
    expect(() => checkCreatedAtNotInFuture(c, ctx)).not.toThrow();
  });

  it('created_at: clockSkewSeconds tolerates a peer whose clock runs ahead', () => {
    const c = fixture('connection');
    c.created_at = NOW + 5;
    expect(() => checkCreatedAtNotInFuture(c, { ...ctx, clockSkewSeconds: 5 })).not.toThrow();
    expectFailure(checkCreatedAtNotInFuture, c, 'ERROR_CODE_INVALID_CONTRACT', 'created-at-in-future', {
      ...ctx,
      clockSkewSeconds: 4,
    });
  });

  it('group_id: must be the group of the manager (ERROR_CODE_INCORRECT_GROUP_ID)', () => {
    const c = fixture('connection');
    c.group_id = 'other-group';
    expectFailure(checkGroupId, c, 'ERROR_CODE_INCORRECT_GROUP_ID', 'incorrect-group-id');
    expect(() => checkGroupId(fixture('connection'), ctx)).not.toThrow();
  });

  it('validity: not_before and not_after must be valid dates', () => {
    for (const bad of [-1, 1.5, Number.NaN, 253_402_300_800]) {
      const c = fixture('connection');
      c.validity.not_before = bad;
      expectFailure(checkValidityDates, c, 'ERROR_CODE_INVALID_CONTRACT', 'invalid-date');
      const d = fixture('connection');
      d.validity.not_after = bad;
      expectFailure(checkValidityDates, d, 'ERROR_CODE_INVALID_CONTRACT', 'invalid-date');
    }
    expect(() => checkValidityDates(fixture('connection'), ctx)).not.toThrow();
  });

  it('validity: not_after must be greater than not_before', () => {
    const c = fixture('connection');
    c.validity.not_after = c.validity.not_before;
    expectFailure(checkValidityOrder, c, 'ERROR_CODE_INVALID_CONTRACT', 'validity-order');
    c.validity.not_after = c.validity.not_before - 1;
    expectFailure(checkValidityOrder, c, 'ERROR_CODE_INVALID_CONTRACT', 'validity-order');
    c.validity.not_after = c.validity.not_before + 1;
    expect(() => checkValidityOrder(c, ctx)).not.toThrow();
  });

  it('validity: not_after must be in the future', () => {
    const c = fixture('connection');
    expectFailure(checkNotAfterInFuture, c, 'ERROR_CODE_INVALID_CONTRACT', 'not-after-in-past', {
      ...ctx,
      now: NOT_AFTER,
    });
    expect(() => checkNotAfterInFuture(c, { ...ctx, now: NOT_AFTER - 1 })).not.toThrow();
  });

  it('grants: at least one grant', () => {
    const c = fixture('connection');
    c.grants = [];
    expectFailure(checkHasGrants, c, 'ERROR_CODE_INVALID_CONTRACT', 'no-grants');
  });

  describe('grant combination (ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED)', () => {
    it.each<[string, () => Grant[]]>([
      ['service publication + service connection', () => [publicationGrant(), connectionGrant()]],
      ['service publication + delegated service connection', () => [delegatedConnectionGrant(), publicationGrant()]],
      ['delegated service publication + service connection', () => [delegatedPublicationGrant(), connectionGrant()]],
      ['service publication + delegated service publication', () => [publicationGrant(), delegatedPublicationGrant()]],
    ])('rejects %s', (_name, grants) => {
      const c = fixture('publication');
      c.grants = grants();
      expectFailure(checkGrantCombination, c, 'ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED', 'grant-combination');
    });

    it.each<[string, () => Grant[]]>([
      ['several service publications', () => fixture('publication').grants],
      ['several delegated service publications', () => [delegatedPublicationGrant(), delegatedPublicationGrant()]],
      ['service connection + delegated service connection', () => [connectionGrant(), delegatedConnectionGrant()]],
    ])('allows %s', (_name, grants) => {
      const c = fixture('publication');
      c.grants = grants();
      expect(() => checkGrantCombination(c, ctx)).not.toThrow();
    });
  });

  it('grant fields: service name, thumbprint and peer ids are checked on content that skipped the parser', () => {
    const c = fixture('connection');
    (c.grants[1]!.data as { service: { name: string } }).service.name = 'with space';
    const err = expectFailure(checkGrantFields, c, 'ERROR_CODE_INVALID_CONTRACT', 'invalid-contract');
    expect(err).toBeInstanceOf(ContractValidationError);
    expect((err as ContractValidationError).issues).toEqual([
      { path: 'grants[1].data.service.name', message: 'must match ^[a-zA-Z0-9-._]{1,100}$' },
    ]);
    const d = fixture('delegated-connection');
    (d.grants[0]!.data as { outway: { public_key_thumbprint: string } }).outway.public_key_thumbprint = 'abc';
    expect((failure(checkGrantFields, d) as ContractValidationError).issues[0]?.path).toBe(
      'grants[0].data.outway.public_key_thumbprint',
    );
  });

  describe('delegation names two different peers', () => {
    it('delegated connection: delegator ≠ outway peer', () => {
      const c = fixture('delegated-connection');
      const data = c.grants[0]!.data as { delegator: { peer_id: string } };
      data.delegator.peer_id = PEERS.consumer;
      const err = expectFailure(checkDelegatorsDistinct, c, 'ERROR_CODE_INVALID_CONTRACT', 'self-delegation');
      expect(err.message).toBe('grants[0].data.delegator.peer_id: must differ from outway.peer_id');
    });

    it('delegated publication: delegator ≠ service peer', () => {
      const c = fixture('delegated-publication');
      (c.grants[0]!.data as { delegator: { peer_id: string } }).delegator.peer_id = PEERS.delegatee;
      const err = expectFailure(checkDelegatorsDistinct, c, 'ERROR_CODE_INVALID_CONTRACT', 'self-delegation');
      expect(err.message).toBe('grants[0].data.delegator.peer_id: must differ from service.peer_id');
    });

    it('delegated service: service.delegator ≠ service peer', () => {
      const c = fixture('connection');
      (c.grants[1]!.data as { service: { delegator: { peer_id: string } } }).service.delegator.peer_id =
        PEERS.delegatee;
      const err = expectFailure(checkDelegatorsDistinct, c, 'ERROR_CODE_INVALID_CONTRACT', 'self-delegation');
      expect(err.message).toBe('grants[1].data.service.delegator.peer_id: must differ from service.peer_id');
    });
  });

  describe('submitting peer on the contract', () => {
    it('fails with ERROR_CODE_SUBMITTING_PEER_NOT_PART_OF_CONTRACT (fsc-core text, default)', () => {
      expectFailure(
        checkSubmittingPeerOnContract,
        fixture('connection'),
        'ERROR_CODE_SUBMITTING_PEER_NOT_PART_OF_CONTRACT',
        'submitting-peer-not-on-contract',
        {
          ...ctx,
          submittingPeerId: PEERS.stranger,
        },
      );
    });

    it('fails with ERROR_CODE_PEER_NOT_PART_OF_CONTRACT when the manager.yaml enum is chosen', () => {
      expectFailure(
        checkSubmittingPeerOnContract,
        fixture('connection'),
        'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT',
        'submitting-peer-not-on-contract',
        {
          ...ctx,
          submittingPeerId: PEERS.stranger,
          peerNotPartOfContractCode: 'combined',
        },
      );
    });

    it('passes for any peer named in a grant, including a service delegator', () => {
      for (const peer of [PEERS.consumer, PEERS.provider, PEERS.delegatee]) {
        expect(() =>
          checkSubmittingPeerOnContract(fixture('connection'), { ...ctx, submittingPeerId: peer }),
        ).not.toThrow();
      }
      expect(() => checkSubmittingPeerOnContract(fixture('connection'), ctx)).not.toThrow();
    });
  });

  describe('receiving peer on the contract', () => {
    it('fails with ERROR_CODE_RECEIVING_PEER_NOT_PART_OF_CONTRACT (fsc-core text, default)', () => {
      expectFailure(
        checkReceivingPeerOnContract,
        fixture('publication'),
        'ERROR_CODE_RECEIVING_PEER_NOT_PART_OF_CONTRACT',
        'receiving-peer-not-on-contract',
        {
          ...ctx,
          receivingPeerId: PEERS.consumer,
        },
      );
    });

    it('fails with ERROR_CODE_PEER_NOT_PART_OF_CONTRACT when the manager.yaml enum is chosen', () => {
      expectFailure(
        checkReceivingPeerOnContract,
        fixture('publication'),
        'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT',
        'receiving-peer-not-on-contract',
        {
          ...ctx,
          receivingPeerId: PEERS.consumer,
          peerNotPartOfContractCode: 'combined',
        },
      );
    });

    it('passes for the directory of a publication', () => {
      expect(() =>
        checkReceivingPeerOnContract(fixture('publication'), { ...ctx, receivingPeerId: PEERS.directory }),
      ).not.toThrow();
    });
  });

  describe('service offered by the service peer (fsc-core "ServiceConnectionGrant")', () => {
    it('fails when we are the service peer and do not offer the service', () => {
      const offered = new Set(['basisregistratie-personen']);
      const c = fixture('connection');
      (c.grants[0]!.data as { service: { name: string } }).service.name = 'unknown-service';
      const err = expectFailure(checkServiceOffered, c, 'ERROR_CODE_INVALID_CONTRACT', 'service-not-offered', {
        ...ctx,
        receivingPeerId: PEERS.provider,
        offersService: (name) => offered.has(name),
      });
      expect(err.message).toBe('grants[0].data.service.name: not a service offered by this peer');
    });

    it('only asks about grants whose service peer is the receiving peer', () => {
      const asked: string[] = [];
      const offersService = (name: string): boolean => {
        asked.push(name);
        return true;
      };
      checkServiceOffered(fixture('connection'), { ...ctx, receivingPeerId: PEERS.delegatee, offersService });
      expect(asked).toEqual(['kadaster_brk']);
      checkServiceOffered(fixture('publication'), { ...ctx, receivingPeerId: PEERS.provider, offersService });
      expect(asked).toEqual(['kadaster_brk']);
      expect(() => checkServiceOffered(fixture('connection'), { ...ctx, offersService: () => false })).not.toThrow();
    });
  });
});

describe('validateContract', () => {
  it('applies every rule, in the documented order', () => {
    expect(contractRules).toEqual([
      checkHashAlgorithm,
      checkIvIsUuid,
      checkIvUnique,
      checkCreatedAtNotInFuture,
      checkGroupId,
      checkValidityDates,
      checkValidityOrder,
      checkNotAfterInFuture,
      checkHasGrants,
      checkGrantCombination,
      checkGrantFields,
      checkDelegatorsDistinct,
      checkSubmittingPeerOnContract,
      checkReceivingPeerOnContract,
      checkServiceOffered,
    ]);
  });

  it('Manager-SubmitContract-1: accepts a contract with a ServiceConnectionGrant submitted by a peer on it', () => {
    expect(() =>
      validateContract(fixture('connection'), {
        ...ctx,
        submittingPeerId: PEERS.consumer,
        receivingPeerId: PEERS.provider,
      }),
    ).not.toThrow();
  });

  it('Manager-SubmitContract-2: rejects a contract submitted by a peer not on it', () => {
    expectFailure(
      validateContract,
      fixture('connection'),
      'ERROR_CODE_SUBMITTING_PEER_NOT_PART_OF_CONTRACT',
      'submitting-peer-not-on-contract',
      {
        ...ctx,
        submittingPeerId: PEERS.stranger,
        receivingPeerId: PEERS.provider,
      },
    );
  });

  it('Manager-SubmitContract-4: accepts a contract with a ServicePublicationGrant', () => {
    expect(() =>
      validateContract(fixture('publication'), {
        ...ctx,
        submittingPeerId: PEERS.provider,
        receivingPeerId: PEERS.directory,
      }),
    ).not.toThrow();
  });

  it('Manager-SubmitContract-5: accepts a contract with a DelegatedServicePublicationGrant', () => {
    expect(() =>
      validateContract(fixture('delegated-publication'), {
        ...ctx,
        submittingPeerId: PEERS.provider,
        receivingPeerId: PEERS.directory,
      }),
    ).not.toThrow();
  });

  it('Manager-SubmitContract-6: accepts a contract with a DelegatedServiceConnectionGrant', () => {
    expect(() =>
      validateContract(fixture('delegated-connection'), {
        ...ctx,
        submittingPeerId: PEERS.delegator,
        receivingPeerId: PEERS.delegatee,
      }),
    ).not.toThrow();
  });

  it('Manager-SubmitContract-9: rejects a ServicePublicationGrant combined with another grant', () => {
    const c = fixture('publication');
    c.grants.push(connectionGrant());
    expectFailure(validateContract, c, 'ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED', 'grant-combination', {
      ...ctx,
      submittingPeerId: PEERS.provider,
      receivingPeerId: PEERS.directory,
    });
  });

  it('Manager-SubmitContract-10: rejects a contract with another group id', () => {
    const c = fixture('connection');
    c.group_id = 'fsc-other-group';
    expectFailure(validateContract, c, 'ERROR_CODE_INCORRECT_GROUP_ID', 'incorrect-group-id', {
      ...ctx,
      submittingPeerId: PEERS.consumer,
    });
  });

  it('reports the first broken rule when several are broken', () => {
    const c = fixture('connection');
    c.group_id = 'fsc-other-group';
    c.created_at = NOW + 100;
    expectFailure(validateContract, c, 'ERROR_CODE_INVALID_CONTRACT', 'created-at-in-future');
  });
});
