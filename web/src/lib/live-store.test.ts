import type { UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { createLiveStore, eventKindOf, mergeUnits, replaceWithSnapshot } from './live-store.ts';
import { isOnDuty } from './on-duty.ts';
import { deviceIdOf, makeStageChange, makeUnit } from './test-fixtures.ts';
import { compareUnits, teamsOf } from './unit-filter.ts';

describe('mergeUnits()', () => {
  it('adds new units and replaces older ones', () => {
    const units = new Map();
    mergeUnits(units, [makeUnit(1), makeUnit(2)]);
    const result = mergeUnits(units, [makeUnit(1, { seq: 2, stage: 'display' })]);
    expect(result.changed).toEqual([deviceIdOf(1)]);
    expect(units.get(deviceIdOf(1))?.stage).toBe('display');
    expect(units.size).toBe(2);
  });

  it('ignores an update whose seq is lower than the one held', () => {
    const units = new Map();
    mergeUnits(units, [makeUnit(1, { seq: 5, stage: 'recording', announced: true })]);
    const result = mergeUnits(units, [makeUnit(1, { seq: 4, stage: 'standby' })]);
    expect(result.changed).toEqual([]);
    expect(units.get(deviceIdOf(1))?.stage).toBe('recording');
  });

  it('accepts the same seq again (online flag changed without a new status)', () => {
    const units = new Map();
    mergeUnits(units, [makeUnit(1, { seq: 5 })]);
    mergeUnits(units, [makeUnit(1, { seq: 5, online: false })]);
    expect(units.get(deviceIdOf(1))?.online).toBe(false);
  });

  it('reports emergencies raised and cleared', () => {
    const units = new Map();
    mergeUnits(units, [makeUnit(1), makeUnit(2, { emergency: true })]);
    const result = mergeUnits(units, [makeUnit(1, { seq: 2, emergency: true }), makeUnit(2, { seq: 2 })]);
    expect(result.emergenciesRaised.map((u) => u.deviceId)).toEqual([deviceIdOf(1)]);
    expect(result.emergenciesCleared.map((u) => u.deviceId)).toEqual([deviceIdOf(2)]);
  });
});

describe('replaceWithSnapshot()', () => {
  it('drops units missing from the snapshot and keeps a newer unit we already hold', () => {
    const units = new Map();
    mergeUnits(units, [makeUnit(1, { seq: 9 }), makeUnit(2)]);
    replaceWithSnapshot(units, [makeUnit(1, { seq: 7 }), makeUnit(3)]);
    expect([...units.keys()].sort()).toEqual([deviceIdOf(1), deviceIdOf(3)]);
    expect(units.get(deviceIdOf(1))?.seq).toBe(9);
  });
});

describe('eventKindOf()', () => {
  it('names each transition', () => {
    expect(eventKindOf({ from: 'standby', to: 'display', announced: null })).toBe('display');
    expect(eventKindOf({ from: 'display', to: 'recording', announced: true })).toBe('recording');
    expect(eventKindOf({ from: 'display', to: 'recording', announced: false })).toBe('recordingUnannounced');
    expect(eventKindOf({ from: 'recording', to: 'display', announced: null })).toBe('recordingStopped');
    expect(eventKindOf({ from: 'recording', to: 'standby', announced: null })).toBe('recordingStopped');
    expect(eventKindOf({ from: 'display', to: 'standby', announced: null })).toBe('standby');
  });
});

describe('createLiveStore()', () => {
  it('applies a snapshot, then batches, and notifies subscribers once per message', () => {
    const store = createLiveStore();
    let calls = 0;
    store.subscribe(() => {
      calls += 1;
    });
    store.applySnapshot({ serverTime: 1_000, units: [makeUnit(1)] });
    store.applyBatch({
      serverTime: 2_000,
      units: [makeUnit(1, { seq: 2, stage: 'display' })],
      stageChanges: [makeStageChange(1)],
    });
    expect(calls).toBe(2);
    expect(store.getVersion()).toBe(2);
    expect(store.units.get(deviceIdOf(1))?.stage).toBe('display');
    expect(store.getEvents().map((e) => e.kind)).toEqual(['display']);
  });

  it('keeps every stage change of a batch, newest first, and never repeats one', () => {
    const store = createLiveStore();
    const changes = [
      makeStageChange(1, { seq: 2, from: 'standby', to: 'display' }),
      makeStageChange(1, { seq: 3, from: 'display', to: 'recording', announced: true }),
    ];
    store.applyBatch({ serverTime: 1, units: [], stageChanges: changes });
    store.applyBatch({ serverTime: 2, units: [], stageChanges: changes });
    expect(store.getEvents().map((e) => e.kind)).toEqual(['recording', 'display']);
  });

  it('caps the event log', () => {
    const store = createLiveStore({ maxEvents: 3 });
    const changes = [1, 2, 3, 4, 5].map((n) => makeStageChange(n));
    store.applyBatch({ serverTime: 1, units: [], stageChanges: changes });
    expect(store.getEvents().map((e) => e.deviceId)).toEqual([deviceIdOf(5), deviceIdOf(4), deviceIdOf(3)]);
  });

  it('does not notify for a batch that changes nothing', () => {
    const store = createLiveStore();
    store.applySnapshot({ serverTime: 1, units: [makeUnit(1, { seq: 3 })] });
    const before = store.getVersion();
    store.applyBatch({ serverTime: 2, units: [makeUnit(1, { seq: 2 })], stageChanges: [] });
    expect(store.getVersion()).toBe(before);
  });

  it('turns an emergency raised into an event', () => {
    const store = createLiveStore();
    store.applySnapshot({ serverTime: 1, units: [makeUnit(1)] });
    store.applyBatch({ serverTime: 2, units: [makeUnit(1, { seq: 2, emergency: true })], stageChanges: [] });
    expect(store.getEvents()[0]?.kind).toBe('emergency');
  });

  it('tracks the gateway clock from serverTime', () => {
    const store = createLiveStore();
    store.applySnapshot({ serverTime: Date.now() + 60_000, units: [] });
    expect(store.clock.offsetMs).toBeGreaterThan(59_000);
  });
});

describe("the store's unit index (issue 17)", () => {
  /** what the index must equal: computed from every unit the store holds */
  function expected(units: ReadonlyMap<string, UnitLive>) {
    const all = [...units.values()];
    return {
      onDuty: all.filter(isOnDuty).sort(compareUnits),
      offDuty: all
        .filter((u) => !isOnDuty(u))
        .map((u) => u.deviceId)
        .sort(),
      emergencies: all.filter((u) => u.emergency),
      teams: teamsOf(all.filter(isOnDuty)),
    };
  }
  function actual(store: ReturnType<typeof createLiveStore>) {
    return {
      onDuty: store.index.onDuty(),
      offDuty: store.index
        .offDuty()
        .map((u) => u.deviceId)
        .sort(),
      emergencies: store.index.emergencies(),
      teams: store.index.teams(),
    };
  }

  it('follows snapshots, seeds and batches: order, shifts ending and starting, emergencies, teams', () => {
    const store = createLiveStore();
    store.applyUnits([makeUnit(9, { team: 'Süd' })]);
    expect(actual(store)).toEqual(expected(store.units));
    store.applySnapshot({
      serverTime: 1,
      units: [
        makeUnit(3, { callsign: 'KOD 10' }),
        makeUnit(1, { callsign: 'KOD 2', team: 'Nord' }),
        makeUnit(2, { unitId: null, callsign: null }),
        makeUnit(4, { callsign: 'KOD 1', emergency: true }),
      ],
    });
    expect(actual(store)).toEqual(expected(store.units));
    const batches: UnitLive[][] = [
      // a position only; a stage change; an emergency; a unit whose shift ends; a new unit and team
      [makeUnit(3, { seq: 2, callsign: 'KOD 10', position: { lat: 51.5, lng: 6.7, accuracyM: 5 } })],
      [makeUnit(1, { seq: 2, callsign: 'KOD 2', team: 'Nord', stage: 'recording', announced: true })],
      [makeUnit(3, { seq: 3, callsign: 'KOD 10', emergency: true })],
      [makeUnit(1, { seq: 3, unitId: null, callsign: null, team: null })],
      [makeUnit(2, { seq: 2, callsign: 'KOD 3', team: 'West' }), makeUnit(5, { team: 'Ost' })],
      [makeUnit(4, { seq: 2, callsign: 'KOD 1' })],
    ];
    for (const [i, units] of batches.entries()) {
      store.applyBatch({ serverTime: 2 + i, units, stageChanges: [] });
      expect(actual(store)).toEqual(expected(store.units));
    }
  });

  it('keeps the teams array while no team comes or goes', () => {
    const store = createLiveStore();
    store.applySnapshot({ serverTime: 1, units: [makeUnit(1), makeUnit(2, { team: 'Nord' })] });
    const teams = store.index.teams();
    store.applyBatch({ serverTime: 2, units: [makeUnit(1, { seq: 2, stage: 'display' })], stageChanges: [] });
    expect(store.index.teams()).toBe(teams);
    store.applyBatch({ serverTime: 3, units: [makeUnit(2, { seq: 2, team: 'Mitte' })], stageChanges: [] });
    expect(store.index.teams()).toEqual(['Mitte']);
  });
});
