/**
 * @lagebild/tokens: short-lived media tokens, HMAC-SHA256 signed, shared by the gateway (mints
 * them) and the SFU (verifies them) without a database round trip.
 *
 * Format: `mt1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, "mt1.<claims>"))>`.
 * The claims are a protocol schema (MediaTokenClaims), validated again on verify, so a token
 * signed with the right key but an unexpected shape is still refused. Several secrets may verify
 * (rotation: sign with the first, accept all).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type DeviceTokenClaims, MediaTokenClaims, type ViewerTokenClaims } from '@lagebild/protocol';
import { z } from 'zod';

const PREFIX = 'mt1';
/** Largest token accepted; anything longer is refused before any crypto. */
export const MAX_TOKEN_LENGTH = 1024;
/** Minimum secret length (bytes of UTF-8): 256 bits of entropy as base64url is 43 characters. */
export const MIN_SECRET_LENGTH = 32;

/**
 * `MEDIA_TOKEN_SECRET` as the gateway and the SFU read it: one secret, or several separated by
 * commas during a rotation (the first signs, all verify). Each must be long enough.
 */
export const MediaTokenSecrets = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(
    z
      .array(
        z.string().refine((x) => Buffer.byteLength(x) >= MIN_SECRET_LENGTH, {
          message: `each secret needs ${MIN_SECRET_LENGTH}+ characters`,
        }),
      )
      .min(1),
  );

export type TokenFailure = 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'wrong_type';

export class TokenError extends Error {
  readonly reason: TokenFailure;
  constructor(reason: TokenFailure, message: string) {
    super(message);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

/** HMAC-SHA256 output length: a signature part is exactly 43 base64url characters. */
const SIGNATURE_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The bytes of `s` if it is the canonical base64url spelling of them (re-encoding gives `s` back), else null. */
export function canonicalBase64url(s: string): Buffer | null {
  if (!BASE64URL.test(s)) return null;
  const bytes = Buffer.from(s, 'base64url');
  return bytes.toString('base64url') === s ? bytes : null;
}

function mac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function checkSecret(secret: string): void {
  if (Buffer.byteLength(secret) < MIN_SECRET_LENGTH) {
    throw new Error(`media token secret too short (need at least ${MIN_SECRET_LENGTH} bytes)`);
  }
}

type Unsigned<T> = Omit<T, 'iat' | 'exp'>;

/** Signs claims valid for ttlMs from nowMs. */
export function signToken(
  secret: string,
  claims: Unsigned<DeviceTokenClaims> | Unsigned<ViewerTokenClaims>,
  ttlMs: number,
  nowMs = Date.now(),
): { token: string; expiresAt: number } {
  checkSecret(secret);
  const full = MediaTokenClaims.parse({ ...claims, iat: nowMs, exp: nowMs + ttlMs });
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(full)).toString('base64url')}`;
  return { token: `${body}.${mac(secret, body).toString('base64url')}`, expiresAt: full.exp };
}

/** Verifies signature, shape and expiry; throws TokenError with a reason a 401 can carry. */
export function verifyToken(
  secrets: readonly string[],
  token: string | undefined,
  nowMs = Date.now(),
): DeviceTokenClaims | ViewerTokenClaims {
  if (!token) throw new TokenError('missing', 'a media token is required (Authorization: Bearer <token>)');
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed', 'media token too long');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX || !parts[1] || !parts[2]) {
    throw new TokenError('malformed', 'not a media token');
  }
  // Node's base64url decoder ignores characters outside the alphabet and the unused low bits of the
  // last character, so several spellings decode to the same bytes: a token whose signature's last
  // character was changed would still verify. Only the one canonical spelling (what signToken
  // writes: no padding, zero trailing bits) is a token.
  const sig = canonicalBase64url(parts[2]);
  const rawClaims = canonicalBase64url(parts[1]);
  if (!sig || !rawClaims) throw new TokenError('malformed', 'media token is not canonical base64url');
  if (sig.length !== SIGNATURE_BYTES)
    throw new TokenError('malformed', 'media token signature has the wrong length');
  const body = `${parts[0]}.${parts[1]}`;
  const given = sig;
  const ok = secrets.some((s) => {
    const want = mac(s, body);
    return want.length === given.length && timingSafeEqual(want, given);
  });
  if (!ok) throw new TokenError('bad_signature', 'media token signature invalid');
  let json: unknown;
  try {
    json = JSON.parse(rawClaims.toString('utf8'));
  } catch {
    throw new TokenError('malformed', 'media token claims are not JSON');
  }
  const claims = MediaTokenClaims.safeParse(json);
  if (!claims.success) throw new TokenError('malformed', 'media token claims invalid');
  if (claims.data.exp <= nowMs) throw new TokenError('expired', 'media token expired; fetch a new one');
  return claims.data;
}

export function verifyDeviceToken(
  secrets: readonly string[],
  token: string | undefined,
  nowMs?: number,
): DeviceTokenClaims {
  const c = verifyToken(secrets, token, nowMs);
  if (c.typ !== 'device') throw new TokenError('wrong_type', 'a device token is required here');
  return c;
}

export function verifyViewerToken(
  secrets: readonly string[],
  token: string | undefined,
  nowMs?: number,
): ViewerTokenClaims {
  const c = verifyToken(secrets, token, nowMs);
  if (c.typ !== 'viewer') throw new TokenError('wrong_type', 'a viewer token is required here');
  return c;
}

/** The token from an `Authorization: Bearer <token>` header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
