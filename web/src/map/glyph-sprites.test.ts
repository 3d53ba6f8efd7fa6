import { describe, expect, it } from 'vitest';
import { createGlyphSprites, HEADING_STEP_DEG, headingStep, spriteBox } from './glyph-sprites.ts';
import type { MapPalette } from './unit-glyphs.ts';

const palette = new Proxy({}, { get: () => '#123456' }) as MapPalette;

/** a canvas whose context records the calls drawUnit makes */
function fakeCanvas(calls: string[]) {
  const ctx = new Proxy(
    {},
    {
      get: (_t, name) =>
        typeof name === 'string'
          ? (...args: unknown[]) => calls.push(`${name}(${args.join(',')})`)
          : undefined,
      set: () => true,
    },
  );
  return { width: 0, height: 0, getContext: () => ctx } as unknown as HTMLCanvasElement;
}

describe('headingStep()', () => {
  it('rounds the heading to its step and wraps around north', () => {
    expect(headingStep(null)).toBe(-1);
    expect(headingStep(0)).toBe(0);
    expect(headingStep(2.4)).toBe(0);
    expect(headingStep(2.6)).toBe(1);
    expect(headingStep(359)).toBe(0);
    expect(headingStep(-90)).toBe(270 / HEADING_STEP_DEG);
    expect(headingStep(Number.NaN)).toBe(-1);
  });
});

describe('spriteBox()', () => {
  it('holds the glyph and reaches out towards the heading arrow only', () => {
    const still = spriteBox('standby', null);
    expect(still).toEqual({ left: -10, top: -10, right: 10, bottom: 10 });
    // heading 90°: the arrow points east, its tip 17 px out
    const east = spriteBox('standby', 90);
    expect(east.right).toBeGreaterThanOrEqual(17 + 1.5);
    expect(east.left).toBe(-10);
    // a recording's arrow sits outside its ring: tip 20 px out
    const north = spriteBox('recording', 0);
    expect(north.top).toBeLessThanOrEqual(-(20 + 1.5));
    expect(north.bottom).toBe(17);
  });
});

describe('createGlyphSprites()', () => {
  it('draws each glyph once, the same one for headings in one step, one for a lost unit', () => {
    const calls: string[] = [];
    let made = 0;
    const sprites = createGlyphSprites(palette, 2, () => {
      made += 1;
      return fakeCanvas(calls);
    });
    const a = sprites.get('display', 'fresh', 44);
    expect(sprites.get('display', 'fresh', 46)).toBe(a);
    expect(sprites.get('display', 'fresh', 50)).not.toBe(a);
    expect(sprites.get('display', 'stale', 44)).not.toBe(a);
    expect(sprites.get('display', 'lost', 10)).toBe(sprites.get('display', 'lost', 200));
    expect(made).toBe(4);
    // drawn at the pixel ratio, the centre on a whole device pixel inside the sprite
    expect(a.image.width).toBeGreaterThan(2 * 2 * 13 - 1);
    expect(a.dx).toBe(Math.floor(spriteBox('display', 45).left * 2));
    expect(calls[0]).toBe(`setTransform(2,0,0,2,${-a.dx},${-a.dy})`);
  });
});
