import { describe, expect, it } from 'vitest';
import {
  bearer,
  canonicalBase64url,
  signToken,
  TokenError,
  verifyDeviceToken,
  verifyToken,
  verifyViewerToken,
} from './index.ts';

const SECRET = 'a'.repeat(43);
const OTHER = 'b'.repeat(43);
const TENANT = '00000000-0000-4000-8000-000000000001';
const DEVICE = '00000000-0000-4000-8000-000000000002';
const USER = '00000000-0000-4000-8000-000000000003';
const SID = '0123456789abcdef0123456789abcdef';
const viewerClaims = {
  typ: 'viewer' as const,
  tenantId: TENANT,
  userId: USER,
  role: 'operator' as const,
  deviceId: DEVICE,
  sid: SID,
  sexp: 9e12,
};
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  return 'accepted';
};

describe('media tokens', () => {
  it('a device token verifies with its secret and carries tenant and device', () => {
    const { token, expiresAt } = signToken(
      SECRET,
      { typ: 'device', tenantId: TENANT, deviceId: DEVICE },
      60_000,
      1000,
    );
    expect(expiresAt).toBe(61_000);
    expect(verifyDeviceToken([SECRET], token, 2000)).toMatchObject({ tenantId: TENANT, deviceId: DEVICE });
  });

  it('refuses an expired token, a foreign signature, a tampered body and the wrong type', () => {
    const { token } = signToken(SECRET, { typ: 'device', tenantId: TENANT, deviceId: DEVICE }, 1000, 0);
    expect(reason(() => verifyToken([SECRET], token, 1000))).toBe('expired');
    expect(reason(() => verifyToken([OTHER], token, 10))).toBe('bad_signature');
    const [p, , s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ typ: 'device', tenantId: USER, deviceId: DEVICE, iat: 0, exp: 9e12 }),
    );
    expect(reason(() => verifyToken([SECRET], `${p}.${forged.toString('base64url')}.${s}`, 10))).toBe(
      'bad_signature',
    );
    expect(reason(() => verifyViewerToken([SECRET], token, 10))).toBe('wrong_type');
    expect(reason(() => verifyToken([SECRET], undefined))).toBe('missing');
    expect(reason(() => verifyToken([SECRET], 'x.y'))).toBe('malformed');
  });

  it('accepts any of several secrets (rotation)', () => {
    const { token } = signToken(OTHER, viewerClaims, 60_000);
    expect(verifyViewerToken([SECRET, OTHER], token)).toMatchObject({ role: 'operator', sid: SID });
  });

  // issue 11: Node's base64url decoder ignores the unused low bits of the last character, so a
  // signature with another last character decoded to the same bytes and the token still verified.
  it('[T1] refuses every token whose signature differs in its last character (issue 11)', () => {
    for (const claims of [{ typ: 'device' as const, tenantId: TENANT, deviceId: DEVICE }, viewerClaims]) {
      const { token } = signToken(SECRET, claims, 60_000, 1000);
      expect(reason(() => verifyToken([SECRET], token, 2000))).toBe('accepted');
      const last = token.at(-1)!;
      const results = new Set<string>();
      for (const c of ALPHABET) {
        if (c === last) continue;
        results.add(reason(() => verifyToken([SECRET], `${token.slice(0, -1)}${c}`, 2000)));
      }
      expect([...results].sort()).toEqual(['bad_signature', 'malformed']);
    }
  });

  it('[T1] refuses every token whose claims differ in their last character (issue 11)', () => {
    const { token } = signToken(SECRET, viewerClaims, 60_000, 1000);
    const [p, claims, sig] = token.split('.') as [string, string, string];
    for (const c of ALPHABET) {
      if (c === claims.at(-1)) continue;
      const tampered = `${p}.${claims.slice(0, -1)}${c}.${sig}`;
      expect(reason(() => verifyToken([SECRET], tampered, 2000))).not.toBe('accepted');
    }
  });

  it('[T1] refuses padding, whitespace and characters outside base64url in either part', () => {
    const { token } = signToken(SECRET, viewerClaims, 60_000, 1000);
    const [p, claims, sig] = token.split('.') as [string, string, string];
    for (const t of [
      `${p}.${claims}.${sig}=`,
      `${p}.${claims}.${sig.slice(0, 10)}+${sig.slice(11)}`,
      `${p}.${claims}.${sig.slice(0, 10)} ${sig.slice(10)}`,
      `${p}.${claims}=.${sig}`,
      `${p}.${claims}.${sig}A`,
    ]) {
      expect(reason(() => verifyToken([SECRET], t, 2000))).toBe('malformed');
    }
  });

  it('canonicalBase64url takes only the spelling Buffer writes', () => {
    expect(canonicalBase64url('AQ')).toEqual(Buffer.from([1]));
    expect(canonicalBase64url('AR')).toBeNull(); // same byte, non-zero trailing bits
    expect(canonicalBase64url('AQ==')).toBeNull();
    expect(canonicalBase64url('')).toBeNull();
  });

  it('refuses to sign a viewer token without its operator session (sid, sexp)', () => {
    const { sid: _sid, ...noSid } = viewerClaims;
    expect(() => signToken(SECRET, noSid as typeof viewerClaims, 1000)).toThrow();
  });

  it('refuses to sign with a short secret', () => {
    expect(() => signToken('short', { typ: 'device', tenantId: TENANT, deviceId: DEVICE }, 1000)).toThrow(
      /too short/,
    );
  });

  it('reads a Bearer header', () => {
    expect(bearer('Bearer abc.def')).toBe('abc.def');
    expect(bearer('Basic abc')).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});
