// Verifies a signature another peer sent us (fsc-core "Signatures" and manager "Codes"):
// allowed algorithm (ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE), the certificate named by `x5t#S256`
// found and chaining to the trust anchor (ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED), that
// certificate belonging to the submitting peer (ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH), a valid JWS
// (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED) of the expected type, over the content we hold
// (ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH).
import {
  decodeSignatureUnverified,
  FscError,
  isCertificateThumbprint,
  isSignatureAlgorithm,
  verifyContractSignature,
} from '../../protocol/index.ts';
import type { SignatureType, VerifiedSignature } from '../../protocol/index.ts';
import type { CertificateResolver } from '../peers/certificate-resolver.ts';
import type { CallerIdentity } from '../types.ts';

export interface VerifyInput {
  jws: string;
  /** The content hash of the contract the signature is for. */
  contentHash: string;
  type: SignatureType;
  caller: CallerIdentity;
  managerAddress?: string;
}

export interface SignatureVerifier {
  verify(input: VerifyInput): Promise<VerifiedSignature>;
}

export function createSignatureVerifier(resolver: CertificateResolver): SignatureVerifier {
  return {
    async verify(input) {
      const { header } = decodeSignatureUnverified(input.jws);
      if (!isSignatureAlgorithm(header.alg)) {
        throw new FscError('ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE', 'signature algorithm is not supported');
      }
      const thumbprint = header['x5t#S256'];
      if (thumbprint === undefined || !isCertificateThumbprint(thumbprint)) {
        throw new FscError('ERROR_CODE_SIGNATURE_VERIFICATION_FAILED', 'signature header has no valid x5t#S256', {
          reason: 'thumbprint-missing',
        });
      }
      const resolveInput: Parameters<CertificateResolver['resolve']>[0] = {
        thumbprint,
        peerId: input.caller.peerId,
        tlsChain: input.caller.chain,
      };
      if (input.managerAddress !== undefined) resolveInput.managerAddress = input.managerAddress;
      const certificate = await resolver.resolve(resolveInput);
      return verifyContractSignature({
        jws: input.jws,
        certificate,
        expectedContentHash: input.contentHash,
        expectedType: input.type,
        expectedPeerId: input.caller.peerId,
      });
    },
  };
}
