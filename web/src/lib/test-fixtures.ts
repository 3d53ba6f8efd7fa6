/** Builders for protocol objects in unit tests. Ids are valid UUIDs so fixtures also pass the zod schemas. */
import type { StageChange, UnitLive } from '@lagebild/protocol';

export function deviceIdOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function makeUnit(n: number, overrides: Partial<UnitLive> = {}): UnitLive {
  return {
    deviceId: deviceIdOf(n),
    deviceLabel: `CAM-${n}`,
    unitId: `10000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    callsign: `KOD Mitte ${n}`,
    team: 'Mitte',
    seq: 1,
    at: 1_000,
    receivedAt: 1_000,
    position: { lat: 51.43, lng: 6.76, accuracyM: 5 },
    headingDeg: 90,
    speedMps: 1.2,
    batteryPct: 80,
    signalBars: 3,
    network: 'lte',
    stage: 'standby',
    announced: null,
    emergency: false,
    stageSince: 500,
    online: true,
    ...overrides,
  };
}

export function makeStageChange(n: number, overrides: Partial<StageChange> = {}): StageChange {
  return {
    deviceId: deviceIdOf(n),
    unitId: null,
    seq: 2,
    from: 'standby',
    to: 'display',
    at: 2_000,
    receivedAt: 2_000,
    announced: null,
    unannouncedReason: null,
    emergency: false,
    ...overrides,
  };
}
