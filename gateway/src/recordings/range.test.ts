import { describe, expect, it } from 'vitest';
import { mayDecide } from './four-eyes.ts';
import { parseRange } from './range.ts';

describe('parseRange', () => {
  it('reads start-end, open-ended and suffix ranges and clamps the end', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
  });
  it('refuses ranges outside the body and ignores what it does not understand', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-1', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange(undefined, 1000)).toBeNull();
  });
});

describe('four-eyes rule', () => {
  const op = { id: 'a', role: 'operator' as const };
  const sup = { id: 'b', role: 'supervisor' as const };
  const adm = { id: 'c', role: 'admin' as const };
  it('needs a second person who is a superior', () => {
    expect(mayDecide(sup, op)).toBeNull();
    expect(mayDecide(adm, sup)).toBeNull();
    expect(mayDecide(sup, sup)).toMatch(/cannot also consent/);
    expect(mayDecide({ id: 'd', role: 'operator' }, op)).toMatch(/supervisor/);
    expect(mayDecide({ id: 'e', role: 'supervisor' }, adm)).toMatch(/rank/);
    expect(mayDecide({ id: 'f', role: 'admin' }, adm)).toBeNull();
  });
});
