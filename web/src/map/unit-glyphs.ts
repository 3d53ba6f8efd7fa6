/**
 * How a unit looks on the map. Colour alone is not enough (colour-blind staff, glare on a wall
 * display), so every status also has its own shape:
 *   standby   small circle
 *   display   diamond
 *   recording triangle with a ring ("REC")
 *   emergency the stage's shape inside a large pulsing double ring with an "SOS" tag
 * Staleness changes the drawing, not the colour meaning: >30 s fades, "signal lost" turns the glyph
 * grey and dashed. The heading is a small arrow outside the glyph.
 */
import type { UnitLive } from '@lagebild/protocol';
import type { Freshness } from '@/lib/staleness';
import { statusOf, type UnitStatus } from '../lib/unit-filter.ts';

/** a 2D context on the page or in a worker (OffscreenCanvas): the map draws the same on both */
export type Canvas2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export interface MapPalette {
  standby: string;
  display: string;
  recording: string;
  emergency: string;
  lost: string;
  /** stroke that separates glyphs from the background and from each other */
  outline: string;
  label: string;
  labelHalo: string;
  selection: string;
  /** text on the emergency colour */
  onEmergency: string;
  grid: string;
  gridStrong: string;
}

const CSS_VARS: Record<keyof MapPalette, string> = {
  standby: '--stage-standby',
  display: '--stage-display',
  recording: '--stage-recording',
  emergency: '--stage-emergency',
  lost: '--stage-lost',
  outline: '--map-glyph-outline',
  label: '--map-label',
  labelHalo: '--map-label-halo',
  selection: '--map-selection',
  onEmergency: '--on-emergency',
  grid: '--map-grid',
  gridStrong: '--map-grid-strong',
};

/** Reads the palette from the theme's CSS custom properties, so canvas and CSS never disagree. */
export function readPalette(element: Element = document.documentElement): MapPalette {
  const style = getComputedStyle(element);
  const palette = {} as MapPalette;
  for (const key of Object.keys(CSS_VARS) as (keyof MapPalette)[]) {
    palette[key] = style.getPropertyValue(CSS_VARS[key]).trim() || '#888';
  }
  return palette;
}

/** Radius (px) within which a click or hover counts as hitting the unit. */
export const HIT_RADIUS: Record<UnitStatus, number> = {
  standby: 10,
  display: 11,
  recording: 15,
  emergency: 24,
};

export interface GlyphOptions {
  freshness: Freshness;
  selected: boolean;
  hovered: boolean;
  /** false when the user asked for reduced motion: emergencies get a steady double ring instead */
  pulse: boolean | null;
  label: string | null;
  sosText: string;
  palette: MapPalette;
}

function pathShape(ctx: Canvas2D, stage: UnitLive['stage'], x: number, y: number): void {
  ctx.beginPath();
  if (stage === 'standby') {
    ctx.arc(x, y, 6, 0, Math.PI * 2);
  } else if (stage === 'display') {
    ctx.moveTo(x, y - 9);
    ctx.lineTo(x + 9, y);
    ctx.lineTo(x, y + 9);
    ctx.lineTo(x - 9, y);
    ctx.closePath();
  } else {
    // equilateral triangle, centroid on the position
    ctx.moveTo(x, y - 11);
    ctx.lineTo(x + 10, y + 6.5);
    ctx.lineTo(x - 10, y + 6.5);
    ctx.closePath();
  }
}

function drawHeading(
  ctx: Canvas2D,
  x: number,
  y: number,
  headingDeg: number,
  distance: number,
  color: string,
  outline: string,
): void {
  const angle = ((headingDeg - 90) * Math.PI) / 180;
  const tipX = x + Math.cos(angle) * (distance + 7);
  const tipY = y + Math.sin(angle) * (distance + 7);
  const baseX = x + Math.cos(angle) * distance;
  const baseY = y + Math.sin(angle) * distance;
  const nx = -Math.sin(angle) * 4;
  const ny = Math.cos(angle) * 4;
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(baseX + nx, baseY + ny);
  ctx.lineTo(baseX - nx, baseY - ny);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.strokeStyle = outline;
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.fill();
}

function drawLabel(ctx: Canvas2D, text: string, x: number, y: number, palette: MapPalette): void {
  ctx.font = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.lineJoin = 'round';
  ctx.lineWidth = 4;
  ctx.strokeStyle = palette.labelHalo;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = palette.label;
  ctx.fillText(text, x, y);
}

function drawSosTag(ctx: Canvas2D, x: number, y: number, text: string, palette: MapPalette): void {
  ctx.font = '800 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const width = ctx.measureText(text).width + 12;
  const top = y - 44;
  ctx.beginPath();
  ctx.roundRect(x - width / 2, top, width, 19, 4);
  ctx.fillStyle = palette.emergency;
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = palette.outline;
  ctx.stroke();
  ctx.fillStyle = palette.onEmergency;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, x, top + 10);
}

