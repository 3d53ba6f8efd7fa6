import { describe, expect, it } from 'vitest';
import { bye, rtpTimestampAt, senderReport } from './recorder-sender-report.ts';

describe('recorder sender reports', () => {
  it('is an RFC 3550 SR: version 2, type 200, length 6, SSRC, NTP from 1900, RTP timestamp', () => {
    const wallMs = Date.UTC(2026, 11, 6, 12, 0, 0, 250);
    const sr = senderReport({ ssrc: 0xdeadbeef, wallMs, rtpTimestamp: 0xfffffff0 });
    expect(sr).toHaveLength(28);
    expect(sr[0]).toBe(0x80);
    expect(sr[1]).toBe(200);
    expect(sr.readUInt16BE(2)).toBe(6);
    expect(sr.readUInt32BE(4)).toBe(0xdeadbeef);
    expect(sr.readUInt32BE(8)).toBe(wallMs / 1000 - 0.25 + 2_208_988_800);
    expect(sr.readUInt32BE(12) / 2 ** 32).toBeCloseTo(0.25, 6);
    expect(sr.readUInt32BE(16)).toBe(0xfffffff0);
  });

  it('media time advances as fast as the wall clock from the first packet, across the 32-bit wrap', () => {
    const anchor = { rtpTimestamp: 2 ** 32 - 45_000, wallMs: 1_000_000, clockRate: 90_000 };
    expect(rtpTimestampAt(anchor, 1_000_000)).toBe(2 ** 32 - 45_000);
    expect(rtpTimestampAt(anchor, 1_000_500)).toBe(0);
    expect(rtpTimestampAt(anchor, 1_001_000)).toBe(45_000);
    const opus = { rtpTimestamp: 1000, wallMs: 0, clockRate: 48_000 };
    expect(rtpTimestampAt(opus, 20)).toBe(1960);
  });

  it('a BYE names its source: version 2, one source, type 203, length 1', () => {
    expect([...bye(0x01020304)]).toEqual([0x81, 203, 0, 1, 1, 2, 3, 4]);
  });
});
