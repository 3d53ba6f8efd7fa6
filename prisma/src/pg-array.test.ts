import { describe, expect, it } from 'vitest';
import { pgArray } from './pg-array.ts';

describe('pgArray()', () => {
  it('writes numbers, booleans and nulls bare', () => {
    expect(pgArray([1, -2.5, 1e-7, 9007199254740991, null, undefined])).toBe(
      '{1,-2.5,1e-7,9007199254740991,NULL,NULL}',
    );
    expect(pgArray([true, false, null])).toBe('{t,f,NULL}');
    expect(pgArray([])).toBe('{}');
  });

  it('writes UUIDs and enum values bare', () => {
    expect(pgArray(['6f1c8a4e-1b2d-4c3e-9f00-0123456789ab', 'lte', 'recording'])).toBe(
      '{6f1c8a4e-1b2d-4c3e-9f00-0123456789ab,lte,recording}',
    );
  });

  it('quotes and escapes every other string, and a string that reads as NULL', () => {
    expect(pgArray(['a b', 'x,y', '{', 'say "hi"', 'back\\slash', '', 'NULL', 'null', 'nulls'])).toBe(
      '{"a b","x,y","{","say \\"hi\\"","back\\\\slash","","NULL","null",nulls}',
    );
    expect(pgArray(['Gefahr im Verzug: Angriff'])).toBe('{"Gefahr im Verzug: Angriff"}');
  });

  it('refuses a number PostgreSQL cannot read back', () => {
    expect(() => pgArray([Number.NaN])).toThrow(RangeError);
    expect(() => pgArray([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});
