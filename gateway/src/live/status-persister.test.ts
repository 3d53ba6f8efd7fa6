import { randomUUID } from 'node:crypto';
import type { DeviceStatus } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { classifyBatch, laneIndex, outcomesOf, type StatusRecord } from './status-persister.ts';
import type { StageSnapshot } from './transition.ts';

function rec(deviceId: string, seq: number, over: Partial<DeviceStatus> = {}): StatusRecord {
  return {
    tenantId: 't',
    deviceId,
    unitId: null,
    receivedAt: seq,
    status: { seq, stage: 'standby', emergency: false, ...over } as DeviceStatus,
  };
}
const snap = (seq: number, over: Partial<StageSnapshot> = {}): StageSnapshot => ({
  seq,
  stage: 'standby',
  emergency: false,
  ...over,
});

describe('classifyBatch()', () => {
  it('orders a batch by device and seq and finds each change against the event before it', () => {
    const b = classifyBatch(
      [rec('d1', 3, { stage: 'display' }), rec('d1', 2), rec('d2', 1, { emergency: true })],
      new Map([
        ['d1', snap(1)],
        ['d2', null],
      ]),
    );
    expect(b.sorted.map((r) => `${r.deviceId}:${r.status.seq}`)).toEqual(['d1:2', 'd1:3', 'd2:1']);
    expect(b.changes.map((c) => [c.rec.deviceId, c.rec.status.seq, c.from])).toEqual([
      ['d1', 3, snap(2)],
      ['d2', 1, null],
    ]);
    expect(b.lastAfter.get('d1')).toEqual(snap(3, { stage: 'display' }));
  });

  it('marks an event at or below the last persisted seq late: stored, but no change and not current', () => {
    const last = new Map([['d1', snap(5, { stage: 'recording' })]]);
    const b = classifyBatch([rec('d1', 4), rec('d1', 5)], last);
    expect(b.lateFlags).toEqual([true, true]);
    expect(b.changes).toEqual([]);
    expect(b.lastAfter.get('d1')).toEqual(snap(5, { stage: 'recording' }));
  });

  it("carries in lastAfter the batch's devices only, not every device the map knows", () => {
    const last = new Map([
      ['d1', snap(1)],
      ['d2', snap(7)],
      ['d3', snap(9, { stage: 'display' })],
    ]);
    const b = classifyBatch([rec('d1', 2), rec('d3', 4)], last);
    expect([...b.lastAfter.keys()].sort()).toEqual(['d1', 'd3']);
    expect(b.lastAfter.get('d1')).toEqual(snap(2));
    // a device whose events were all late keeps what it had
    expect(b.lastAfter.get('d3')).toEqual(snap(9, { stage: 'display' }));
  });

  it('leaves the map it was given untouched (it changes only after the commit)', () => {
    const last = new Map([['d1', snap(1)]]);
    classifyBatch([rec('d1', 2, { stage: 'display' })], last);
    expect(last.get('d1')).toEqual(snap(1));
  });
});

describe('outcomesOf()', () => {
  it('calls an event that was already stored a duplicate, and passes on its late flag', () => {
    const b = classifyBatch([rec('d1', 1), rec('d1', 2)], new Map([['d1', snap(1)]]));
    const out = outcomesOf(b, new Set(['d1:1']));
    expect(out.get('d1:1')).toEqual({ duplicate: true, late: true });
    expect(out.get('d1:2')).toEqual({ duplicate: false, late: false });
  });
});

describe('laneIndex()', () => {
  it('puts a device always in the same lane, and spreads devices over all lanes', () => {
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    for (const id of ids.slice(0, 50)) expect(laneIndex(id, 3)).toBe(laneIndex(id, 3));
    const perLane = [0, 0, 0];
    for (const id of ids) perLane[laneIndex(id, 3)]!++;
    for (const n of perLane) expect(n).toBeGreaterThan(500);
    expect(laneIndex('any string', 1)).toBe(0);
  });
});
