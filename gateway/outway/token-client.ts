// Obtaining an access token (fsc-core Outway "Obtaining access tokens"): the OAuth 2.0 client
// credentials flow (RFC 6749 §4.4) at `POST /v1/token` of the manager of the peer that offers the
// service, over mTLS with the outway's own certificate (RFC 8705 §2.1), so the token is bound to it.
import type { Dispatcher } from 'undici';
import { FscError, decodeAccessTokenUnverified } from '../protocol/index.ts';
import type { AccessTokenClaims } from '../protocol/index.ts';
import { upstreamErrorFor } from '../runtime/index.ts';

/** An access token as the outway keeps it. */
export interface AccessToken {
  token: string;
  claims: AccessTokenClaims;
  /** Origin of the inway named in `aud` (`https://host:port`). */
  inwayOrigin: string;
}

export interface TokenClientOptions {
  dispatcher: Dispatcher;
  /** Our peer id: `client_id`. */
  peerId: string;
  /** Our group id: the token's `gid` must match (fsc-core Outway "Routing"). */
  groupId: string;
  /** Manager address of a peer (`https://host:port`), or undefined when unknown. */
  resolvePeer: (peerId: string) => Promise<string | undefined>;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export interface TokenRequest {
  grantHash: string;
  providerPeerId: string;
  serviceName: string;
}

/** Why a token could not be had; `refused` means the provider's manager said no (RFC 6749 error). */
export type TokenFailure = 'unknown-peer' | 'unreachable' | 'timeout' | 'refused' | 'bad-response';

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

function failed(message: string, reason: TokenFailure, cause?: unknown): FscError {
  return new FscError('ERROR_CODE_ACCESS_TOKEN_FETCH_FAILED', message, {
    domain: 'ERROR_DOMAIN_OUTWAY',
    reason,
    ...(cause === undefined ? {} : { cause }),
  });
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      body.destroy();
      throw new Error('token response too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function inwayOriginOf(aud: string): string | undefined {
  try {
    const url = new URL(aud);
    if (url.protocol !== 'https:' || url.hostname === '') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

const OAUTH_ERROR = /^[a-z_]{1,64}$/;

export interface TokenClient {
  fetch(request: TokenRequest): Promise<AccessToken>;
}

export function createTokenClient(options: TokenClientOptions): TokenClient {
  const { dispatcher, peerId, groupId } = options;
  return {
    async fetch(request) {
      const managerAddress = await options.resolvePeer(request.providerPeerId);
      if (managerAddress === undefined) {
        throw failed(`the manager address of peer ${request.providerPeerId} is not known`, 'unknown-peer');
      }
      let origin: string;
      try {
        origin = new URL(managerAddress).origin;
      } catch (err) {
        throw failed('the manager address of the provider is not a valid URL', 'unknown-peer', err);
      }
      let response: Dispatcher.ResponseData;
      try {
        response = await dispatcher.request({
          origin,
          path: '/v1/token',
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: request.grantHash, client_id: peerId }).toString(),
          headersTimeout: options.headersTimeoutMs,
          bodyTimeout: options.bodyTimeoutMs,
        });
      } catch (err) {
        const mapped = upstreamErrorFor(err);
        throw failed(
          mapped.status === 504
            ? "the provider's manager did not answer the token request in time"
            : "the provider's manager could not be reached for an access token",
          mapped.status === 504 ? 'timeout' : 'unreachable',
          err,
        );
      }
      let text: string;
      try {
        text = await readLimited(response.body);
      } catch (err) {
        throw failed("the provider's manager sent an unreadable token response", 'bad-response', err);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (response.statusCode !== 200) {
        // RFC 6749 §5.2 error: name the code (a fixed vocabulary), never echo free text from elsewhere.
        const code = (json as { error?: unknown } | undefined)?.error;
        const named = typeof code === 'string' && OAUTH_ERROR.test(code) ? code : `status ${response.statusCode}`;
        throw failed(`the provider's manager refused an access token for this grant (${named})`, 'refused');
      }
      const body = json as { access_token?: unknown; token_type?: unknown } | undefined;
      if (typeof body?.access_token !== 'string' || typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
        throw failed("the provider's manager sent a token response without a bearer access token", 'bad-response');
      }
      let claims: AccessTokenClaims;
      try {
        claims = decodeAccessTokenUnverified(body.access_token).claims;
      } catch (err) {
        throw failed("the provider's manager sent a malformed access token", 'bad-response', err);
      }
      // fsc-core Outway "Routing": the outway MUST check `gid`; the other checks keep a confused
      // manager from sending our traffic somewhere else.
      if (claims.gid !== groupId) throw failed('the access token is for another group', 'bad-response');
      if (claims.gth !== request.grantHash) throw failed('the access token is for another grant', 'bad-response');
      if (claims.iss !== request.providerPeerId) throw failed('the access token was issued by another peer', 'bad-response');
      if (claims.sub !== peerId) throw failed('the access token was issued to another peer', 'bad-response');
      const inwayOrigin = inwayOriginOf(claims.aud);
      if (inwayOrigin === undefined) throw failed('the access token names no https inway address', 'bad-response');
      return { token: body.access_token, claims, inwayOrigin };
    },
  };
}
