import { describe, expect, it } from 'vitest';
import { deviceIdOf, makeUnit } from '../lib/test-fixtures.ts';
import { spriteKey, spriteOfKey } from './glyph-sprites.ts';
import { createHitIndex } from './hit-index.ts';
import { createDrawList, drawList, type PackView, packUnits, STRIDE } from './unit-draw-list.ts';
import { canDrawInWorker } from './unit-draw-protocol.ts';
import { HIT_RADIUS, type MapPalette } from './unit-glyphs.ts';

const palette = new Proxy({}, { get: () => '#123456' }) as MapPalette;

/** 1 layer px per 0.001° around (51.43, 6.76); the canvas's corner at layer (0, 0) */
const view = (over: Partial<PackView> = {}): PackView => ({
  originX: 0,
  originY: 0,
  dpr: 1,
  project: { x: (lng) => Math.round((lng - 6.7) * 1000), y: (lat) => Math.round((51.5 - lat) * 1000) },
  south: 51.3,
  north: 51.5,
  west: 6.7,
  east: 6.9,
  serverNow: 2_000,
  selectedId: null,
  hoverId: null,
  showLabels: false,
  ...over,
});

describe('packUnits()', () => {
  it('draws the least urgent first, the selected unit last, and skips what is out of view or off duty', () => {
    const units = [
      makeUnit(1, { emergency: true, position: { lat: 51.4, lng: 6.8, accuracyM: 5 } }),
      makeUnit(2, { stage: 'recording', position: { lat: 51.41, lng: 6.81, accuracyM: 5 } }),
      makeUnit(3, { position: { lat: 51.42, lng: 6.82, accuracyM: 5 } }),
      makeUnit(4, { position: { lat: 52.5, lng: 6.82, accuracyM: 5 } }), // north of the view
      makeUnit(5, { unitId: null, callsign: null }), // a camera without a shift
      makeUnit(6, { position: null }),
      makeUnit(7, { stage: 'display', position: { lat: 51.43, lng: 6.83, accuracyM: 5 } }),
    ];
    const list = createDrawList(2);
    const hits = createHitIndex(2);
    packUnits(units, units.length, view({ selectedId: deviceIdOf(3) }), list, hits.sink);
    expect(list.count).toBe(4);
    const order = Array.from({ length: list.count }, (_, i) => list.commands[i * STRIDE]);
    // standby would come first, but unit 3 is selected: display (7), recording (2), emergency (1), 3
    expect(order).toEqual([130, 110, 100, 120]);
    expect(Array.from(list.commands.subarray(0, 4))).toEqual([
      130,
      70,
      spriteKey('display', 'fresh', 90),
      -1,
    ]);
    // the emergency and the selected unit are drawn as paths, with their labels
    expect(list.commands[2 * STRIDE + 2]).toBe(-1);
    expect(list.glyphs.map((g) => [g.label, g.selected])).toEqual([
      ['KOD Mitte 1', false],
      ['KOD Mitte 3', true],
    ]);
    expect(list.emergencyPoints).toEqual([100, 100]);
    // the hit index in draw order: the selected unit on top
    expect(hits.size).toBe(4);
    expect(hits.find(120, 80)).toBe(deviceIdOf(3));
    expect(hits.find(100 + HIT_RADIUS.emergency - 1, 100)).toBe(deviceIdOf(1));
  });

  it('places units on whole device pixels from the canvas corner and labels them from zoom 16', () => {
    const units = [makeUnit(1, { position: { lat: 51.4, lng: 6.8, accuracyM: 5 } })];
    const list = createDrawList();
    packUnits(
      units,
      1,
      view({ originX: 10.25, originY: 20, dpr: 2, showLabels: true }),
      list,
      createHitIndex().sink,
    );
    expect(list.commands[0]).toBe(90); // (100 - 10.25) * 2 = 179.5 → 180 device px
    expect(list.commands[1]).toBe(80);
    expect(list.commands[3]).toBe(0);
    expect(list.labels[0]?.text).toBe('KOD Mitte 1');
  });

  it('draws the hovered unit as paths and a lost one with its own sprite', () => {
    const units = [makeUnit(1), makeUnit(2, { online: false })];
    const list = createDrawList();
    packUnits(units, 2, view({ hoverId: deviceIdOf(1) }), list, createHitIndex().sink);
    expect(list.commands[2]).toBe(-1);
    expect(list.glyphs[0]?.hovered).toBe(true);
    expect(list.commands[STRIDE + 2]).toBe(spriteKey('standby', 'lost', null));
  });

  it('grows its command buffer for a larger fleet (a buffer handed to the worker is empty)', () => {
    const units = Array.from({ length: 3000 }, (_, i) => makeUnit(i + 1));
    const list = createDrawList(1);
    list.commands = new Float64Array(0);
    packUnits(units, units.length, view(), list, createHitIndex().sink);
    expect(list.count).toBe(3000);
    expect(list.commands.length).toBeGreaterThanOrEqual(3000 * STRIDE);
  });
});

