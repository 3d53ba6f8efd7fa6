import type { UnitLive } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { isOnDuty, OFF_DUTY_VISIBLE_MS, offDutyCameras } from './on-duty.ts';

const NOW = 1_800_000_000_000;
const cam = (label: string, over: Partial<UnitLive> = {}): UnitLive => ({
  deviceId: `00000000-0000-4000-8000-${label.padStart(12, '0')}`,
  deviceLabel: `KAM-${label}`,
  unitId: null,
  callsign: null,
  team: null,
  seq: 1,
  at: NOW - 1000,
  receivedAt: NOW - 1000,
  position: null,
  headingDeg: null,
  speedMps: null,
  batteryPct: 80,
  signalBars: 3,
  network: 'lte',
  stage: 'standby',
  announced: null,
  emergency: false,
  stageSince: NOW - 1000,
  online: true,
  ...over,
});

describe('not on duty', () => {
  it('a camera with a unit is on duty and never in the list', () => {
    const onShift = cam('1', { unitId: '00000000-0000-4000-8000-00000000000a', callsign: 'Nord 1' });
    expect(isOnDuty(onShift)).toBe(true);
    expect(offDutyCameras([onShift], NOW)).toEqual([]);
  });

  it('lists cameras without a shift while connected or within 12 h of their last report, by label', () => {
    const recent = cam('10', { online: false, receivedAt: NOW - OFF_DUTY_VISIBLE_MS + 1 });
    const old = cam('2', { online: false, receivedAt: NOW - OFF_DUTY_VISIBLE_MS - 1 });
    const connected = cam('3', { online: true, receivedAt: NOW - 2 * OFF_DUTY_VISIBLE_MS });
    expect(offDutyCameras([recent, old, connected], NOW).map((u) => u.deviceLabel)).toEqual([
      'KAM-3',
      'KAM-10',
    ]);
  });
});
