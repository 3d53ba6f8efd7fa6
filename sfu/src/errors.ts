/**
 * The SFU's error catalog: one code → HTTP status map. Messages are for the caller (a WHIP client
 * or a viewer); internal errors are logged and answered generically, never with their message.
 */
import type { ErrorBody } from '@lagebild/protocol';
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

export class SfuError extends Error {
  readonly code: SfuErrorCode;
  constructor(code: SfuErrorCode, message: string) {
    super(message);
    this.name = 'SfuError';
    this.code = code;
  }
  get status(): number {
    return SFU_STATUS[this.code];
  }
  /** Error body shape of the whole system (ErrorBody), codes outside its enum mapped to the nearest. */
  toBody(): ErrorBody {
    const map: Partial<Record<SfuErrorCode, ErrorBody['error']['code']>> = {
      method_not_allowed: 'bad_request',
      precondition_failed: 'conflict',
      unsupported_media_type: 'bad_request',
      unprocessable: 'bad_request',
      session_ended: 'unauthenticated',
      revoked: 'forbidden',
      too_many: 'rate_limited',
    };
    const code = map[this.code] ?? (this.code as ErrorBody['error']['code']);
    return { error: { code, message: this.message } };
  }
}

/** Token problems are 401 whatever the detail; the detail goes into the message. */
export function fromTokenError(err: TokenError): SfuError {
  return new SfuError('unauthenticated', err.message);
}
