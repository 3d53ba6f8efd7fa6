/**
 * The second factor (issue 15): time-based one-time passwords, RFC 6238 (SHA-1, 6 digits, 30 s, as
 * every authenticator app expects), through the `otpauth` package. A code is checked against the
 * step before, the current one and the one after (±30 s of clock drift); the step it matched is
 * returned so the caller can refuse a code that was already used (replay, `totp_last_step`).
 */
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_S = 30;
/** steps either side of now that still count */
export const TOTP_WINDOW = 1;

/** A new random 160-bit secret, base32 (what an app's "enter key manually" takes). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(secret: string, label = 'lagebild', issuer = 'Lagebild'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secret),
  });
}

/** The otpauth:// URI an authenticator app imports (as text or a QR code). */
export function totpUri(secret: string, username: string, tenantName: string): string {
  return totpOf(secret, username, `Lagebild ${tenantName}`).toString();
}

/** The time step of `atMs`. */
export const totpStep = (atMs: number): number => Math.floor(atMs / 1000 / TOTP_PERIOD_S);

/** The step `code` belongs to (within the window around `atMs`), or null if it matches none. */
export function matchTotp(secret: string, code: string, atMs = Date.now()): number | null {
  const delta = totpOf(secret).validate({ token: code, timestamp: atMs, window: TOTP_WINDOW });
  return delta === null ? null : totpStep(atMs) + delta;
}

/** The code of `atMs` (tests and the simulator's scripted logins use it). */
export function totpCode(secret: string, atMs = Date.now()): string {
  return totpOf(secret).generate({ timestamp: atMs });
}
