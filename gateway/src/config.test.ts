import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const c = loadConfig(base);
    expect([c.PORT, c.COALESCE_MS, c.COOKIE_SECURE]).toEqual([3000, 100, false]);
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('names every bad variable', () => {
    expect(() => loadConfig({ ...base, PORT: 'eighty', COALESCE_MS: '1' })).toThrow(/PORT[\s\S]*COALESCE_MS/);
    expect(() => loadConfig({ REDIS_URL: base.REDIS_URL })).toThrow(/DATABASE_URL/);
  });
  it('reads MEDIA_TOKEN_SECRET as a rotation list and refuses a short secret at start-up', () => {
    expect(loadConfig(base).MEDIA_TOKEN_SECRET).toEqual([]);
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    expect(loadConfig({ ...base, MEDIA_TOKEN_SECRET: `${a}, ${b}` }).MEDIA_TOKEN_SECRET).toEqual([a, b]);
    expect(() => loadConfig({ ...base, MEDIA_TOKEN_SECRET: 'short' })).toThrow(/MEDIA_TOKEN_SECRET/);
    expect(() => loadConfig({ ...base, MEDIA_TOKEN_SECRET: `${a},short` })).toThrow(/32\+ characters/);
  });
});
