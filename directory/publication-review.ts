// Does the directory co-sign a contract? fsc-core "Directory > Service publication": "The Directory
// MUST be able to sign Contracts with Grants of the type ServicePublicationGrant" and "MUST validate
// the ServicePublicationGrant in the Contract using the rules described in [ServicePublicationGrant
// section]". The manager has already applied "Contract Validation" (group, validity, grant
// combination, both peers on the contract) and verified the submitter's signature; this adds the
// rules only a directory can judge. A pure function: the signer acts on its answer.
import type { ContractView } from '../gateway/manager/index.ts';
import type { GrantData } from '../gateway/protocol/index.ts';
import { inwayAddressOfGrant } from './inway-address.ts';

export type PublicationDecision =
  | { action: 'accept' }
  /** Final: the contract breaks a publication rule, so waiting cannot make it acceptable. */
  | { action: 'reject'; reason: string }
  /** Not ours to decide (not a publication to us, already decided) or not decidable yet. */
  | { action: 'ignore'; reason: string };

export interface PublicationReviewContext {
  /** The directory's own peer id. */
  selfPeerId: string;
  /**
   * The peer whose manager submitted the contract (its certificate), when known. Without it (a
   * sweep over stored contracts) the submitter's accept signature stands in for it.
   */
  submitterPeerId?: string;
}

type PublicationGrant = Extract<
  GrantData,
  { type: 'GRANT_TYPE_SERVICE_PUBLICATION' | 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION' }
>;

function isPublication(data: GrantData): data is PublicationGrant {
  return data.type === 'GRANT_TYPE_SERVICE_PUBLICATION' || data.type === 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION';
}

/**
 * Who may offer the grant to the directory. ServicePublicationGrant: "The Peer ID provided by the
 * X.509 certificate used by the Manager offering the Contract to the Directory matches the value of
 * the field grant.data.service.peer_id". DelegatedServicePublicationGrant: the delegator creates the
 * delegation ("… used by the Manager creating the delegation matches … delegator.peer_id"); the
 * service peer may equally be the one to bring it to the directory.
 */
function allowedSubmitters(grant: PublicationGrant): string[] {
  return grant.type === 'GRANT_TYPE_SERVICE_PUBLICATION'
    ? [grant.service.peer_id]
    : [grant.delegator.peer_id, grant.service.peer_id];
}

export function reviewPublication(contract: ContractView, ctx: PublicationReviewContext): PublicationDecision {
  const { selfPeerId } = ctx;
  const grants = contract.content.grants.map((g) => g.data);
  if (contract.state !== 'proposed') return { action: 'ignore', reason: `contract-${contract.state}` };
  if (!contract.missingSigners.includes(selfPeerId)) return { action: 'ignore', reason: 'already-signed' };
  // Connection contracts (the directory as a consumer, say) are the operator's decision.
  if (grants.length === 0 || !grants.every(isPublication)) return { action: 'ignore', reason: 'not-a-publication' };
  const publications = grants;
  const toUs = publications.filter((g) => g.directory.peer_id === selfPeerId);
  // We are on the contract as the service peer of a publication to another directory.
  if (toUs.length === 0) return { action: 'ignore', reason: 'other-directory' };
  if (toUs.length !== publications.length) return { action: 'reject', reason: 'mixed-directories' };

  for (const grant of publications) {
    const allowed = allowedSubmitters(grant);
    if (ctx.submitterPeerId !== undefined) {
      if (!allowed.includes(ctx.submitterPeerId)) return { action: 'reject', reason: 'submitter-not-service-peer' };
    } else if (!allowed.some((peer) => Object.hasOwn(contract.signatures.accept, peer))) {
      // A stored contract whose submitter is unknown: wait for the peer that may offer it to accept.
      return { action: 'ignore', reason: 'awaiting-service-peer' };
    }
    if (inwayAddressOfGrant(grant.properties).kind === 'invalid')
      return { action: 'reject', reason: 'invalid-inway-address' };
  }
  return { action: 'accept' };
}
