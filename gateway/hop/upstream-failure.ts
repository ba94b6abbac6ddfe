/**
 * The one mapping from a failed upstream call (outway → inway, inway → service) to an FSC error in the
 * caller's domain: timeouts → 504 with the role's timeout code, anything else → 502 with its
 * "unreachable" code. The undici error code → kind table itself is runtime/http-client.ts.
 */
import { FscError, type ErrorCode, type ErrorDomain } from '../protocol/index.ts';
import { upstreamErrorFor, type UpstreamErrorKind } from '../runtime/index.ts';

/** Which FSC codes an upstream failure becomes, in the caller's domain. */
export interface ForwardErrorCodes {
  domain: ErrorDomain;
  /** For every failure that is not a timeout (502), e.g. `ERROR_CODE_SERVICE_UNREACHABLE`. */
  unreachable: ErrorCode;
  /** For connect/headers/body timeouts (504), e.g. `ERROR_CODE_SERVICE_TIMEOUT`. */
  timeout: ErrorCode;
  /** Who the upstream is, for the human message ("service", "inway"); never its URL. */
  upstreamName: string;
}

/** The FscError a failed upstream call became, with the mapping used (for logs and tests). */
export class UpstreamFailure extends FscError {
  readonly kind: UpstreamErrorKind;
  readonly upstreamCode: string | undefined;

  constructor(code: ErrorCode, message: string, domain: ErrorDomain, kind: UpstreamErrorKind, upstreamCode: string | undefined, cause: unknown) {
    super(code, message, { domain, cause, reason: kind });
    this.kind = kind;
    this.upstreamCode = upstreamCode;
  }
}

/** Map any error of an upstream call to an {@link UpstreamFailure} (504 → `timeout` code, else `unreachable`). */
export function upstreamFailure(err: unknown, errors: ForwardErrorCodes): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const mapped = upstreamErrorFor(err);
  if (mapped.status === 504) {
    return new UpstreamFailure(errors.timeout, `${errors.upstreamName} did not respond in time`, errors.domain, mapped.kind, mapped.code, err);
  }
  return new UpstreamFailure(errors.unreachable, `${errors.upstreamName} is unreachable`, errors.domain, mapped.kind, mapped.code, err);
}
