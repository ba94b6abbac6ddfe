// Publishing a service (fsc-core "Directory > Service publication": "Service publication is
// accomplished by offering a Contract to the Directory which contains one or more
// ServicePublicationGrants"). Koppel offers one grant per contract, as the spec recommends ("it is
// RECOMMENDED to limit this to one per Contract"), with the inway address in its properties so the
// directory can watch the inway (see directory/inway-address.ts).
import { canonicalize, FscError, INWAY_ADDRESS_PROPERTY } from '../protocol/index.ts';
import type { GrantData, HashScheme, Protocol, ServicePublicationGrantData } from '../protocol/index.ts';
import type { ContractView } from '../manager/index.ts';

export interface PublicationInput {
  directoryPeerId: string;
  servicePeerId: string;
  name: string;
  protocol: Protocol;
  inwayAddress: string;
  hashScheme: HashScheme;
}

export function publicationGrant(input: PublicationInput): ServicePublicationGrantData {
  const grant: ServicePublicationGrantData = {
    type: 'GRANT_TYPE_SERVICE_PUBLICATION',
    directory: { peer_id: input.directoryPeerId },
    service: { peer_id: input.servicePeerId, name: input.name, protocol: input.protocol },
  };
  // The published 1.1 hash has no byte form for properties (gateway/protocol/hash.ts).
  if (input.hashScheme === 'jcs') grant.properties = { [INWAY_ADDRESS_PROPERTY]: input.inwayAddress };
  return grant;
}

/** True when the contract holds exactly this one grant (same fields, same properties). */
export function holdsExactly(contract: ContractView, grant: GrantData): boolean {
  const grants = contract.content.grants;
  return grants.length === 1 && grants[0] !== undefined && canonicalize(grants[0].data) === canonicalize(grant);
}

/** Still running or still possible: a new contract for the same thing would be a duplicate. */
export function isLive(contract: ContractView): boolean {
  return contract.state === 'proposed' || contract.state === 'valid';
}

export function validityFor(nowMs: number, days: number): { not_before: number; not_after: number } {
  const now = Math.floor(nowMs / 1000);
  return { not_before: now, not_after: now + days * 86_400 };
}

export function noDirectory(): FscError {
  return new FscError('ERROR_CODE_BAD_REQUEST', 'this peer has no directory configured (manager.directoryAddress)', {
    reason: 'no-directory',
  });
}
