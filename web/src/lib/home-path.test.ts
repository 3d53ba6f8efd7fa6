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
    ]) {
      expect(safeNextPath(evil, '/evaluation/')).toBe('/evaluation/');
    }
    expect(safeNextPath(null)).toBe('/');
  });
});
