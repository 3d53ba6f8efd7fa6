/**
 * The SFU's error catalog: one code → HTTP status map. Messages are for the caller (a WHIP client
 * or a viewer); internal errors are logged and answered generically, never with their message.
 */
import type { ErrorCode } from '@lagebild/protocol';
import { inputParser, ServiceError } from '@lagebild/service-kit';
import type { TokenError } from '@lagebild/tokens';

export const SFU_STATUS = {
  bad_request: 400,
  unauthenticated: 401,
  /** a viewer token whose operator session ended (logout, expiry, disabled user) */
  session_ended: 401,
  forbidden: 403,
  /** a device token issued at or before its device's revocation */
  revoked: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  /** a cap on live sessions (per user, per tenant) */
  too_many: 429,
  unavailable: 503,
  internal: 500,
} as const;
export type SfuErrorCode = keyof typeof SFU_STATUS;

/** Codes outside the system's ErrorBody enum, mapped to the nearest on the wire. */
const WIRE_CODE: Partial<Record<SfuErrorCode, ErrorCode>> = {
  method_not_allowed: 'bad_request',
  precondition_failed: 'conflict',
  unsupported_media_type: 'bad_request',
  unprocessable: 'bad_request',
  session_ended: 'unauthenticated',
  revoked: 'forbidden',
  too_many: 'rate_limited',
};

export class SfuError extends ServiceError<SfuErrorCode> {
  override name = 'SfuError';
  get status(): number {
    return SFU_STATUS[this.code];
  }
  protected override get wireCode(): ErrorCode {
    return WIRE_CODE[this.code] ?? (this.code as ErrorCode);
  }
}

/** Untrusted input parsed with a protocol schema; a failure is a 400 SfuError naming each bad field. */
export const parseInput = inputParser(SfuError);

/** Token problems are 401 whatever the detail; the detail goes into the message. */
export function fromTokenError(err: TokenError): SfuError {
  return new SfuError('unauthenticated', err.message);
}
