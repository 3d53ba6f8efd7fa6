import { describe, expect, it } from 'vitest';
import { makeUnit } from './test-fixtures.ts';
import { compareUnits, EMPTY_QUERY, filterUnits, labelOf, matchesText, teamsOf } from './unit-filter.ts';

const now = 10_000;

describe('filterUnits()', () => {
  const units = [
    makeUnit(1, { callsign: 'KOD Mitte 10', receivedAt: now }),
    makeUnit(2, { callsign: 'KOD Mitte 2', receivedAt: now }),
    makeUnit(3, {
      callsign: 'KOD Nord 1',
      team: 'Nord',
      stage: 'recording',
      announced: true,
      receivedAt: now,
    }),
    makeUnit(4, { callsign: 'KOD Süd 1', team: 'Süd', stage: 'display', receivedAt: now }),
    makeUnit(5, { callsign: 'KOD Süd 2', team: 'Süd', emergency: true, receivedAt: now }),
    makeUnit(6, { callsign: 'KOD Nord 2', team: 'Nord', online: false, receivedAt: now }),
  ];

  it('sorts emergency first, then recording, display, then by call sign in natural order', () => {
    const { units: sorted } = filterUnits(units, EMPTY_QUERY, now);
    expect(sorted.map(labelOf)).toEqual([
      'KOD Süd 2',
      'KOD Nord 1',
      'KOD Süd 1',
      'KOD Mitte 2',
      'KOD Mitte 10',
      'KOD Nord 2',
    ]);
  });

  it('counts every stage and lost units', () => {
    const { counts, total } = filterUnits(units, EMPTY_QUERY, now);
    expect(total).toBe(6);
    expect(counts).toEqual({ all: 6, emergency: 1, recording: 1, display: 1, standby: 3, lost: 1 });
  });

  it('filters by stage while counts keep showing the other stages', () => {
    const result = filterUnits(units, { ...EMPTY_QUERY, stage: 'recording' }, now);
    expect(result.units.map(labelOf)).toEqual(['KOD Nord 1']);
    expect(result.counts.standby).toBe(3);
  });

  it('filters by team and counts only within that team', () => {
    const result = filterUnits(units, { ...EMPTY_QUERY, team: 'Süd' }, now);
    expect(result.units.map(labelOf)).toEqual(['KOD Süd 2', 'KOD Süd 1']);
    expect(result.counts.all).toBe(2);
  });

  it('filters lost units', () => {
    const result = filterUnits(units, { ...EMPTY_QUERY, stage: 'lost' }, now);
    expect(result.units.map(labelOf)).toEqual(['KOD Nord 2']);
  });

  // its speed is bench:map's to measure (issue 17), never a timed test: here, that 2,000 units
  // come out right
  it('finds every match among 2,000 units, in order', () => {
    const many = Array.from({ length: 2000 }, (_, i) =>
      makeUnit(i + 1, { callsign: `KOD ${i}`, receivedAt: now }),
    );
    const result = filterUnits(many, { ...EMPTY_QUERY, text: 'kod 1' }, now);
    const expected = many.filter((u) => matchesText(u, 'kod 1'));
    expect(expected.length).toBeGreaterThan(1000);
    expect(result.units).toHaveLength(expected.length);
    expect(new Set(result.units.map((u) => u.deviceId))).toEqual(new Set(expected.map((u) => u.deviceId)));
    expect(result.counts.all).toBe(expected.length);
  });
});

describe('filterUnits() order', () => {
  it('is compareUnits order, also for labels that collate equal and after new labels appear', () => {
    const stages = ['standby', 'display', 'recording'] as const;
    const make = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        makeUnit(i + 1, {
          callsign: i % 7 === 0 ? null : `${i % 2 ? 'KOD' : 'Kod'} ${(i * 37) % 50}`,
          stage: stages[i % 3],
          emergency: i % 11 === 0,
          receivedAt: now,
        }),
      );
    for (const n of [40, 120]) {
      const units = make(n);
      expect(filterUnits(units, EMPTY_QUERY, now).units).toEqual([...units].sort(compareUnits));
    }
  });
});

describe('matchesText()', () => {
  const unit = makeUnit(1, { callsign: 'KOD Süd 3', team: 'Süd', deviceLabel: 'CAM-0042' });
  it('matches every word case- and accent-insensitively across call sign, team and device', () => {
    expect(matchesText(unit, 'sud 3')).toBe(true);
    expect(matchesText(unit, 'KOD süd')).toBe(true);
    expect(matchesText(unit, 'cam-0042')).toBe(true);
    expect(matchesText(unit, 'nord')).toBe(false);
    expect(matchesText(unit, '   ')).toBe(true);
  });
});

describe('teamsOf()', () => {
  it('lists distinct teams in order and skips units without a team', () => {
    expect(
      teamsOf([makeUnit(1, { team: 'Süd' }), makeUnit(2, { team: 'Mitte' }), makeUnit(3, { team: null })]),
    ).toEqual(['Mitte', 'Süd']);
  });
});