describe('drawList()', () => {
  it('copies sprites at their offsets and draws paths and labels where the list says', () => {
    const units = [
      makeUnit(1, { position: { lat: 51.4, lng: 6.8, accuracyM: 5 } }),
      makeUnit(2, { emergency: true, position: { lat: 51.41, lng: 6.81, accuracyM: 5 } }),
    ];
    const list = createDrawList();
    packUnits(units, 2, view({ dpr: 2, showLabels: true }), list, createHitIndex().sink);
    const calls: string[] = [];
    const ctx = new Proxy(
      {},
      {
        get: (_t, name) =>
          typeof name === 'string'
            ? (...args: unknown[]) => {
                calls.push(`${name}(${args.map((a) => (typeof a === 'object' ? 'image' : a)).join(',')})`);
                return { width: 10 };
              }
            : undefined,
        set: () => true,
      },
    ) as unknown as CanvasRenderingContext2D;
    const keys: number[] = [];
    const sprites = {
      byKey: (key: number) => {
        keys.push(key);
        return { image: { width: 40, height: 30 } as unknown as HTMLCanvasElement, dx: -20, dy: -16 };
      },
    };
    drawList(ctx, list, sprites, 2, palette, 'SOS', true);
    expect(keys).toEqual([spriteKey('standby', 'fresh', 90)]);
    expect(calls).toContain('drawImage(image,90,92,20,15)');
    expect(calls).toContain('strokeText(KOD Mitte 1,114,100)');
    // the emergency as paths: its SOS tag and label
    expect(calls).toContain('fillText(SOS,110,56)');
    expect(calls).toContain(`fillText(KOD Mitte 2,${110 + HIT_RADIUS.emergency + 4},90)`);
  });
});

describe('spriteKey()', () => {
  it('numbers every stage, freshness and heading step once and back', () => {
    expect(spriteOfKey(spriteKey('recording', 'stale', 92))).toEqual({
      stage: 'recording',
      freshness: 'stale',
      headingDeg: 90,
    });
    expect(spriteOfKey(spriteKey('display', 'lost', 92))).toEqual({
      stage: 'display',
      freshness: 'lost',
      headingDeg: null,
    });
    expect(spriteKey('standby', 'fresh', null)).toBe(0);
  });
});

describe('canDrawInWorker()', () => {
  class Offscreen {
    transferToImageBitmap() {}
  }
  const full = { Worker: class {}, OffscreenCanvas: Offscreen, ImageBitmapRenderingContext: class {} };
  it('needs workers, an OffscreenCanvas that yields bitmaps, and a canvas context to show them', () => {
    expect(canDrawInWorker(full)).toBe(true);
    expect(canDrawInWorker({ ...full, OffscreenCanvas: undefined })).toBe(false);
    expect(canDrawInWorker({ ...full, OffscreenCanvas: class {} })).toBe(false);
    expect(canDrawInWorker({ ...full, Worker: undefined })).toBe(false);
    expect(canDrawInWorker({ ...full, ImageBitmapRenderingContext: undefined })).toBe(false);
  });
});
