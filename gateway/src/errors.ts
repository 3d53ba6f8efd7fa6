/**
 * The gateway's error catalog: one code → HTTP status map, typed errors with a message meant for
 * the caller. Internal errors never leak their message; they are logged and answered generically.
 */
import type { ErrorCode } from '@lagebild/protocol';
import { inputParser, ServiceError } from '@lagebild/service-kit';

export const STATUS_OF: Record<ErrorCode, number> = {
  bad_request: 400,
  too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
  protocol_too_old: 426,
  protocol_too_new: 400,
};

export class AppError extends ServiceError<ErrorCode> {
  override name = 'AppError';
  get status(): number {
    return STATUS_OF[this.code];
  }
}

/** Untrusted input parsed with a protocol schema; a failure is a 400 AppError naming each bad field. */
export const parseInput = inputParser(AppError);

/** A Socket.IO middleware refusal: the client reads err.data.code in `connect_error`. */
export function socketError(code: ErrorCode, message: string): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } });
}
