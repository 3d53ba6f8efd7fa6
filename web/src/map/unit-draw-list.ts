/**
 * What the units canvas draws, as data (issue 17, bench:map): the layer decides on the main thread
 * which units are in view, where each one goes and how it looks (`packUnits`, which also fills the
 * hit index for hover and click), and `drawList` draws that list, in a worker on an OffscreenCanvas
 * (unit-draw-worker.ts) or, where a browser cannot, on the page's canvas. A unit drawn from a sprite
 * (glyph-sprites.ts) is four numbers in one flat array, so 10,000 units cross to the worker as one
 * transferred buffer; the few drawn as paths (emergency, selected, hovered) and the labels travel as
 * small objects beside it.
 */
import type { UnitLive } from '@lagebild/protocol';
import { isOnDuty } from '../lib/on-duty.ts';
import { type Freshness, freshnessOf } from '../lib/staleness.ts';
import { labelOf, statusOf, type UnitStatus } from '../lib/unit-filter.ts';
import { spriteKey } from './glyph-sprites.ts';
import type { HitSink } from './hit-index.ts';
import type { LayerProjector } from './mercator.ts';
import {
  type Canvas2D,
  drawUnit,
  drawUnitLabel,
  type GlyphUnit,
  HIT_RADIUS,
  type MapPalette,
} from './unit-glyphs.ts';

/** numbers per unit in `DrawList.commands`: x, y, sprite key (-1: paths), glyph or label index (-1: none) */
export const STRIDE = 4;
/** draw order: least urgent first so the urgent ones end up on top */
const DRAW_ORDER: readonly UnitStatus[] = ['standby', 'display', 'recording', 'emergency'];

/** a unit drawn as paths (emergency, selected, hovered): everything drawUnit needs */
export interface GlyphCommand extends GlyphUnit {
  freshness: Freshness;
  selected: boolean;
  hovered: boolean;
  label: string | null;
}

/** the label beside a unit drawn from a sprite */
export interface LabelCommand extends GlyphUnit {
  text: string;
  freshness: Freshness;
}

export interface DrawList {
  /** per unit, in draw order, STRIDE numbers: see STRIDE; x and y are CSS px from the canvas's corner */
  commands: Float64Array;
  count: number;
  glyphs: GlyphCommand[];
  labels: LabelCommand[];
  /** layer positions of the emergencies drawn, [x0, y0, x1, y1, …], for the pulse canvas */
  emergencyPoints: number[];
}

export function createDrawList(capacity = 1024): DrawList {
  return {
    commands: new Float64Array(capacity * STRIDE),
    count: 0,
    glyphs: [],
    labels: [],
    emergencyPoints: [],
  };
}

export interface PackView {
  /** the canvas's top-left corner in layer pixels: canvas x = layer x - originX */
  originX: number;
  originY: number;
  dpr: number;
  project: LayerProjector;
  /** the drawn area (and a margin) in degrees: units outside it are skipped before projection */
  south: number;
  north: number;
  west: number;
  east: number;
  serverNow: number;
  selectedId: string | null;
  hoverId: string | null;
  showLabels: boolean;
}

/** what packUnits reads of a unit: the page's UnitLive, or the worker's copy (unit-mirror.ts) */
export type PackUnit = Pick<
  UnitLive,
  | 'deviceId'
  | 'unitId'
  | 'position'
  | 'stage'
  | 'emergency'
  | 'headingDeg'
  | 'receivedAt'
  | 'online'
  | 'callsign'
  | 'deviceLabel'
>;

/**
 * Fills `list` with the units to draw, least urgent first and the selected unit last (never hidden
 * under others), and `hits` with their centres and hit radii in layer pixels in the same order.
 * Cameras without a shift are not units and are not drawn (issue 15).
 */
