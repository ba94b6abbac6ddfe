/**
 * The FSC data model as it travels on the wire (fsc-core manager.yaml, components/schemas).
 * Field names stay snake_case exactly as in the OpenAPI contract, so a value of these types
 * can be serialised and hashed without any mapping.
 */

/** `HASH_ALGORITHM_SHA3_512` is the only algorithm FSC defines. */
export type HashAlgorithm = 'HASH_ALGORITHM_SHA3_512';

export type GrantType =
  | 'GRANT_TYPE_SERVICE_PUBLICATION'
  | 'GRANT_TYPE_SERVICE_CONNECTION'
  | 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION'
  | 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION';

export type ServiceType = 'SERVICE_TYPE_SERVICE' | 'SERVICE_TYPE_DELEGATED_SERVICE';

export type Protocol = 'PROTOCOL_TCP_HTTP_1.1' | 'PROTOCOL_TCP_HTTP_2';

export type SignatureType = 'accept' | 'reject' | 'revoke';

export interface PeerRef {
  peer_id: string;
}

export interface OutwayRef {
  peer_id: string;
  /** Hex SHA-256 of the outway certificate's DER SubjectPublicKeyInfo (64 chars). */
  public_key_thumbprint: string;
}

export interface ServiceRef {
  type: 'SERVICE_TYPE_SERVICE';
  peer_id: string;
  name: string;
}

export interface DelegatedServiceRef {
  type: 'SERVICE_TYPE_DELEGATED_SERVICE';
  peer_id: string;
  name: string;
  delegator: PeerRef;
}

export interface ServicePublicationRef {
  peer_id: string;
  name: string;
  protocol: Protocol;
}

export type GrantProperties = Record<string, unknown>;

export interface ServicePublicationGrantData {
  type: 'GRANT_TYPE_SERVICE_PUBLICATION';
  directory: PeerRef;
  service: ServicePublicationRef;
  properties?: GrantProperties;
}

export interface ServiceConnectionGrantData {
  type: 'GRANT_TYPE_SERVICE_CONNECTION';
  outway: OutwayRef;
  service: ServiceRef | DelegatedServiceRef;
  properties?: GrantProperties;
}

export interface DelegatedServiceConnectionGrantData {
  type: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION';
  outway: OutwayRef;
  service: ServiceRef | DelegatedServiceRef;
  delegator: PeerRef;
  properties?: GrantProperties;
}

export interface DelegatedServicePublicationGrantData {
  type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION';
  directory: PeerRef;
  service: ServicePublicationRef;
  delegator: PeerRef;
  properties?: GrantProperties;
}

export type GrantData =
  | ServicePublicationGrantData
  | ServiceConnectionGrantData
  | DelegatedServiceConnectionGrantData
  | DelegatedServicePublicationGrantData;

export interface Grant {
  data: GrantData;
}

export interface Validity {
  /** Unix seconds. */
  not_before: number;
  /** Unix seconds. */
  not_after: number;
}

export interface ContractContent {
  /** UUID (v7 when we create it). */
  iv: string;
  group_id: string;
  validity: Validity;
  grants: Grant[];
  hash_algorithm: HashAlgorithm;
  /** Unix seconds. */
  created_at: number;
}

/** peer id → compact JWS */
export type SignatureMap = Record<string, string>;

export interface ContractSignatures {
  accept: SignatureMap;
  reject: SignatureMap;
  revoke: SignatureMap;
}

export interface Contract {
  content: ContractContent;
  signatures: ContractSignatures;
}

/** The JWS payload of a contract signature. */
export interface SignaturePayload {
  contract_content_hash: string;
  type: SignatureType;
  /** Unix seconds. */
  signed_at: number;
}

export interface Peer {
  id: string;
  name: string;
  manager_address: string;
}

/** Which hash construction a group uses: the current draft (`jcs`) or the published 1.1 byte concatenation. */
export type HashScheme = 'jcs' | 'fsc-1.1';
