/**
 * Unit glyphs drawn once and then copied (issue 17, bench:map). With 10,000 units in view the map's
 * cost was the rasterization of each unit's paths (two to four anti-aliased fills and strokes) in
 * software when the frame is committed; copying a small pre-drawn bitmap with `drawImage` is a blit.
 *
 * A sprite is exactly what `drawUnit` draws for a unit that is neither selected, hovered nor in an
 * emergency (those few are drawn as paths as before), with its heading rounded to HEADING_STEP_DEG:
 * the arrow's tip moves by at most 0.9 px. Sprites are drawn with the same calls as the paths, so
 * overlaps and fading look the same, and placed on whole device pixels as the paths were (Leaflet
 * rounds layer points). Made on first use and kept until the palette or the pixel ratio changes:
 * 3 stages × 3 freshnesses × 73 headings at most, each a few kB.
 */
import type { UnitLive } from '@lagebild/protocol';
import type { Freshness } from '@/lib/staleness';
import { type Canvas2D, drawUnit, type MapPalette } from './unit-glyphs.ts';

export const HEADING_STEP_DEG = 5;
const HEADINGS = 360 / HEADING_STEP_DEG;
type Stage = UnitLive['stage'];
const STAGES: readonly Stage[] = ['standby', 'display', 'recording'];
const FRESHNESSES: readonly Freshness[] = ['fresh', 'stale', 'lost'];

/** how far the glyph reaches from its centre (shape, ring and stroke, with room for anti-aliasing) */
const REACH: Record<Stage, number> = { standby: 10, display: 13, recording: 17 };

/** a canvas on the page, or an OffscreenCanvas in the map's drawing worker (unit-draw-worker.ts) */
export interface SpriteCanvas {
  width: number;
  height: number;
  getContext(id: '2d'): Canvas2D | null;
}

export interface GlyphSprite<C extends SpriteCanvas = HTMLCanvasElement> {
  image: C;
  /** device pixels from the unit's position to the sprite's top-left corner */
  dx: number;
  dy: number;
}

/** the heading's step (0 … HEADINGS-1), or -1 without a heading */
export function headingStep(headingDeg: number | null): number {
  if (headingDeg === null || !Number.isFinite(headingDeg)) return -1;
  const deg = ((headingDeg % 360) + 360) % 360;
  return Math.round(deg / HEADING_STEP_DEG) % HEADINGS;
}

/**
 * A sprite's number (0 … SPRITE_KEYS-1): stage, freshness and heading step, the heading dropped for a
 * lost unit (whose heading is not drawn). The drawing worker gets this number per unit, not the unit.
 */
export function spriteKey(stage: Stage, freshness: Freshness, headingDeg: number | null): number {
  const step = freshness === 'lost' ? -1 : headingStep(headingDeg);
  return (STAGE_INDEX[stage] * FRESHNESSES.length + FRESHNESS_INDEX[freshness]) * (HEADINGS + 1) + step + 1;
}
/** indexOf without the search: spriteKey runs for every unit in view on every redraw */
const STAGE_INDEX: Record<Stage, number> = { standby: 0, display: 1, recording: 2 };
const FRESHNESS_INDEX: Record<Freshness, number> = { fresh: 0, stale: 1, lost: 2 };
export const SPRITE_KEYS = STAGES.length * FRESHNESSES.length * (HEADINGS + 1);

/** The inverse of spriteKey (the heading as its step's angle). */
export function spriteOfKey(key: number): { stage: Stage; freshness: Freshness; headingDeg: number | null } {
  const step = (key % (HEADINGS + 1)) - 1;
  const rest = Math.floor(key / (HEADINGS + 1));
  return {
    stage: STAGES[Math.floor(rest / FRESHNESSES.length)]!,
    freshness: FRESHNESSES[rest % FRESHNESSES.length]!,
    headingDeg: step < 0 ? null : step * HEADING_STEP_DEG,
  };
}

/** The box (CSS px around the centre) that holds a glyph and its heading arrow. */
export function spriteBox(
  stage: Stage,
  headingDeg: number | null,
): { left: number; top: number; right: number; bottom: number } {
  const reach = REACH[stage];
  const box = { left: -reach, top: -reach, right: reach, bottom: reach };
  if (headingDeg === null) return box;
  // the arrow as unit-glyphs.ts drawHeading draws it: tip at distance + 7, base ±4 at distance
  const distance = stage === 'recording' ? 13 : 10;
  const angle = ((headingDeg - 90) * Math.PI) / 180;
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const points = [
    [c * (distance + 7), s * (distance + 7)],
    [c * distance - s * 4, s * distance + c * 4],
    [c * distance + s * 4, s * distance - c * 4],
  ] as const;
  // stroke 1.5 with mitred corners and anti-aliasing: 3 px around the points
  for (const [x, y] of points) {
    box.left = Math.min(box.left, x - 3);
    box.right = Math.max(box.right, x + 3);
    box.top = Math.min(box.top, y - 3);
    box.bottom = Math.max(box.bottom, y + 3);
  }
  return box;
}

export function createGlyphSprites<C extends SpriteCanvas = HTMLCanvasElement>(
  palette: MapPalette,
  dpr: number,
  makeCanvas: () => C = () => document.createElement('canvas') as unknown as C,
) {
  const sprites: (GlyphSprite<C> | undefined)[] = [];

  function make(key: number): GlyphSprite<C> {
    const { stage, freshness, headingDeg } = spriteOfKey(key);
    const box = spriteBox(stage, headingDeg);
    const left = Math.floor(box.left * dpr);
    const top = Math.floor(box.top * dpr);
    const image = makeCanvas();
    image.width = Math.ceil(box.right * dpr) - left;
    image.height = Math.ceil(box.bottom * dpr) - top;
    const ctx = image.getContext('2d');
    if (ctx) {
      ctx.setTransform(dpr, 0, 0, dpr, -left, -top);
      drawUnit(ctx, { stage, emergency: false, headingDeg }, 0, 0, {
        freshness,
        selected: false,
        hovered: false,
        pulse: true,
        label: null,
        sosText: '',
        palette,
      });
    }
    return { image, dx: left, dy: top };
  }

  function byKey(key: number): GlyphSprite<C> {
    let sprite = sprites[key];
    if (!sprite) {
      sprite = make(key);
      sprites[key] = sprite;
    }
    return sprite;
  }

  return {
    dpr,
    /** the sprite of a unit that is not in an emergency */
    get(stage: Stage, freshness: Freshness, headingDeg: number | null): GlyphSprite<C> {
      return byKey(spriteKey(stage, freshness, headingDeg));
    },
    /** the sprite of a spriteKey */
    byKey,
    get size(): number {
      return sprites.filter(Boolean).length;
    },
  };
}
export type GlyphSprites<C extends SpriteCanvas = HTMLCanvasElement> = ReturnType<
  typeof createGlyphSprites<C>
>;
