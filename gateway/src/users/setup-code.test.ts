import { describe, expect, it } from 'vitest';
import { newSetupCode, normaliseSetupCode, setupCodeHash, setupCodeMatches } from './setup-code.ts';

describe('one-time setup codes', () => {
  it('are four groups of four Crockford base32 characters, different each time', () => {
    const codes = new Set(Array.from({ length: 200 }, newSetupCode));
    expect(codes.size).toBe(200);
    for (const c of codes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  });

  it('match as typed: lower case, without dashes, with spaces, I/L for 1 and O for 0', () => {
    const code = 'K7QM-3XH1-9PRD-WV0N';
    const stored = setupCodeHash(code);
    for (const typed of [code, 'k7qm3xh19prdwv0n', 'K7QM 3XHI 9PRD WVON', 'k7qm-3xhl-9prd-wv0n'])
      expect(setupCodeMatches(typed, stored), typed).toBe(true);
    expect(setupCodeMatches('K7QM-3XH1-9PRD-WV0M', stored)).toBe(false);
    expect(normaliseSetupCode(' ab-cd ')).toBe('ABCD');
  });
});
