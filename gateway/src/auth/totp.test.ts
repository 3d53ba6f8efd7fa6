import { describe, expect, it } from 'vitest';
import { matchTotp, newTotpSecret, totpCode, totpStep, totpUri } from './totp.ts';

describe('TOTP (RFC 6238)', () => {
  it('[SIGN1] matches the RFC 6238 SHA-1 test vector', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits → 287082
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCode(secret, 59_000)).toBe('287082');
    expect(matchTotp(secret, '287082', 59_000)).toBe(1);
  });

  it('[SIGN1] accepts the step before and after, refuses two steps away', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_015_000;
    expect(matchTotp(secret, totpCode(secret, now - 30_000), now)).toBe(totpStep(now) - 1);
    expect(matchTotp(secret, totpCode(secret, now + 30_000), now)).toBe(totpStep(now) + 1);
    expect(matchTotp(secret, totpCode(secret, now - 60_000), now)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, now + 60_000), now)).toBeNull();
  });

  it('writes an otpauth:// URI with issuer and account', () => {
    const uri = totpUri(newTotpSecret(), 'anna', 'Olfen');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Lagebild%20Olfen:anna\?/);
    expect(uri).toContain('period=30');
  });
});
