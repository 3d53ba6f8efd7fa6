import type { UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { straightLineEstimator } from './eta.ts';
import { type RankingInput, rankCandidates } from './ranking.ts';

const NOW = 1_800_000_000_000;
const TARGET = { lat: 51.4325, lng: 6.7687 };
let n = 0;
function unit(over: Partial<UnitLive> & { dLat?: number }): UnitLive {
  n++;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    deviceId: id,
    deviceLabel: `D${n}`,
    unitId: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    callsign: `KOD ${n}`,
    team: 'KOD Mitte',
    seq: 1,
    at: NOW,
    receivedAt: NOW - 1000,
    position: { lat: TARGET.lat + (over.dLat ?? 0.001), lng: TARGET.lng, accuracyM: 5 },
    headingDeg: null,
    speedMps: 1.2,
    batteryPct: 80,
    signalBars: 3,
    network: 'lte',
    stage: 'standby',
    announced: null,
    emergency: false,
    stageSince: NOW,
    online: true,
    ...over,
  };
}

const input = (units: UnitLive[], over: Partial<RankingInput> = {}): RankingInput => ({
  target: TARGET,
  units,
  subjectDeviceId: null,
  busyUnitIds: new Set(),
  troubledDeviceIds: new Set(),
  nowMs: NOW,
  staleAfterMs: 60_000,
  estimator: straightLineEstimator(),
  ...over,
});

describe('rankCandidates', () => {
  it('ranks by estimated arrival, so a distant car beats a nearer walker', () => {
    const walker = unit({ dLat: 0.005, speedMps: 1.3 }); // ~556 m on foot: ~400 s
    const car = unit({ dLat: 0.02, speedMps: 9 }); // ~2.2 km by car: ~270 s
    const near = unit({ dLat: 0.001, speedMps: 0 }); // ~111 m on foot: ~80 s
    const r = rankCandidates(input([walker, car, near]));
    expect(r.candidates.map((c) => c.callsign)).toEqual([near.callsign, car.callsign, walker.callsign]);
    expect(r.candidates[1]!.mode).toBe('vehicle');
    expect(r.candidates[0]!.distanceM).toBeGreaterThan(100);
    expect(r.candidates[0]!.distanceM).toBeLessThan(125);
  });

  it('excludes and explains: subject, busy, emergency, recording, offline, stale, no position', () => {
    const subject = unit({});
    const busy = unit({});
    const troubled = unit({});
    const sos = unit({ emergency: true });
    const rec = unit({ stage: 'recording', announced: true });
    const off = unit({ online: false });
    const stale = unit({ receivedAt: NOW - 61_000 });
    const blind = unit({ position: null });
    const ok = unit({ stage: 'display' });
    const r = rankCandidates(
      input([subject, busy, troubled, sos, rec, off, stale, blind, ok], {
        subjectDeviceId: subject.deviceId,
        busyUnitIds: new Set([busy.unitId!]),
        troubledDeviceIds: new Set([troubled.deviceId]),
      }),
    );
    expect(r.candidates.map((c) => c.unitId)).toEqual([ok.unitId]);
    const why = Object.fromEntries(r.unavailable.map((u) => [u.unitId, u.reason]));
    expect(why).toEqual({
      [subject.unitId!]: 'subject',
      [busy.unitId!]: 'busy',
      [troubled.unitId!]: 'busy',
      [sos.unitId!]: 'emergency',
      [rec.unitId!]: 'recording',
      [off.unitId!]: 'offline',
      [stale.unitId!]: 'stale',
      [blind.unitId!]: 'no_position',
    });
  });

  it('ignores devices that no unit wears', () => {
    const r = rankCandidates(input([unit({ unitId: null, callsign: null })]));
    expect(r.candidates).toEqual([]);
    expect(r.unavailable).toEqual([]);
  });
});
