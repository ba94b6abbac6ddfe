// Who is on a contract, who must sign it, and its lifecycle: proposed → valid once every required
// peer accepted; reject, revoke or passing not_after end it for good (fsc-core "Signatures" and the
// per-grant "Signature requirements").
import { describe, expect, it } from 'vitest';
import {
  contractState,
  grantPeers,
  isActive,
  missingSigners,
  peersOnContract,
  requiredSigners,
} from '../../gateway/protocol/index.ts';
import type { SignatureSets } from '../../gateway/protocol/index.ts';
import { fixture, NOT_AFTER, NOT_BEFORE, NOW, PEERS } from './fixtures/fsc-contracts.ts';

const sig = 'header.payload.signature';
function signatures(accept: string[] = [], reject: string[] = [], revoke: string[] = []): SignatureSets {
  const map = (peers: string[]): Record<string, string> => Object.fromEntries(peers.map((p) => [p, sig]));
  return { accept: map(accept), reject: map(reject), revoke: map(revoke) };
}

describe('peers and required signers', () => {
  it('ServicePublicationGrant: directory + service peer', () => {
    expect(requiredSigners(fixture('publication'))).toEqual([PEERS.directory, PEERS.provider]);
  });

  it('DelegatedServicePublicationGrant: directory + service peer + delegator', () => {
    expect(requiredSigners(fixture('delegated-publication'))).toEqual([
      PEERS.directory,
      PEERS.delegatee,
      PEERS.provider,
    ]);
  });

  it('ServiceConnectionGrant: outway + service peer, + service delegator for a delegated service', () => {
    const c = fixture('connection');
    expect(grantPeers(c.grants[0]!.data)).toEqual([PEERS.consumer, PEERS.provider]);
    expect(grantPeers(c.grants[1]!.data)).toEqual([PEERS.consumer, PEERS.delegatee, PEERS.provider]);
    expect(requiredSigners(c)).toEqual([PEERS.consumer, PEERS.provider, PEERS.delegatee]);
  });

  it('DelegatedServiceConnectionGrant: outway + service peer + delegator, + service delegator', () => {
    expect(requiredSigners(fixture('delegated-connection'))).toEqual([
      PEERS.consumer,
      PEERS.delegatee,
      PEERS.provider,
      PEERS.delegator,
    ]);
  });

  it('lists each peer once, and peersOnContract equals requiredSigners', () => {
    for (const name of ['publication', 'connection', 'delegated-connection', 'delegated-publication'] as const) {
      const c = fixture(name);
      const peers = peersOnContract(c);
      expect(new Set(peers).size).toBe(peers.length);
      expect(peers).toEqual(requiredSigners(c));
    }
  });
});

describe('missingSigners', () => {
  it('lists required signers without an accept signature, ignoring others', () => {
    const c = fixture('delegated-connection');
    expect(missingSigners(c, signatures())).toEqual(requiredSigners(c));
    expect(missingSigners(c, signatures([PEERS.consumer, PEERS.stranger]))).toEqual([
      PEERS.delegatee,
      PEERS.provider,
      PEERS.delegator,
    ]);
    expect(missingSigners(c, signatures(requiredSigners(c)))).toEqual([]);
  });

  it('does not count inherited object keys as signatures', () => {
    const c = fixture('publication');
    const accept = Object.create({ [PEERS.directory]: sig }) as Record<string, string>;
    expect(missingSigners(c, { accept })).toEqual([PEERS.directory, PEERS.provider]);
  });
});

describe('contractState', () => {
  const c = fixture('connection');
  const all = requiredSigners(c);

  it('is proposed without signatures', () => {
    expect(contractState(c, signatures(), NOW)).toBe('proposed');
  });

  it('stays proposed while a required signer has not accepted', () => {
    expect(contractState(c, signatures(all.slice(0, -1)), NOW)).toBe('proposed');
  });

  it('proposed → valid when the last required signer accepts', () => {
    expect(contractState(c, signatures(all), NOW)).toBe('valid');
  });

  it('an accept by a peer not on the contract does not count', () => {
    expect(contractState(c, signatures([...all.slice(1), PEERS.stranger]), NOW)).toBe('proposed');
  });

  it('proposed → rejected by a reject of a peer on the contract', () => {
    expect(contractState(c, signatures([PEERS.consumer], [PEERS.provider]), NOW)).toBe('rejected');
  });

  it('a reject by a peer not on the contract is ignored', () => {
    expect(contractState(c, signatures(all, [PEERS.stranger]), NOW)).toBe('valid');
  });

  it('valid → revoked by a revoke of a peer on the contract', () => {
    expect(contractState(c, signatures(all, [], [PEERS.delegatee]), NOW)).toBe('revoked');
  });

  it('a revoke by a peer not on the contract is ignored', () => {
    expect(contractState(c, signatures(all, [], [PEERS.stranger]), NOW)).toBe('valid');
  });

  it('a reject ends even a contract everyone accepted', () => {
    expect(contractState(c, signatures(all, [PEERS.consumer]), NOW)).toBe('rejected');
  });

  it('revoked wins over rejected', () => {
    expect(contractState(c, signatures([], [PEERS.consumer], [PEERS.provider]), NOW)).toBe('revoked');
  });

  it('valid → expired after not_after; not_after itself is still valid', () => {
    expect(contractState(c, signatures(all), NOT_AFTER)).toBe('valid');
    expect(contractState(c, signatures(all), NOT_AFTER + 1)).toBe('expired');
  });

  it('proposed → expired after not_after', () => {
    expect(contractState(c, signatures([PEERS.consumer]), NOT_AFTER + 1)).toBe('expired');
  });

  it('rejected and revoked stay final after expiry', () => {
    expect(contractState(c, signatures([], [PEERS.consumer]), NOT_AFTER + 1)).toBe('rejected');
    expect(contractState(c, signatures(all, [], [PEERS.consumer]), NOT_AFTER + 1)).toBe('revoked');
  });

  it('is valid before not_before once everyone accepted (but not active, see isActive)', () => {
    expect(contractState(c, signatures(all), NOT_BEFORE - 1)).toBe('valid');
  });
});

describe('isActive', () => {
  const c = fixture('publication');
  const all = requiredSigners(c);

  it('is false for a valid contract before not_before and true from not_before', () => {
    expect(isActive(c, signatures(all), NOT_BEFORE - 1)).toBe(false);
    expect(isActive(c, signatures(all), NOT_BEFORE)).toBe(true);
    expect(isActive(c, signatures(all), NOT_AFTER)).toBe(true);
  });

  it('is false for proposed, rejected, revoked and expired contracts', () => {
    expect(isActive(c, signatures(all.slice(1)), NOW)).toBe(false);
    expect(isActive(c, signatures(all, [PEERS.directory]), NOW)).toBe(false);
    expect(isActive(c, signatures(all, [], [PEERS.provider]), NOW)).toBe(false);
    expect(isActive(c, signatures(all), NOT_AFTER + 1)).toBe(false);
  });
});
