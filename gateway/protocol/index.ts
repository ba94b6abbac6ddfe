// The face of gateway/protocol: pure FSC protocol logic, no I/O. Explicit named exports only.

// --- types.ts (wire types) ---
export type {
  HashAlgorithm,
  GrantType,
  ServiceType,
  Protocol,
  SignatureType,
  PeerRef,
  OutwayRef,
  ServiceRef,
  DelegatedServiceRef,
  ServicePublicationRef,
  GrantProperties,
  ServicePublicationGrantData,
  ServiceConnectionGrantData,
  DelegatedServiceConnectionGrantData,
  DelegatedServicePublicationGrantData,
  GrantData,
  Grant,
  Validity,
  ContractContent,
  SignatureMap,
  ContractSignatures,
  Contract,
  SignaturePayload,
  Peer,
  HashScheme,
} from './types.ts';

// --- errors.ts ---
export type {
  ErrorDomain,
  ErrorOrigin,
  ErrorSpec,
  ErrorCode,
  ErrorBody,
  ErrorBodyInput,
  FscErrorOptions,
  OAuthErrorCode,
  OAuthErrorBody,
} from './errors.ts';
export {
  errorDomains,
  errorCatalogue,
  isErrorCode,
  FscError,
  isFscError,
  errorBody,
  errorResponseFields,
  statusOf,
  toFscError,
  oauthErrorCodes,
  oauthErrorStatus,
  oauthErrorBody,
} from './errors.ts';

// --- headers.ts ---
export type { PurposeKey, Purpose, HeaderBag, TraceParent } from './headers.ts';
export {
  FSC_AUTHORIZATION,
  FSC_TRANSACTION_ID,
  FSC_GRANT_HASH,
  FSC_MANAGER_ADDRESS,
  FSC_ERROR_CODE,
  TRACEPARENT,
  TRACESTATE,
  WWW_AUTHENTICATE,
  NLX_REQUEST_PROCESS_ID,
  NLX_REQUEST_DATA_SUBJECT,
  NLX_REQUEST_DATA_ELEMENTS,
  NLX_REQUEST_USER_ID,
  NLX_REQUEST_APPLICATION_ID,
  PURPOSE_HEADER_MAX_LENGTH,
  purposeHeaders,
  readPurposeHeaders,
  hopByHopHeaders,
  isHopByHopHeader,
  headersToStrip,
  sensitiveHeaders,
  parseTraceparent,
} from './headers.ts';

// --- ids.ts ---
export type { UuidV7GeneratorOptions } from './ids.ts';
export { isUuid, isUuidV7, uuidToBytes, uuidFromBytes, uuidV7Timestamp, createUuidV7Generator } from './ids.ts';

// --- identity.ts ---
export type { CertificateInput, CertificatePeer, SubjectAttributes } from './identity.ts';
export {
  toX509,
  publicKeyThumbprint,
  certificateThumbprint,
  peerFromCertificate,
  certificateSubject,
  isOin,
  isPeerId,
  isPeerName,
  isGroupId,
  isServiceName,
  isPublicKeyThumbprint,
  isCertificateThumbprint,
} from './identity.ts';

// --- signature.ts ---
export type {
  SignatureAlgorithm,
  SigningKey,
  SignContractInput,
  SignatureHeader,
  DecodedSignature,
  VerifyContractSignatureInput,
  VerifiedSignature,
} from './signature.ts';
export {
  signatureAlgorithms,
  isSignatureAlgorithm,
  signatureTypes,
  isSignatureType,
  signContract,
  decodeSignatureUnverified,
  verifyContractSignature,
} from './signature.ts';

// --- access-token.ts ---
export type {
  AccessTokenClaims,
  Instant,
  IssueAccessTokenInput,
  AccessTokenRejection,
  DecodedAccessToken,
  AccessTokenKey,
  AccessTokenKeyInput,
  VerifyAccessTokenInput,
  AccessTokenVerifierOptions,
  AccessTokenVerifier,
} from './access-token.ts';
export {
  issueAccessToken,
  decodeAccessTokenUnverified,
  prepareAccessTokenKeys,
  verifyAccessToken,
  createAccessTokenVerifier,
} from './access-token.ts';

// --- jcs.ts ---
export { canonicalize, canonicalBytes, JcsError, JCS_MAX_DEPTH } from './jcs.ts';

// --- hash.ts ---
export type { ParsedHash } from './hash.ts';
export {
  HashType,
  HASH_ALGORITHM_IDS,
  GRANT_TYPE_IDS,
  SERVICE_TYPE_IDS,
  hashTypeOfGrant,
  isGrantHashType,
  parseHash,
  assertKnownHashAlgorithm,
  formatHash,
  contentHash,
  grantHash,
  grantHashes,
  fsc11ContentBytes,
  fsc11GrantBytes,
} from './hash.ts';

// --- contract.ts ---
export type {
  ContractIssue,
  ParseOptions,
  ContractValidationContext,
  ContractRule,
  ContractState,
  SignatureSets,
} from './contract.ts';
export {
  GROUP_ID_PATTERN,
  SERVICE_NAME_PATTERN,
  PUBLIC_KEY_THUMBPRINT_PATTERN,
  MAX_UNIX_SECONDS,
  MAX_PROPERTIES_BYTES,
  ContractValidationError,
  formatIssue,
  parseContractContent,
  parseContract,
  grantPeers,
  peersOnContract,
  requiredSigners,
  checkIvIsUuid,
  checkIvUnique,
  checkHashAlgorithm,
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
  contractRules,
  validateContract,
  missingSigners,
  contractState,
  isActive,
} from './contract.ts';
export { INWAY_ADDRESS_PROPERTY } from './grant-properties.ts';
export { chainsToTrustAnchor, parsePemCertificates, trustAnchorsFromPem } from './certificate-chain.ts';
export type { TrustAnchors } from './certificate-chain.ts';