/** What of a unit its glyph shows (the label aside). */
export type GlyphUnit = Pick<UnitLive, 'stage' | 'emergency' | 'headingDeg'>;

/** stale units fade, lost ones a little less (they are grey and dashed besides) */
function freshnessAlpha(freshness: Freshness): number {
  return freshness === 'stale' ? 0.5 : freshness === 'lost' ? 0.75 : 1;
}

/** Draws one unit centred on (x, y) and returns its hit radius. */
export function drawUnit(ctx: Canvas2D, unit: GlyphUnit, x: number, y: number, o: GlyphOptions): number {
  const status = statusOf(unit);
  const lost = o.freshness === 'lost';
  const p = o.palette;
  const fill = lost ? p.lost : p[unit.stage];
  ctx.save();
  ctx.globalAlpha = freshnessAlpha(o.freshness);

  if (status === 'emergency') {
    // a steady ring; the pulse around it is drawn by drawEmergencyPulse on its own canvas, or, when
    // the user asked for reduced motion (pulse === null), as a second steady ring
    ctx.lineWidth = 4;
    ctx.strokeStyle = p.emergency;
    ctx.setLineDash(lost ? [6, 4] : []);
    ctx.beginPath();
    ctx.arc(x, y, 18, 0, Math.PI * 2);
    ctx.stroke();
    if (o.pulse === null) {
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(x, y, 26, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.setLineDash([]);
  }

  if (unit.headingDeg !== null && !lost) {
    drawHeading(ctx, x, y, unit.headingDeg, unit.stage === 'recording' ? 13 : 10, fill, p.outline);
  }

  if (unit.stage === 'recording' && status !== 'emergency') {
    ctx.beginPath();
    ctx.arc(x, y, 14, 0, Math.PI * 2);
    ctx.lineWidth = 2;
    ctx.strokeStyle = lost ? p.lost : p.recording;
    ctx.stroke();
  }

  pathShape(ctx, unit.stage, x, y);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = o.hovered ? 3 : 2;
  ctx.strokeStyle = p.outline;
  if (lost) ctx.setLineDash([3, 2]);
  ctx.stroke();
  ctx.setLineDash([]);

  if (lost) {
    // a small cross: "we do not know where this unit is now"
    ctx.beginPath();
    ctx.moveTo(x - 3, y - 3);
    ctx.lineTo(x + 3, y + 3);
    ctx.moveTo(x + 3, y - 3);
    ctx.lineTo(x - 3, y + 3);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = p.outline;
    ctx.stroke();
  }

  const radius = HIT_RADIUS[status];
  if (o.selected) {
    ctx.globalAlpha = 1;
    ctx.beginPath();
    ctx.arc(x, y, radius + 5, 0, Math.PI * 2);
    ctx.lineWidth = 3;
    ctx.strokeStyle = p.selection;
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(x, y, radius + 8, 0, Math.PI * 2);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = p.outline;
    ctx.stroke();
  }

  if (status === 'emergency') {
    ctx.globalAlpha = 1;
    drawSosTag(ctx, x, y, o.sosText, p);
  }
  if (o.label) drawLabel(ctx, o.label, x + radius + 4, y, p);
  ctx.restore();
  return radius;
}

/**
 * The label drawUnit would draw beside a unit that is neither selected nor in an emergency, for a
 * glyph drawn from a sprite (glyph-sprites.ts): same place, same fading.
 */
export function drawUnitLabel(
  ctx: Canvas2D,
  unit: GlyphUnit,
  text: string,
  x: number,
  y: number,
  freshness: Freshness,
  palette: MapPalette,
): void {
  ctx.save();
  ctx.globalAlpha = freshnessAlpha(freshness);
  drawLabel(ctx, text, x + HIT_RADIUS[statusOf(unit)] + 4, y, palette);
  ctx.restore();
}

/**
 * The part of an emergency that moves: a soft halo and a ring that widens and fades, once every
 * period (below 1 Hz, far from the 3 flashes/s limit of WCAG 2.3.1). `phase` runs from 0 to 1.
 */
export function drawEmergencyPulse(
  ctx: Canvas2D,
  x: number,
  y: number,
  phase: number,
  palette: MapPalette,
): void {
  ctx.save();
  ctx.globalAlpha = 0.16;
  ctx.fillStyle = palette.emergency;
  ctx.beginPath();
  ctx.arc(x, y, 34, 0, Math.PI * 2);
  ctx.fill();
  ctx.globalAlpha = 1 - phase * 0.9;
  ctx.lineWidth = 4;
  ctx.strokeStyle = palette.emergency;
  ctx.beginPath();
  ctx.arc(x, y, 20 + phase * 22, 0, Math.PI * 2);
  ctx.stroke();
  ctx.restore();
}
