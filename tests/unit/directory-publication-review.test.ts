// The directory's decision on a contract that reaches it (directory/publication-review.ts): accept a
// valid publication to this directory, reject one that breaks a publication rule, and leave
// everything else to the operator. fsc-core "ServicePublicationGrant", "DelegatedServicePublicationGrant".
import { describe, expect, it } from 'vitest';
import { INWAY_ADDRESS_PROPERTY, isInwayAddress, reviewPublication } from '../../directory/index.ts';
import type { ContractView } from '../../gateway/manager/index.ts';
import type { ContractState, GrantData } from '../../gateway/protocol/index.ts';

const DIRECTORY = '00000000000000000001';
const PROVIDER = '00000000000000000002';
const CONSUMER = '00000000000000000003';
const DELEGATOR = '00000000000000000005';
const OTHER_DIRECTORY = '00000000000000000008';

function publication(service = PROVIDER, directory = DIRECTORY, properties?: Record<string, unknown>): GrantData {
  return {
    type: 'GRANT_TYPE_SERVICE_PUBLICATION',
    directory: { peer_id: directory },
    service: { peer_id: service, name: 'basisregistratie', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
    ...(properties === undefined ? {} : { properties }),
  };
}

const delegated: GrantData = {
  type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
  directory: { peer_id: DIRECTORY },
  service: { peer_id: PROVIDER, name: 'namens', protocol: 'PROTOCOL_TCP_HTTP_2' },
  delegator: { peer_id: DELEGATOR },
};

function view(grants: GrantData[], options: { accepted?: string[]; state?: ContractState } = {}): ContractView {
  const accepted = options.accepted ?? [];
  const peers = [
    ...new Set(
      grants.flatMap((g) =>
        ('directory' in g ? [g.directory.peer_id] : []).concat(
          g.service.peer_id,
          'delegator' in g ? [g.delegator.peer_id] : [],
        ),
      ),
    ),
  ];
  return {
    contentHash: '$1$1$test',
    content: {
      iv: '01938f8e-0000-7000-8000-000000000000',
      group_id: 'g',
      validity: { not_before: 0, not_after: 10 },
      grants: grants.map((data) => ({ data })),
      hash_algorithm: 'HASH_ALGORITHM_SHA3_512',
      created_at: 0,
    },
    signatures: { accept: Object.fromEntries(accepted.map((p) => [p, 'jws'])), reject: {}, revoke: {} },
    state: options.state ?? 'proposed',
    grantHashes: grants.map(() => '$1$2$x'),
    missingSigners: peers.filter((p) => !accepted.includes(p)),
  };
}

describe('reviewPublication', () => {
  it('accepts a ServicePublicationGrant to this directory offered by the service peer', () => {
    expect(
      reviewPublication(view([publication()], { accepted: [PROVIDER] }), {
        selfPeerId: DIRECTORY,
        submitterPeerId: PROVIDER,
      }),
    ).toEqual({ action: 'accept' });
    expect(
      reviewPublication(
        view([publication(PROVIDER, DIRECTORY, { [INWAY_ADDRESS_PROPERTY]: 'https://inway.example.nl:443' })]),
        {
          selfPeerId: DIRECTORY,
          submitterPeerId: PROVIDER,
        },
      ),
    ).toEqual({ action: 'accept' });
  });

  it('rejects a publication offered by a peer that is not the service peer', () => {
    const contract = view([publication(CONSUMER), publication(PROVIDER)]);
    expect(reviewPublication(contract, { selfPeerId: DIRECTORY, submitterPeerId: CONSUMER })).toEqual({
      action: 'reject',
      reason: 'submitter-not-service-peer',
    });
  });

  it('rejects an inway address that is not https://host:port', () => {
    for (const bad of [
      'http://inway.example.nl:80',
      'https://inway.example.nl',
      'https://inway.example.nl:443/pad',
      42,
      'https://user@host:443',
    ]) {
      const contract = view([publication(PROVIDER, DIRECTORY, { [INWAY_ADDRESS_PROPERTY]: bad })]);
      expect(reviewPublication(contract, { selfPeerId: DIRECTORY, submitterPeerId: PROVIDER })).toEqual({
        action: 'reject',
        reason: 'invalid-inway-address',
      });
    }
  });

  it('rejects a contract that publishes to this and another directory at once', () => {
    const contract = view([publication(PROVIDER), publication(PROVIDER, OTHER_DIRECTORY)]);
    expect(reviewPublication(contract, { selfPeerId: DIRECTORY, submitterPeerId: PROVIDER })).toEqual({
      action: 'reject',
      reason: 'mixed-directories',
    });
  });

  it('accepts a delegated publication offered by the delegator or the service peer, not by anyone else', () => {
    expect(reviewPublication(view([delegated]), { selfPeerId: DIRECTORY, submitterPeerId: DELEGATOR })).toEqual({
      action: 'accept',
    });
    expect(reviewPublication(view([delegated]), { selfPeerId: DIRECTORY, submitterPeerId: PROVIDER })).toEqual({
      action: 'accept',
    });
    expect(reviewPublication(view([delegated]), { selfPeerId: DIRECTORY, submitterPeerId: CONSUMER })).toMatchObject({
      action: 'reject',
    });
  });

  it('leaves alone what is not a pending publication to this directory', () => {
    const connection: GrantData = {
      type: 'GRANT_TYPE_SERVICE_CONNECTION',
      outway: { peer_id: CONSUMER, public_key_thumbprint: 'a'.repeat(64) },
      service: { type: 'SERVICE_TYPE_SERVICE', peer_id: DIRECTORY, name: 'catalogus' },
    };
    const self = { selfPeerId: DIRECTORY, submitterPeerId: CONSUMER };
    expect(reviewPublication(view([connection]), self)).toEqual({ action: 'ignore', reason: 'not-a-publication' });
    expect(
      reviewPublication(view([publication(DIRECTORY, OTHER_DIRECTORY)]), {
        selfPeerId: DIRECTORY,
        submitterPeerId: OTHER_DIRECTORY,
      }),
    ).toEqual({
      action: 'ignore',
      reason: 'other-directory',
    });
    expect(
      reviewPublication(view([publication()], { state: 'revoked' }), {
        selfPeerId: DIRECTORY,
        submitterPeerId: PROVIDER,
      }),
    ).toEqual({
      action: 'ignore',
      reason: 'contract-revoked',
    });
    expect(
      reviewPublication(view([publication()], { accepted: [DIRECTORY] }), {
        selfPeerId: DIRECTORY,
        submitterPeerId: PROVIDER,
      }),
    ).toEqual({
      action: 'ignore',
      reason: 'already-signed',
    });
  });

  it('without a known submitter (a sweep), waits for the service peer to have accepted', () => {
    expect(reviewPublication(view([publication()]), { selfPeerId: DIRECTORY })).toEqual({
      action: 'ignore',
      reason: 'awaiting-service-peer',
    });
    expect(reviewPublication(view([publication()], { accepted: [PROVIDER] }), { selfPeerId: DIRECTORY })).toEqual({
      action: 'accept',
    });
    expect(reviewPublication(view([delegated], { accepted: [DELEGATOR] }), { selfPeerId: DIRECTORY })).toEqual({
      action: 'accept',
    });
  });
});

describe('isInwayAddress', () => {
  it('takes https://host:port only', () => {
    expect(isInwayAddress('https://inway.example.nl:443')).toBe(true);
    expect(isInwayAddress('https://127.0.0.1:8444')).toBe(true);
    expect(isInwayAddress('https://[::1]:8444')).toBe(true);
    expect(isInwayAddress('https://inway.example.nl:0')).toBe(false);
    expect(isInwayAddress('https://inway.example.nl:70000')).toBe(false);
    expect(isInwayAddress('https://inway.example.nl:443/')).toBe(false);
  });
});
