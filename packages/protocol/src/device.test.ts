import { describe, expect, it } from 'vitest';
import { describeIssues } from './common.ts';
import { DeviceStatus, MAX_STATUS_BYTES, StatusAck } from './device.ts';

const valid = {
  seq: 1,
  at: 1_700_000_000_000,
  position: { lat: 51.43, lng: 6.76, accuracyM: 4 },
  headingDeg: 12,
  speedMps: 1.2,
  batteryPct: 77,
  signalBars: 3,
  network: 'lte',
  stage: 'standby',
  emergency: false,
};

describe('DeviceStatus', () => {
  it('accepts nothing that serializes beyond MAX_STATUS_BYTES (the gateway measures only refused events)', () => {
    // every field at its longest: numbers with the most digits JSON gives them, the longest enum
    // values, and the reason as 200 characters that JSON escapes to six each
    const longest = {
      seq: Number.MAX_SAFE_INTEGER,
      at: 8_640_000_000_000_000,
      position: { lat: -89.00000000000001, lng: -179.00000000000003, accuracyM: 99_999.00000000001 },
      headingDeg: 359.00000000000006,
      speedMps: 119.00000000000001,
      batteryPct: 100,
      signalBars: 4,
      network: 'wifi',
      stage: 'recording',
      announced: false,
      unannouncedReason: '\u0001'.repeat(200),
      emergency: false,
    };
    expect(DeviceStatus.safeParse(longest).success).toBe(true);
    expect(JSON.stringify(longest).length).toBeGreaterThan(1200);
    expect(JSON.stringify(longest).length).toBeLessThanOrEqual(MAX_STATUS_BYTES);
    expect(Object.keys(DeviceStatus.parse(longest)).sort()).toEqual(Object.keys(longest).sort());
  });
  it('accepts a valid status and fills the optional recording fields with null', () => {
    const s = DeviceStatus.parse(valid);
    expect([s.announced, s.unannouncedReason]).toEqual([null, null]);
  });
  it('accepts a position-less status (no GNSS fix)', () => {
    expect(DeviceStatus.safeParse({ ...valid, position: null }).success).toBe(true);
  });
  it.each([
    ['lat out of range', { position: { lat: 91, lng: 0, accuracyM: 1 } }, 'position.lat'],
    ['negative seq', { seq: -1 }, 'seq'],
    ['fractional battery', { batteryPct: 50.5 }, 'batteryPct'],
    ['unknown stage', { stage: 'panic' }, 'stage'],
    ['unknown field', { extra: 1 }, 'extra'],
  ])('refuses %s and names the field', (_name, patch, field) => {
    const r = DeviceStatus.safeParse({ ...valid, ...patch });
    expect(r.success).toBe(false);
    expect(describeIssues(r.error!).join(' ')).toContain(field);
  });
  it('needs announced for a recording, and a reason when it was not announced', () => {
    expect(DeviceStatus.safeParse({ ...valid, stage: 'recording' }).success).toBe(false);
    expect(DeviceStatus.safeParse({ ...valid, stage: 'recording', announced: true }).success).toBe(true);
    expect(DeviceStatus.safeParse({ ...valid, stage: 'recording', announced: false }).success).toBe(false);
    const danger = { ...valid, stage: 'recording', announced: false, unannouncedReason: 'Gefahr im Verzug' };
    expect(DeviceStatus.safeParse(danger).success).toBe(true);
  });
});

describe('StatusAck', () => {
  it('distinguishes success and refusal', () => {
    expect(StatusAck.parse({ ok: true, seq: 1, duplicate: false }).ok).toBe(true);
    expect(
      StatusAck.safeParse({ ok: false, seq: null, code: 'rate_limited', message: 'x', retry: true }).success,
    ).toBe(true);
    expect(
      StatusAck.safeParse({ ok: false, seq: null, code: 'nope', message: 'x', retry: true }).success,
    ).toBe(false);
  });
});
