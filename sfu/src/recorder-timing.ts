/**
 * When the recorded media was captured, measured from the media itself (issue 13): for each track
 * the RTP timestamps of the packets the recorder forwards to ffmpeg, against the worker's clock at
 * which they were sent. A live stream's timestamps advance as fast as the clock. A device that
 * opens its stream with a pre-recording buffer and sends it faster than real time makes the media
 * time run ahead of the clock while it catches up; that lead, once live, is how long before its
 * arrival the first recorded packet was captured. Compared with the moment the stream reached the
 * SFU (the publish) it gives the pre-recorded seconds the recording actually holds; media sent before
 * the recorder was ready is not in the file and not counted. A declared number is never used: what
 * is signed is what arrived. A stream that ends before its sender has caught up keeps the right
 * duration, but its times come out later by the backlog that was never sent. Pure; tested beside.
 */

/** a lead below this is packet jitter (pacing of a large keyframe, event-loop delay), not a buffer */
export const JITTER_S = 0.25;

/** a lead that has not grown by more than this… */
const SETTLED_GROWTH_S = 0.05;
/** …for this long means the sender has caught up: the stream is live from there on */
const SETTLED_AFTER_MS = 5000;

export interface TrackClock {
  /** rtpTimestamp as sent, atMs on a monotonic ms clock, wallMs the epoch ms of the same moment */
  packet(rtpTimestamp: number, atMs: number, wallMs: number): void;
  /**
   * the lead has stopped growing: the caller may stop tracing every packet and only `touch()` the
   * clock when it sees more packets forwarded (tracing each packet costs the SFU's Node ~2 % of a
   * core per stream)
   */
  readonly settled: boolean;
  /** more packets were forwarded by `wallMs` (seen in the consumer's stats) */
  touch(wallMs: number): void;
  readonly packets: number;
  result(): TrackTiming | null;
}

export interface TrackTiming {
  /** epoch ms at which the first packet was forwarded */
  firstWallMs: number;
  /** epoch ms at which the last packet was forwarded */
  lastWallMs: number;
  /** seconds of media time between first and last packet */
  mediaSpanS: number;
  /** how far the media time ran ahead of the clock, at most (seconds, ≥ 0) */
  leadS: number;
}

export function trackClock(clockRate: number): TrackClock {
  let first: { rtp: number; at: number; wall: number } | null = null;
  let lastAt = 0;
  let lastWall = 0;
  let unwrapped = 0;
  let prevRtp = 0;
  let maxLeadS = 0;
  let packets = 0;
  let refLeadS = 0;
  let refAt = 0;
  return {
    get packets() {
      return packets;
    },
    get settled() {
      return first !== null && lastAt - refAt >= SETTLED_AFTER_MS;
    },
    touch(wall) {
      lastWall = Math.max(lastWall, wall);
    },
    packet(rtp, at, wall) {
      packets++;
      if (!first) {
        first = { rtp, at, wall };
        refAt = at;
        prevRtp = rtp;
        lastAt = at;
        lastWall = wall;
        return;
      }
      // 32-bit RTP timestamps wrap; a step is the signed difference to the previous packet
      let step = (rtp - prevRtp) >>> 0;
      if (step > 0x7fffffff) step -= 0x100000000;
      prevRtp = rtp;
      unwrapped += step;
      lastAt = Math.max(lastAt, at);
      lastWall = Math.max(lastWall, wall);
      const leadS = unwrapped / clockRate - (at - first.at) / 1000;
      if (leadS > maxLeadS) maxLeadS = leadS;
      if (maxLeadS > refLeadS + SETTLED_GROWTH_S) {
        refLeadS = maxLeadS;
        refAt = at;
      }
    },
    result() {
      if (!first) return null;
      return {
        firstWallMs: first.wall,
        lastWallMs: lastWall,
        mediaSpanS: Math.max(0, unwrapped / clockRate),
        leadS: maxLeadS,
      };
    },
  };
}

export interface RecordedTiming {
  /** epoch ms at which the first media the recording holds was captured */
  startedAt: number;
  /** epoch ms of the last media the recording holds */
  stoppedAt: number;
  /** seconds of that media captured before the stream reached the SFU (0.1 s steps) */
  prerecordS: number;
}

/**
 * The recording's times from its tracks' clocks; null when no packet was forwarded. `streamAtMs`
 * is when the stream's first packet reached the SFU (the publish): media captured before it came
 * from the device's buffer.
 */
export function recordedTiming(tracks: (TrackTiming | null)[], streamAtMs: number): RecordedTiming | null {
  const got = tracks.filter((t): t is TrackTiming => t !== null);
  if (got.length === 0) return null;
  // a track's first packet was captured `lead` before it was forwarded
  const captured = got.map((t) => t.firstWallMs - (t.leadS < JITTER_S ? 0 : Math.round(t.leadS * 1000)));
  const startedAt = Math.min(...captured);
  const beforeS = (streamAtMs - startedAt) / 1000;
  const prerecordS = beforeS < JITTER_S ? 0 : Math.round(beforeS * 10) / 10;
  const stoppedAt = Math.max(...got.map((t) => t.lastWallMs));
  return { startedAt, stoppedAt, prerecordS };
}

/** the clocks may exceed the file's span by this much (the last frame's duration, stats polling) */
const FILE_TOLERANCE_MS = 150;

/**
 * The times bounded by what the file holds (its media span, matroska-span.ts): a manifest never
 * claims more video than the file has. When ffmpeg lost packets the consumers forwarded (its socket
 * overflowed while it started or lagged on a busy machine), the clocks' span is longer than the
 * file's. A finished recording's end is right (the recorder lets ffmpeg drain before it stops it),
 * so what is missing is at the start: it began `fileSpanS` before its end, and its pre-recorded
 * seconds shrink with it. A cut recording lost its tail instead: it ends `fileSpanS` after its start.
 */
export function boundByFile(
  t: RecordedTiming,
  fileSpanS: number,
  streamAtMs: number,
  lost: 'start' | 'end',
): RecordedTiming {
  const spanMs = Math.round(fileSpanS * 1000);
  if (t.stoppedAt - t.startedAt <= spanMs + FILE_TOLERANCE_MS) return t;
  if (lost === 'end') return { ...t, stoppedAt: t.startedAt + spanMs };
  const startedAt = t.stoppedAt - spanMs;
  const beforeS = (streamAtMs - startedAt) / 1000;
  return {
    startedAt,
    stoppedAt: t.stoppedAt,
    prerecordS: beforeS < JITTER_S ? 0 : Math.round(beforeS * 10) / 10,
  };
}
