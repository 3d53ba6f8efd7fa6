import { describe, expect, it } from 'vitest';
import { bearer, signToken, TokenError, verifyDeviceToken, verifyToken, verifyViewerToken } from './index.ts';

const SECRET = 'a'.repeat(43);
const OTHER = 'b'.repeat(43);
const TENANT = '00000000-0000-4000-8000-000000000001';
const DEVICE = '00000000-0000-4000-8000-000000000002';
const USER = '00000000-0000-4000-8000-000000000003';

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
    const { token } = signToken(
      OTHER,
      { typ: 'viewer', tenantId: TENANT, userId: USER, role: 'operator', deviceId: DEVICE },
      60_000,
    );
    expect(verifyViewerToken([SECRET, OTHER], token).role).toBe('operator');
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
