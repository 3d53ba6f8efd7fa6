import type { UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { deviceIdOf, makeUnit } from '../lib/test-fixtures.ts';
import { createHitIndex, createSlotHits, hitsOf } from './hit-index.ts';
import { layerProjector } from './mercator.ts';
import { createDrawList, type PackView, packUnits } from './unit-draw-list.ts';
import { createUnitEncoder, createUnitMirror, type MirrorUnit } from './unit-mirror.ts';

const NOW = 100_000;
const view = (over: Partial<PackView> = {}): PackView => ({
  originX: 0,
  originY: 0,
  dpr: 1,
  project: layerProjector(14, { x: 8_700_000 / 2, y: 5_500_000 / 2 }),
  south: -90,
  north: 90,
  west: -180,
  east: 180,
  serverNow: NOW,
  selectedId: null,
  hoverId: null,
  showLabels: true,
  ...over,
});

/** what packUnits makes of `units` on the page, and of the worker's copy of them */
function packBoth(page: Map<string, UnitLive>, mirror: ReturnType<typeof createUnitMirror>, v: PackView) {
  const pageList = createDrawList();
  const pageHits = createHitIndex();
  packUnits(page.values(), page.size, v, pageList, pageHits.sink);
  const workerList = createDrawList();
  const workerHits = createSlotHits(2);
  packUnits<MirrorUnit>(mirror.units(), mirror.size, v, workerList, workerHits);
  return { pageList, pageHits, workerList, workerHits: workerHits.take() };
}

describe("the drawing worker's copy of the units (issue 17)", () => {
  it('places and hit-tests the units as the page would, through snapshots and changes', () => {
    const encoder = createUnitEncoder();
    const mirror = createUnitMirror();
    const page = new Map<string, UnitLive>();
    const put = (units: UnitLive[]) => {
      for (const unit of units) page.set(unit.deviceId, unit);
    };
    const at = (n: number) => ({ lat: 51.4 + n * 0.001, lng: 6.7 + n * 0.001, accuracyM: 5 });
    put([
      makeUnit(1, { position: at(1), receivedAt: NOW }),
      makeUnit(2, { position: at(2), stage: 'recording', announced: true, receivedAt: NOW - 40_000 }),
      makeUnit(3, { position: null, receivedAt: NOW }),
      makeUnit(4, { position: at(4), unitId: null, callsign: null, receivedAt: NOW }),
      makeUnit(5, { position: at(5), emergency: true, headingDeg: null, online: false, receivedAt: NOW }),
    ]);
    mirror.apply(encoder.encode(page.values(), page.size, true));
    const steps: UnitLive[][] = [
      [makeUnit(1, { seq: 2, position: at(7), stage: 'display', receivedAt: NOW })],
      [makeUnit(3, { seq: 2, position: at(3), callsign: 'KOD Neu', receivedAt: NOW })],
      [makeUnit(6, { position: at(6), receivedAt: NOW }), makeUnit(5, { seq: 2, position: at(5) })],
    ];
    for (const step of [[], ...steps]) {
      put(step);
      mirror.apply(encoder.encode(step, step.length, false));
      const v = view({ selectedId: deviceIdOf(2), hoverId: deviceIdOf(1) });
      const { pageList, pageHits, workerList, workerHits } = packBoth(page, mirror, v);
      expect(workerList.count).toBe(pageList.count);
      expect([...workerList.commands.subarray(0, workerList.count * 4)]).toEqual([
        ...pageList.commands.subarray(0, pageList.count * 4),
      ]);
      expect(workerList.glyphs).toEqual(pageList.glyphs);
      expect(workerList.labels).toEqual(pageList.labels);
      expect(workerList.emergencyPoints).toEqual(pageList.emergencyPoints);
      const lookup = hitsOf(workerHits, encoder.idOf);
      for (const unit of page.values()) {
        if (!unit.position) continue;
        const x = v.project.x(unit.position.lng);
        const y = v.project.y(unit.position.lat);
        expect(lookup.find(x, y)).toBe(pageHits.find(x, y));
      }
    }
  });

  it('forgets units missing from a reset', () => {
    const encoder = createUnitEncoder();
    const mirror = createUnitMirror();
    mirror.apply(encoder.encode([makeUnit(1), makeUnit(2)], 2, true));
    mirror.apply(encoder.encode([makeUnit(2)], 1, true));
    expect([...mirror.units()].map((u) => u.deviceId)).toEqual([deviceIdOf(2)]);
  });
});
