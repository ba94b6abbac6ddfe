// POST /v1/token (manager.yaml getToken; fsc-core "Tokens", "Obtaining access tokens"): the OAuth 2.0
// client credentials grant (RFC 6749 §4.4) over mTLS (RFC 8705 §2.1). The token is bound to the client
// certificate (`cnf.x5t#S256`, RFC 8705 §3.1). Errors use the RFC 6749 §5.2 format, not the FSC one.
import { Hono, type Context } from 'hono';
import type { X509Certificate } from 'node:crypto';
import {
  certificateThumbprint,
  FscError,
  grantHashes,
  HashType,
  isActive,
  issueAccessToken,
  oauthErrorBody,
  oauthErrorStatus,
  parseHash,
  peerFromCertificate,
  publicKeyThumbprint,
  contractState,
} from '../../protocol/index.ts';
import type {
  DelegatedServiceConnectionGrantData,
  HashScheme,
  OAuthErrorCode,
  ServiceConnectionGrantData,
} from '../../protocol/index.ts';
import type { Logger } from '../../runtime/index.ts';
import { peerCertificate } from '../../runtime/index.ts';
import type { ManagerStore, StoredContract } from '../../store/index.ts';
import { readBodyText, type ManagerEnv } from '../http-context.ts';
import { algorithmOf } from '../peers/jwks.ts';
import type { Clock, SelfIdentity } from '../types.ts';

/** Where the inway of a service is, when the services store does not say (config `inway`). */
export type InwayAddressFallback = (serviceName: string) => string | undefined;

export interface TokenEndpointOptions {
  store: ManagerStore;
  logger: Logger;
  clock: Clock;
  groupId: string;
  hashScheme: HashScheme;
  self: SelfIdentity;
  lifetimeSeconds: number;
  maxBodyBytes: number;
  inwayAddressFallback?: InwayAddressFallback;
}

class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

type ConnectionGrant = ServiceConnectionGrantData | DelegatedServiceConnectionGrantData;

function oauthResponse(c: Context, err: OAuthError): Response {
  // RFC 6749 §5.1/§5.2: token responses must not be cached.
  c.header('cache-control', 'no-store');
  c.header('pragma', 'no-cache');
  // Every error is 400, invalid_client included (manager.yaml getToken; RFC 6749 §5.2): see oauthErrorStatus.
  return c.json(oauthErrorBody(err.error, err.description), oauthErrorStatus(err.error));
}

function form(text: string): Map<string, string> {
  const params = new URLSearchParams(text);
  const out = new Map<string, string>();
  for (const [key, value] of params) {
    // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
    if (out.has(key)) throw new OAuthError('invalid_request', `parameter ${key} is given more than once`);
    out.set(key, value);
  }
  return out;
}

function describeEnded(state: string): string {
  switch (state) {
    case 'revoked':
      return 'contract containing the provided grant hash has been revoked';
    case 'rejected':
      return 'contract containing the provided grant hash has been rejected';
    case 'expired':
      return 'contract containing the provided grant hash has expired';
    case 'valid':
      return 'contract containing the provided grant hash is not valid yet';
    default:
      return 'contract containing the provided grant hash is not signed by every peer yet';
  }
}

