import type { OsmAndParams, UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { KNOT_MPS, osmAndStatus, osmAndTime, traccarJsonParams } from './osmand.ts';

const prev = (over: Partial<UnitLive> = {}): UnitLive => ({
  deviceId: '00000000-0000-4000-8000-000000000001',
  deviceLabel: 'cam',
  unitId: null,
  callsign: null,
  team: null,
  seq: 1,
  at: 1,
  receivedAt: 1,
  position: null,
  headingDeg: null,
  speedMps: null,
  batteryPct: 80,
  signalBars: 3,
  network: 'lte',
  stage: 'display',
  announced: null,
  emergency: false,
  stageSince: 1,
  online: true,
  ...over,
});

const map = (p: OsmAndParams, last: UnitLive | null = null, now = 1_700_000_000_000) => {
  const r = osmAndStatus(p, last, now);
  if (!r.ok) throw new Error(r.message);
  return r.status;
};

describe('osmAndTime', () => {
  it('reads epoch seconds, epoch ms, ISO 8601 and "yyyy-MM-dd HH:mm:ss" as UTC', () => {
    expect(osmAndTime('1700000000')).toBe(1_700_000_000_000);
    expect(osmAndTime('1700000000123')).toBe(1_700_000_000_123);
    expect(osmAndTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(osmAndTime('2023-11-14 22:13:20')).toBe(1_700_000_000_000);
    expect(osmAndTime('yesterday')).toBeNull();
  });
});

describe('osmAndStatus', () => {
  it('converts knots to m/s and uses the position time in ms as seq', () => {
    const s = map({
      id: 'x',
      timestamp: '1700000000',
      lat: 51.4,
      lon: 6.7,
      speed: 10,
      bearing: 90,
      accuracy: 8,
      batt: 55.6,
    });
    expect(s.seq).toBe(1_700_000_000_000);
    expect(s.at).toBe(1_700_000_000_000);
    expect(s.speedMps).toBeCloseTo(10 * KNOT_MPS, 3);
    expect(s.position).toEqual({ lat: 51.4, lng: 6.7, accuracyM: 8 });
    expect([s.headingDeg, s.batteryPct]).toEqual([90, 56]);
  });

  it('takes the server time without a timestamp, and an explicit seq over the time', () => {
    expect(map({ lat: 1, lon: 1 }).at).toBe(1_700_000_000_000);
    expect(map({ lat: 1, lon: 1, seq: 7 }).seq).toBe(7);
  });

  it('carries stage, emergency, battery, signal and network over from the latest state', () => {
    const s = map(
      { lat: 51, lon: 7 },
      prev({ stage: 'recording', announced: false, emergency: true, seq: 9 }),
    );
    expect([s.stage, s.emergency, s.batteryPct, s.signalBars, s.network]).toEqual([
      'recording',
      true,
      80,
      3,
      'lte',
    ]);
    expect([s.announced, s.unannouncedReason]).toEqual([false, 'unchanged since seq 9']);
  });

  it('starts in standby with nothing known, and reads alarm=sos as the emergency button', () => {
    const s = map({ lat: 51, lon: 7, alarm: 'sos' });
    expect([s.stage, s.emergency, s.batteryPct, s.network]).toEqual(['standby', true, 0, 'none']);
    expect(map({ lat: 51, lon: 7, emergency: 'false' }, prev({ emergency: true })).emergency).toBe(false);
  });

  it('reads 0,0, valid=false and a missing coordinate as no fix, and -1 as an unknown course or speed', () => {
    expect(map({ lat: 0, lon: 0 }).position).toBeNull();
    expect(map({ lat: 51, lon: 7, valid: 'false' }).position).toBeNull();
    expect(map({ lat: 51 }).position).toBeNull();
    const s = map({ lat: 51, lon: 7, bearing: -1, speed: -1 });
    expect([s.headingDeg, s.speedMps]).toEqual([null, null]);
    expect(map({ location: '51.5,7.25' }).position).toMatchObject({ lat: 51.5, lng: 7.25 });
  });

  it('refuses a timestamp that is no time and a location that is no pair', () => {
    expect(osmAndStatus({ timestamp: 'soon' }, null, 0)).toMatchObject({ ok: false });
    expect(osmAndStatus({ location: '51.5' }, null, 0)).toMatchObject({ ok: false });
  });
});

describe('traccarJsonParams', () => {
  it('reads m/s, a 0…1 battery level and -1 as unknown, as Traccar does', () => {
    const p = traccarJsonParams(
      {
        timestamp: '2023-11-14T22:13:20.000Z',
        coords: { latitude: 51.4, longitude: 6.7, accuracy: 5, speed: 2, heading: -1, altitude: 30 },
        battery: { level: 0.5 },
        extras: { alarm: 'sos' },
      },
      'dev',
    );
    const s = map(p);
    expect(s.speedMps).toBeCloseTo(2, 6);
    expect([s.headingDeg, s.batteryPct, s.emergency, s.at]).toEqual([null, 50, true, 1_700_000_000_000]);
    const unknown = traccarJsonParams(
      {
        timestamp: '2023-11-14T22:13:20Z',
        coords: { latitude: 1, longitude: 1, speed: -1 },
        battery: { level: -1 },
      },
      undefined,
    );
    expect([unknown.speed, unknown.batt]).toEqual([undefined, undefined]);
  });
});
