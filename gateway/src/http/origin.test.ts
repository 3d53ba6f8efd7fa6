import { describe, expect, it } from 'vitest';
import { checkOrigin, originHost } from './origin.ts';

describe('origin checks (issue 11)', () => {
  it('reads the host of an http(s) origin and refuses anything else', () => {
    expect(originHost('https://Leitstelle.Duisburg.de')).toBe('leitstelle.duisburg.de');
    expect(originHost('http://127.0.0.1:3000')).toBe('127.0.0.1:3000');
    expect(originHost('null')).toBeNull();
    expect(originHost('file:///etc/passwd')).toBeNull();
    expect(originHost('%%%')).toBeNull();
    expect(originHost(`https://${'a'.repeat(400)}.de`)).toBeNull();
  });

  it('says same, foreign, invalid or absent, and never throws', () => {
    const host = '127.0.0.1:3000';
    expect(checkOrigin({ host })).toBe('absent');
    expect(checkOrigin({ host, origin: 'http://127.0.0.1:3000' })).toBe('same');
    expect(checkOrigin({ host, origin: 'http://evil.example' })).toBe('foreign');
    expect(checkOrigin({ host, origin: 'null' })).toBe('invalid');
    expect(checkOrigin({ host, origin: '\u0000' })).toBe('invalid');
  });

  it('trusts X-Forwarded-Host only when told to, and accepts configured public origins', () => {
    const headers = {
      host: 'gateway:3000',
      'x-forwarded-host': 'lagebild.example.de',
      origin: 'https://lagebild.example.de',
    };
    expect(checkOrigin(headers)).toBe('foreign');
    expect(checkOrigin(headers, { forwardedHost: true })).toBe('same');
    expect(checkOrigin(headers, { publicOrigins: ['https://lagebild.example.de'] })).toBe('same');
  });
});
