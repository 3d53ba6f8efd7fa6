import { describe, expect, it } from 'vitest';
import { qrModules, qrPath } from './qr-modules';

const URI =
  'otpauth://totp/Lagebild%20Duisburg:duisburg.admin?issuer=Lagebild%20Duisburg&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30';

/** a finder pattern: a 7×7 dark ring, a light ring inside, a dark 3×3 core */
function isFinder(m: ReturnType<typeof qrModules>, top: number, left: number): boolean {
  for (let r = 0; r < 7; r++)
    for (let c = 0; c < 7; c++) {
      const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
      if (m.isDark(top + r, left + c) !== (ring !== 2)) return false;
    }
  return true;
}

describe('qrModules', () => {
  it('encodes an otpauth URI as a QR code: a version that holds it, finder patterns in three corners', () => {
    const m = qrModules(URI);
    // 150 bytes at level M need version 7 or more (4 × version + 17 modules per side)
    expect(m.size).toBeGreaterThanOrEqual(45);
    expect((m.size - 17) % 4).toBe(0);
    expect(isFinder(m, 0, 0)).toBe(true);
    expect(isFinder(m, 0, m.size - 7)).toBe(true);
    expect(isFinder(m, m.size - 7, 0)).toBe(true);
    expect(isFinder(m, m.size - 7, m.size - 7)).toBe(false);
  });

  it('draws one unit square per dark module, inside the quiet zone', () => {
    const m = qrModules(URI);
    let dark = 0;
    for (let r = 0; r < m.size; r++) for (let c = 0; c < m.size; c++) if (m.isDark(r, c)) dark++;
    const d = qrPath(m, 4);
    expect(d.match(/M/g)?.length).toBe(dark);
    expect(d.startsWith('M4 4h1v1h-1z')).toBe(true); // the top-left finder's corner
    const xs = [...d.matchAll(/M(\d+) (\d+)/g)].flatMap((x) => [Number(x[1]), Number(x[2])]);
    expect(Math.min(...xs)).toBe(4);
    expect(Math.max(...xs)).toBe(m.size + 3);
  });

  it('gives different codes for different secrets', () => {
    const a = qrModules(URI);
    const b = qrModules(URI.replace('JBSWY3DP', 'KRSXG5CT'));
    expect(qrPath(a, 0)).not.toBe(qrPath(b, 0));
  });
});
