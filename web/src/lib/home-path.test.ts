import { describe, expect, it } from 'vitest';
import { homeFor, safeNextPath } from './home-path';

describe('where a login leads', () => {
  it('sends evaluators to the statistics and everyone else to the live map', () => {
    expect(homeFor('evaluator')).toBe('/evaluation/');
    expect(['admin', 'supervisor', 'operator'].map((r) => homeFor(r as 'admin'))).toEqual(['/', '/', '/']);
  });
  it('follows ?next= only on this origin, else the role’s home', () => {
    expect(safeNextPath('/admin/devices/', '/evaluation/')).toBe('/admin/devices/');
    for (const evil of [
      '//evil.example/',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      // issue 11: the URL parser drops tabs and newlines, then reads the rest as a host
      '/\t/evil.example/',
      '/\n/evil.example/',
      '/\r\n/evil.example',
      '/\\/evil.example',
    ]) {
      expect(safeNextPath(evil, '/evaluation/')).toBe('/evaluation/');
    }
    expect(safeNextPath(null)).toBe('/');
    expect(safeNextPath('/recordings/?id=1#x')).toBe('/recordings/?id=1#x');
    expect(safeNextPath('/ \t/evil.example')).toBe('/%20/evil.example'); // a path here, not a host
    // what `?next=/%09/evil.example/` decodes to in the login page
    expect(safeNextPath(new URLSearchParams('next=/%09/evil.example/').get('next'))).toBe('/');
  });
});
