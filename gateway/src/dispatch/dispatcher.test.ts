import type { UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { arrivalCheckDue, refusalOf, type Tracked, trackedOf } from './dispatcher.ts';

const UNIT = '10000000-0000-4000-8000-000000000001';

describe('refusalOf()', () => {
  it('calls a busy unit a conflict (another supervisor has it)', () => {
    expect(refusalOf(UNIT, { unavailable: [{ unitId: UNIT, callsign: 'KOD 1', reason: 'busy' }] })).toEqual({
      ok: false,
      unitId: UNIT,
      code: 'conflict',
      message: 'KOD 1 is already requested or busy',
    });
  });
  it('says why any other unit is unavailable', () => {
    expect(refusalOf(UNIT, { unavailable: [{ unitId: UNIT, callsign: 'KOD 1', reason: 'stale' }] })).toEqual({
      ok: false,
      unitId: UNIT,
      code: 'unavailable',
      message: 'KOD 1: stale',
    });
  });
  it('does not know a unit that is not on shift', () => {
    expect(refusalOf(UNIT, { unavailable: [] })).toMatchObject({ code: 'not_found' });
  });
});

describe('arrival watching', () => {
  const row = { id: 'r1', state: 'accepted' as const, subject_device_id: null, lat: 51.4, lng: 6.7 };
  it('heads for the incident’s location when there is no unit in trouble', () => {
    expect(trackedOf(row, 't1')).toEqual({
      requestId: 'r1',
      state: 'accepted',
      subjectDeviceId: null,
      location: { lat: 51.4, lng: 6.7 },
      tenantId: 't1',
      checkedAt: 0,
    });
    expect(trackedOf({ ...row, lat: null, lng: null }, 't1').location).toBeNull();
  });
  it('checks a device at most once a second, and only with a position', () => {
    const t: Tracked = { ...trackedOf(row, 't1'), checkedAt: 10_000 };
    const live = (receivedAt: number, position: UnitLive['position']) =>
      ({ receivedAt, position }) as UnitLive;
    const here = { lat: 51.4, lng: 6.7, accuracyM: 5 };
    expect(arrivalCheckDue(t, live(10_999, here))).toBe(false);
    expect(arrivalCheckDue(t, live(11_000, here))).toBe(true);
    expect(arrivalCheckDue(t, live(20_000, null))).toBe(false);
  });
});
