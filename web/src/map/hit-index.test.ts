import { describe, expect, it } from 'vitest';
import { createHitIndex } from './hit-index.ts';

describe('createHitIndex()', () => {
  it('finds the glyph under the pointer and nothing beside it', () => {
    const index = createHitIndex();
    index.add('a', 100, 100, 10);
    expect(index.find(105, 105)).toBe('a');
    expect(index.find(111, 100)).toBeNull();
  });

  it('prefers the glyph drawn last (on top) where glyphs overlap', () => {
    const index = createHitIndex();
    index.add('below', 100, 100, 10);
    index.add('above', 104, 100, 10);
    expect(index.find(100, 100)).toBe('above');
  });

  it('grows beyond its initial capacity and forgets everything on reset', () => {
    const index = createHitIndex(2);
    for (let i = 0; i < 2000; i++) index.add(`u${i}`, i * 30, 0, 10);
    expect(index.size).toBe(2000);
    expect(index.find(1999 * 30, 0)).toBe('u1999');
    index.reset();
    expect(index.find(0, 0)).toBeNull();
  });
});
