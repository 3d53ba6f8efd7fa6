/**
 * Typed failures of the vault. `tampered` means authentication failed somewhere (a flipped byte, a
 * reordered or foreign chunk, a wrong key); `incomplete` means everything present is authentic but
 * the recording's final chunk is missing (a crash, or a truncation): never a silently shorter video.
 */
export type VaultErrorCode =
  | 'tampered'
  | 'incomplete'
  | 'wrong_key'
  | 'unknown_key'
  | 'bad_format'
  | 'not_found'
  | 'shredded'
  | 'bad_signature'
  | 'invalid_state';

export class VaultError extends Error {
  readonly code: VaultErrorCode;
  constructor(code: VaultErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'VaultError';
    this.code = code;
  }
}