export function tokenEndpoint(options: TokenEndpointOptions): Hono<ManagerEnv> {
  const { store, logger, clock, groupId, hashScheme, self } = options;
  const app = new Hono<ManagerEnv>();

  function findGrant(contract: StoredContract, scope: string): ConnectionGrant | undefined {
    const hashes = grantHashes(contract.content, hashScheme);
    const index = hashes.indexOf(scope);
    const data = index < 0 ? undefined : contract.content.grants[index]?.data;
    if (data?.type === 'GRANT_TYPE_SERVICE_CONNECTION' || data?.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') return data;
    return undefined;
  }

  async function inwayAddressOf(serviceName: string): Promise<string | undefined> {
    const record = await store.getService(serviceName);
    if (record !== undefined) return record.inwayAddress;
    return options.inwayAddressFallback?.(serviceName);
  }

  async function issue(c: Context<ManagerEnv>): Promise<Response> {
    const leaf: X509Certificate | undefined = peerCertificate(c);
    if (leaf === undefined) throw new OAuthError('invalid_client', 'a client certificate of the group is required');
    let clientPeerId: string;
    try {
      clientPeerId = peerFromCertificate(leaf).peerId;
    } catch {
      throw new OAuthError('invalid_client', 'the client certificate carries no valid peer id');
    }

    const type = c.req.header('content-type');
    if (type === undefined || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded');
    }
    const params = form(await readBodyText(c, options.maxBodyBytes));
    const grantType = params.get('grant_type');
    const scope = params.get('scope');
    const clientId = params.get('client_id');
    if (grantType === undefined || grantType === '') throw new OAuthError('invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'only the client_credentials grant type is supported');
    }
    if (scope === undefined || scope === '') throw new OAuthError('invalid_request', 'scope is required');
    if (clientId === undefined || clientId === '') throw new OAuthError('invalid_request', 'client_id is required');

    // fsc-core "Tokens" 2: client_id is the peer id of the client certificate.
    if (clientId !== clientPeerId) throw new OAuthError('invalid_client', 'client_id does not match the client certificate');

    // fsc-core "Tokens" 1: the scope is the hash of a (delegated) service connection grant.
    let grantHash: string;
    try {
      const parsed = parseHash(scope);
      if (parsed.type !== HashType.ServiceConnectionGrant && parsed.type !== HashType.DelegatedServiceConnectionGrant) {
        throw new OAuthError('invalid_scope', 'scope must be the hash of a service connection grant');
      }
      grantHash = parsed.hash;
    } catch (err) {
      if (err instanceof OAuthError) throw err;
      throw new OAuthError('invalid_scope', 'scope is not a valid grant hash');
    }

    const now = Math.floor(clock() / 1000);
    const candidates = (await store.findByGrantHash(grantHash))
      .map((contract) => ({ contract, grant: findGrant(contract, grantHash) }))
      .filter((x): x is { contract: StoredContract; grant: ConnectionGrant } => x.grant !== undefined);
    if (candidates.length === 0) throw new OAuthError('invalid_grant', 'no contract contains the provided grant hash');
    const active = candidates.find((x) => isActive(x.contract.content, x.contract.signatures, now));
    if (active === undefined) {
      const first = candidates[0]!;
      throw new OAuthError('invalid_grant', describeEnded(contractState(first.contract.content, first.contract.signatures, now)));
    }
    const { contract, grant } = active;

    // fsc-core "Tokens" 3: we are the peer offering the service.
    if (grant.service.peer_id !== self.peerId) {
      throw new OAuthError('invalid_scope', 'the service of this grant is not offered by this peer');
    }
    // fsc-core "Tokens" 5 and 6: the certificate is the outway's, with the key the grant names.
    if (grant.outway.peer_id !== clientPeerId) throw new OAuthError('invalid_grant', 'the grant was issued to another peer');
    if (grant.outway.public_key_thumbprint.toLowerCase() !== publicKeyThumbprint(leaf)) {
      throw new OAuthError('invalid_grant', 'the public key of the client certificate does not match the grant');
    }
    // fsc-core "Tokens" 4: an inway of ours offers the service; its address becomes `aud`.
    const audience = await inwayAddressOf(grant.service.name);
    if (audience === undefined) throw new OAuthError('invalid_scope', 'the service is not offered by an inway of this peer');

    const [signingCert] = self.chain;
    if (signingCert === undefined) throw new FscError('ERROR_CODE_INTERNAL', 'no signing certificate configured');
    // A token never outlives the contract that authorises it.
    const lifetimeSeconds = Math.max(1, Math.min(options.lifetimeSeconds, contract.content.validity.not_after - now));
    const token = await issueAccessToken({
      grantHash,
      groupId,
      subject: clientPeerId,
      issuer: self.peerId,
      service: grant.service.name,
      audience,
      clientCertificateThumbprint: certificateThumbprint(leaf),
      ...(grant.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION' ? { connectionDelegator: grant.delegator.peer_id } : {}),
      ...(grant.service.type === 'SERVICE_TYPE_DELEGATED_SERVICE' ? { publicationDelegator: grant.service.delegator.peer_id } : {}),
      ...(grant.properties === undefined ? {} : { properties: grant.properties }),
      privateKey: self.privateKey,
      certificate: signingCert,
      alg: algorithmOf(signingCert),
      lifetimeSeconds,
      now: clock(),
    });
    logger.info({ peerId: clientPeerId, service: grant.service.name, grantHash }, 'access token issued');
    c.header('cache-control', 'no-store');
    c.header('pragma', 'no-cache');
    return c.json({ access_token: token, token_type: 'bearer' });
  }

  app.post('/token', async (c) => {
    try {
      return await issue(c);
    } catch (err) {
      if (err instanceof OAuthError) {
        logger.info({ error: err.error, description: err.description }, 'access token refused');
        return oauthResponse(c, err);
      }
      // A body over the limit is still the client's problem; everything else is ours (500 via the boundary).
      if (err instanceof FscError && err.code === 'ERROR_CODE_PAYLOAD_TOO_LARGE') {
        c.header('cache-control', 'no-store');
        return c.json(oauthErrorBody('invalid_request', err.message), 413);
      }
      throw err;
    }
  });

  return app;
}
