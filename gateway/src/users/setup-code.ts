/**
 * One-time setup codes for a new or reset user: 16 characters of Crockford's base32 (80 bits),
 * shown as four groups (`K7QM-3XHT-9PRD-WV2N`) so a person can read it out and type it. Stored as
 * SHA-256 of the normalised code: 80 random bits need no slow hash, guesses go through the login
 * throttle, and the code expires (docs/security.md § Users).
 */
import { randomBytes } from 'node:crypto';
import { secretMatches, sha256Hex } from '@lagebild/db';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new user's code: handed over before the first shift. */
export const NEW_USER_CODE_TTL_MS = 24 * 3_600_000;
/** A reset's code: the person is usually waiting for it. */
export const RESET_CODE_TTL_MS = 30 * 60_000;

export function newSetupCode(): string {
  const bytes = randomBytes(16);
  let code = '';
  for (const b of bytes) code += ALPHABET[b & 31];
  return code.match(/.{4}/g)!.join('-');
}

/** Upper case, without separators or spaces; Crockford's I/L → 1 and O → 0 (read aloud, typed). */
export function normaliseSetupCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

export const setupCodeHash = (input: string): string => sha256Hex(`setup:${normaliseSetupCode(input)}`);

/** Whether `input` is the stored code, compared in constant time. */
export function setupCodeMatches(input: string, storedHash: string): boolean {
  return secretMatches(`setup:${normaliseSetupCode(input)}`, storedHash);
}
