import type { StageChange, UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { createCoalescer } from './coalescer.ts';

const unit = (deviceId: string, seq: number, over: Partial<UnitLive> = {}): UnitLive => ({
  deviceId,
  deviceLabel: deviceId,
  unitId: null,
  callsign: null,
  team: null,
  seq,
  at: seq * 1000,
  receivedAt: seq * 1000,
  position: null,
  headingDeg: null,
  speedMps: null,
  batteryPct: 80,
  signalBars: 3,
  network: 'lte',
  stage: 'standby',
  announced: null,
  emergency: false,
  stageSince: 0,
  online: true,
  ...over,
});
const change = (
  deviceId: string,
  seq: number,
  from: StageChange['from'],
  to: StageChange['to'],
): StageChange => ({
  deviceId,
  unitId: null,
  seq,
  from,
  to,
  at: seq,
  receivedAt: seq,
  announced: null,
  unannouncedReason: null,
  emergency: false,
});

function collect() {
  const batches: Array<{ tenant: string; units: UnitLive[]; stageChanges: StageChange[] }> = [];
  const c = createCoalescer({
    intervalMs: 60_000,
    emit: (tenant, b) => batches.push({ tenant, ...b }),
    now: () => 1,
  });
  return { c, batches };
}

describe('coalescer', () => {
  it('keeps only the latest state per unit within a tick', () => {
    const { c, batches } = collect();
    c.add('t1', unit('a', 1));
    c.add('t1', unit('a', 3));
    c.add('t1', unit('a', 2)); // late within the tick: must not replace seq 3
    c.add('t1', unit('b', 1));
    c.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.units.map((u) => [u.deviceId, u.seq])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    c.stop();
  });

  it('never merges stage changes: every transition is delivered in order', () => {
    const { c, batches } = collect();
    c.add('t1', unit('a', 1, { stage: 'display' }), change('a', 1, 'standby', 'display'));
    c.add('t1', unit('a', 2, { stage: 'recording' }), change('a', 2, 'display', 'recording'));
    c.add('t1', unit('a', 3, { stage: 'display' }), change('a', 3, 'recording', 'display'));
    c.flush();
    expect(batches[0]!.units).toHaveLength(1);
    expect(batches[0]!.stageChanges.map((s) => s.to)).toEqual(['display', 'recording', 'display']);
    c.stop();
  });

  it('emits one batch per tenant and nothing for an idle tick', () => {
    const { c, batches } = collect();
    c.add('t1', unit('a', 1));
    c.add('t2', unit('b', 1));
    c.flush();
    c.flush();
    expect(batches.map((b) => b.tenant).sort()).toEqual(['t1', 't2']);
    c.stop();
  });

  it('lets an online flip with the same seq replace the entry', () => {
    const { c, batches } = collect();
    c.add('t1', unit('a', 5));
    c.add('t1', unit('a', 5, { online: false }));
    c.flush();
    expect(batches[0]!.units[0]!.online).toBe(false);
    c.stop();
  });
});
