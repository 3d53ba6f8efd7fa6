import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { inputParser } from './parse-input.ts';
import { TestError } from './test-errors.ts';

const parseInput = inputParser(TestError);
const Body = z.object({ name: z.string(), n: z.number().int() });

describe('inputParser()', () => {
  it('returns the parsed value', () => {
    expect(parseInput(Body, { name: 'a', n: 1, extra: true })).toEqual({ name: 'a', n: 1 });
  });

  it("throws the service's own bad_request naming each bad field", () => {
    let err: unknown;
    try {
      parseInput(Body, { n: 1.5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TestError);
    const body = (err as TestError).toBody();
    expect((err as TestError).status).toBe(400);
    expect(body.error.message).toBe('invalid request body');
    expect(body.error.issues).toHaveLength(2);
    expect(body.error.issues?.[0]).toMatch(/^name: /);
    expect(body.error.issues?.[1]).toMatch(/^n: /);
  });

  it('names what was parsed', () => {
    expect(() => parseInput(Body, null, 'query')).toThrow('invalid query');
  });
});
