/** Issue 13: the pre-recorded seconds come from the media's timestamps, never from a declaration. */
import { describe, expect, it } from 'vitest';
import { boundByFile, JITTER_S, recordedTiming, trackClock } from './recorder-timing.ts';

const VIDEO_HZ = 90_000;
const T0 = 1_700_000_000_000;

/**
 * Packets of a 15 fps stream whose first packet leaves at T0 with `bufferS` seconds of earlier
 * capture queued: frame m was captured at T0 - bufferS + m and leaves when the sender, `speedup`
 * times faster than real time, gets to it, but never before it was captured.
 */
function feed(
  clock: ReturnType<typeof trackClock>,
  o: { bufferS: number; liveS: number; speedup: number; rtp0: number },
) {
  const frames = Math.round((o.bufferS + o.liveS) * 15);
  for (let i = 0; i < frames; i++) {
    const m = i / 15;
    const wallS = Math.max(m - o.bufferS, m / o.speedup);
    clock.packet((o.rtp0 + Math.round(m * VIDEO_HZ)) >>> 0, wallS * 1000, T0 + wallS * 1000);
  }
}

describe('recorder timing', () => {
  it('a live stream has no pre-recorded seconds and starts at its first packet', () => {
    const c = trackClock(VIDEO_HZ);
    feed(c, { bufferS: 0, liveS: 10, speedup: 1, rtp0: 1234 });
    const t = recordedTiming([c.result()], T0 - 300)!;
    expect(t.prerecordS).toBe(0);
    expect(t.startedAt).toBe(T0);
    expect((t.stoppedAt - t.startedAt) / 1000).toBeCloseTo(10, 0);
  });

  it('a buffer sent faster than real time is measured from the lead of its RTP timestamps', () => {
    const c = trackClock(VIDEO_HZ);
    feed(c, { bufferS: 20, liveS: 10, speedup: 4, rtp0: 0xfffff000 }); // wraps around 2^32
    const t = recordedTiming([c.result()], T0)!;
    expect(Math.abs(t.prerecordS - 20)).toBeLessThan(0.2);
    expect(Math.abs(t.startedAt - (T0 - 20_000))).toBeLessThan(200);
    expect(c.result()!.mediaSpanS).toBeCloseTo(30, 0);
    // the file holds 30 s of media; the manifest's start and stop span them
    expect(Math.abs((t.stoppedAt - t.startedAt) / 1000 - 30)).toBeLessThan(0.5);
  });

  it('media sent before the recorder was ready is not in the file and not counted', () => {
    // the stream reached the SFU at T0 - 1 s; the recorder forwarded from T0 on, by then the
    // sender (2× real time) had caught up 1 s of its 20 s buffer
    const c = trackClock(VIDEO_HZ);
    feed(c, { bufferS: 19, liveS: 25, speedup: 2, rtp0: 7 }); // caught up after 38 s of media
    const t = recordedTiming([c.result()], T0 - 1000)!;
    expect(Math.abs(t.prerecordS - 18)).toBeLessThan(0.2);
    expect(Math.abs(t.startedAt - (T0 - 19_000))).toBeLessThan(200);
  });

  it('settles once the lead stops growing; packets seen later only move the stop', () => {
    const c = trackClock(VIDEO_HZ);
    feed(c, { bufferS: 10, liveS: 4, speedup: 2, rtp0: 0 }); // caught up after 20 s of media
    expect(c.settled).toBe(false);
    const d = trackClock(VIDEO_HZ);
    feed(d, { bufferS: 10, liveS: 16, speedup: 2, rtp0: 0 });
    expect(d.settled).toBe(true);
    d.touch(T0 + 60_000);
    const t = recordedTiming([d.result()], T0)!;
    expect(t.stoppedAt).toBe(T0 + 60_000);
    expect(Math.abs(t.prerecordS - 10)).toBeLessThan(0.2);
  });

  it('jitter below the threshold is not a buffer', () => {
    const c = trackClock(VIDEO_HZ);
    c.packet(0, 0, T0);
    c.packet(VIDEO_HZ * (JITTER_S / 2), 0, T0); // two frames in one burst
    expect(recordedTiming([c.result()], T0)!.prerecordS).toBe(0);
  });

  it('no packet, no timing', () => {
    expect(recordedTiming([trackClock(48_000).result()], T0)).toBeNull();
  });
});

describe('bounded by the file (issue 13)', () => {
  const T = 1_700_000_000_000;
  const clocks = { startedAt: T - 9_000, stoppedAt: T + 13_500, prerecordS: 9 };

  it('a file that holds what the clocks saw keeps their times', () => {
    expect(boundByFile(clocks, 22.45, T, 'start')).toEqual(clocks);
    expect(boundByFile(clocks, 30, T, 'start')).toEqual(clocks);
  });

  it('a finished file that lost its start begins its span before the end; pre-recording shrinks', () => {
    expect(boundByFile(clocks, 12.02, T, 'start')).toEqual({
      startedAt: T + 13_500 - 12_020,
      stoppedAt: T + 13_500,
      prerecordS: 0,
    });
    expect(boundByFile(clocks, 16, T, 'start')).toEqual({
      startedAt: T - 2_500,
      stoppedAt: T + 13_500,
      prerecordS: 2.5,
    });
  });

  it('a cut file that lost its end ends its span after the start', () => {
    expect(boundByFile(clocks, 12.02, T, 'end')).toEqual({ ...clocks, stoppedAt: T - 9_000 + 12_020 });
  });
});