export function packUnits<U extends PackUnit>(
  units: Iterable<U>,
  unitCount: number,
  view: PackView,
  list: DrawList,
  hits: HitSink<U>,
  buckets: Record<UnitStatus, U[]> = { standby: [], display: [], recording: [], emergency: [] },
): void {
  const { south, north, west, east, selectedId, hoverId, showLabels, serverNow, project, dpr } = view;
  if (list.commands.length < unitCount * STRIDE) {
    list.commands = new Float64Array(Math.max(1024, unitCount + (unitCount >> 2)) * STRIDE);
  }
  const commands = list.commands;
  list.count = 0;
  list.glyphs.length = 0;
  list.labels.length = 0;
  list.emergencyPoints.length = 0;
  hits.reset();
  for (const status of DRAW_ORDER) buckets[status].length = 0;
  let selected: U | null = null;
  for (const unit of units) {
    const position = unit.position;
    if (!position || !isOnDuty(unit)) continue;
    if (unit.deviceId === selectedId) {
      selected = unit;
      continue;
    }
    const { lat, lng } = position;
    if (lat < south || lat > north || lng < west || lng > east) continue;
    buckets[statusOf(unit)].push(unit);
  }
  const ox = view.originX;
  const oy = view.originY;
  const add = (unit: U, isSelected: boolean) => {
    const position = unit.position!;
    const lx = project.x(position.lng);
    const ly = project.y(position.lat);
    // on whole device pixels, as Leaflet's rounded layer points were, so sprites are plain copies
    const x = Math.round((lx - ox) * dpr) / dpr;
    const y = Math.round((ly - oy) * dpr) / dpr;
    const freshness = freshnessOf(unit, serverNow);
    const status = statusOf(unit);
    const hovered = unit.deviceId === hoverId;
    const label = isSelected || showLabels || status === 'emergency' ? labelOf(unit) : null;
    const at = list.count * STRIDE;
    commands[at] = x;
    commands[at + 1] = y;
    if (isSelected || hovered || status === 'emergency') {
      if (status === 'emergency') list.emergencyPoints.push(lx, ly);
      commands[at + 2] = -1;
      commands[at + 3] = list.glyphs.length;
      list.glyphs.push({
        stage: unit.stage,
        emergency: unit.emergency,
        headingDeg: unit.headingDeg,
        freshness,
        selected: isSelected,
        hovered,
        label,
      });
    } else {
      commands[at + 2] = spriteKey(unit.stage, freshness, unit.headingDeg);
      commands[at + 3] = label === null ? -1 : list.labels.length;
      if (label !== null) {
        list.labels.push({
          stage: unit.stage,
          emergency: unit.emergency,
          headingDeg: unit.headingDeg,
          text: label,
          freshness,
        });
      }
    }
    list.count += 1;
    hits.add(unit, lx, ly, HIT_RADIUS[status]);
  };
  for (const status of DRAW_ORDER) for (const unit of buckets[status]) add(unit, false);
  if (selected) add(selected, true);
}

/** the sprites drawList copies from (glyph-sprites.ts, on the page or in the worker) */
export interface SpriteSource {
  byKey(key: number): {
    image: CanvasImageSource & { width: number; height: number };
    dx: number;
    dy: number;
  };
}

/** what drawList needs of a DrawList: the part that crosses to the worker */
export type DrawListData = Pick<DrawList, 'commands' | 'count' | 'glyphs' | 'labels'>;

/**
 * Draws a packed list onto a cleared context whose transform maps CSS px to device px. `pulse` is
 * false when the user asked for reduced motion (emergencies get a steady double ring).
 */
export function drawList(
  ctx: Canvas2D,
  list: DrawListData,
  sprites: SpriteSource,
  dpr: number,
  palette: MapPalette,
  sosText: string,
  pulse: boolean,
): void {
  const { commands, glyphs, labels } = list;
  for (let i = 0; i < list.count; i++) {
    const at = i * STRIDE;
    const x = commands[at]!;
    const y = commands[at + 1]!;
    const key = commands[at + 2]!;
    const extra = commands[at + 3]!;
    if (key < 0) {
      const glyph = glyphs[extra]!;
      drawUnit(ctx, glyph, x, y, {
        freshness: glyph.freshness,
        selected: glyph.selected,
        hovered: glyph.hovered,
        pulse: pulse ? true : null,
        label: glyph.label,
        sosText,
        palette,
      });
      continue;
    }
    const sprite = sprites.byKey(key);
    const image = sprite.image;
    ctx.drawImage(image, x + sprite.dx / dpr, y + sprite.dy / dpr, image.width / dpr, image.height / dpr);
    if (extra >= 0) {
      const label = labels[extra]!;
      drawUnitLabel(ctx, label, label.text, x, y, label.freshness, palette);
    }
  }
}
