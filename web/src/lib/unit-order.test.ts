import type { UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { makeUnit } from './test-fixtures.ts';
import { compareUnits } from './unit-filter.ts';
import { createLabelRanks, createUnitOrder } from './unit-order.ts';

/** a small deterministic generator, so a failure can be replayed */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STAGES = ['standby', 'display', 'recording'] as const;

function randomUnit(n: number, next: () => number, seq: number): UnitLive {
  const labelNo = Math.floor(next() * 60);
  return makeUnit(n, {
    seq,
    // labels that collate equal ("KOD 3", "Kod 3"), device labels for units without a call sign
    callsign: next() < 0.1 ? null : `${next() < 0.5 ? 'KOD' : 'Kod'} ${labelNo}`,
    stage: STAGES[Math.floor(next() * 3)],
    emergency: next() < 0.05,
  });
}

describe('createUnitOrder()', () => {
  it('keeps compareUnits order through updates, moves, new labels and removals', () => {
    const next = random(17);
    const held = new Map<string, UnitLive>();
    const order = createUnitOrder();
    const initial = Array.from({ length: 80 }, (_, i) => randomUnit(i + 1, next, 1));
    for (const unit of initial) held.set(unit.deviceId, unit);
    order.reset(initial);
    expect(order.units()).toEqual([...held.values()].sort(compareUnits));
    for (let round = 2; round < 40; round++) {
      for (let k = 0; k < 15; k++) {
        const n = 1 + Math.floor(next() * 120);
        const action = next();
        if (action < 0.1) {
          order.remove(makeUnit(n).deviceId);
          held.delete(makeUnit(n).deviceId);
        } else if (action < 0.6) {
          // only the position moves: same key
          const prev = held.get(makeUnit(n).deviceId);
          const unit = prev ? { ...prev, seq: round } : randomUnit(n, next, round);
          order.upsert(unit);
          held.set(unit.deviceId, unit);
        } else {
          const unit = randomUnit(n, next, round);
          order.upsert(unit);
          held.set(unit.deviceId, unit);
        }
      }
      expect(order.units()).toEqual([...held.values()].sort(compareUnits));
      expect(order.size).toBe(held.size);
    }
  });

  it('sorts a reset with known and new labels (a reconnect, a new shift) as a full sort does', () => {
    const next = random(4);
    const order = createUnitOrder();
    const first = Array.from({ length: 400 }, (_, i) => randomUnit(i + 1, next, 1));
    order.reset(first);
    // the same units and a few new labels: ranked one by one
    const again = [
      ...first.slice(0, 300),
      makeUnit(900, { callsign: 'KOD 7a' }),
      makeUnit(901, { callsign: 'Aaa' }),
    ];
    order.reset(again);
    expect(order.units()).toEqual([...again].sort(compareUnits));
    // many new labels: ranked by one sort
    const many = Array.from({ length: 300 }, (_, i) => makeUnit(1000 + i, { callsign: `Neu ${i}` }));
    order.reset([...again, ...many]);
    expect(order.units()).toEqual([...again, ...many].sort(compareUnits));
  });

  it('holds the newest object of a unit whose place did not change', () => {
    const order = createUnitOrder();
    order.reset([makeUnit(1), makeUnit(2)]);
    const moved = makeUnit(1, { seq: 2, position: { lat: 51.5, lng: 6.8, accuracyM: 3 } });
    order.upsert(moved);
    expect(order.units()[0]).toBe(moved);
  });
});

describe('createLabelRanks()', () => {
  it('ranks new labels between their neighbours, equal labels alike, and renumbers when out of room', () => {
    const ranks = createLabelRanks();
    ranks.reset(['KOD 1', 'KOD 10']);
    const r1 = ranks.rankOf('KOD 1').rank;
    const r10 = ranks.rankOf('KOD 10').rank;
    const r2 = ranks.rankOf('KOD 2').rank;
    expect(r1 < r2 && r2 < r10).toBe(true);
    expect(ranks.rankOf('kod 2').rank).toBe(r2);
    // each label goes just above 'KOD 2' and below the one before, halving the room, until none is left
    let renumbered = false;
    for (let i = 0; i < 100 && !renumbered; i++)
      renumbered = ranks.rankOf(`KOD 2 ${'a'.repeat(100 - i)}`).renumbered;
    expect(renumbered).toBe(true);
    expect(ranks.rankOf('KOD 1').rank).toBeLessThan(ranks.rankOf('KOD 2').rank);
    expect(ranks.rankOf('KOD 2').rank).toBeLessThan(ranks.rankOf('KOD 10').rank);
  });
});
