/**
 * The RTCP sender reports the recorder gives ffmpeg itself (issue 13). ffmpeg places every track of
 * a multi-track RTP input on one timeline by the NTP time its sender reports carry. mediasoup's
 * consumers extrapolate that time from the last packet they forwarded, which holds only for a stream
 * paced in real time: a camera sending its pre-recording buffer at 2× real time gets reports whose
 * media time runs twice as fast as their NTP time, and ffmpeg squeezes the buffer onto the time it
 * took to arrive (13.5 s of a 23 s recording in a test, the buffer lost from the file's timeline).
 *
 * So the consumers' own reports go nowhere, and each track gets reports on one straight line from
 * the first packet it forwarded: media time advancing exactly as fast as the wall clock from that
 * packet's arrival on. Tracks start aligned as they arrived, and a buffer keeps its own timestamps.
 * Pure; tested beside.
 */

/** seconds from 1900 (NTP) to 1970 (Unix) */
const NTP_EPOCH_OFFSET_S = 2_208_988_800;

export interface TrackAnchor {
  /** RTP timestamp of the first forwarded packet */
  rtpTimestamp: number;
  /** epoch ms at which it was forwarded */
  wallMs: number;
  clockRate: number;
}

/** The RTP timestamp that belongs to `wallMs` on the anchor's line (mod 2^32). */
export function rtpTimestampAt(anchor: TrackAnchor, wallMs: number): number {
  const ticks = Math.round(((wallMs - anchor.wallMs) * anchor.clockRate) / 1000);
  return (((anchor.rtpTimestamp + ticks) % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

/** An RTCP sender report (RFC 3550 6.4.1) without report blocks: 28 bytes. */
export function senderReport(o: {
  ssrc: number;
  wallMs: number;
  rtpTimestamp: number;
  packets?: number;
  octets?: number;
}): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80; // V=2, P=0, RC=0
  b[1] = 200; // SR
  b.writeUInt16BE(6, 2); // length in 32-bit words minus one
  b.writeUInt32BE(o.ssrc >>> 0, 4);
  const seconds = Math.floor(o.wallMs / 1000);
  const fraction = Math.floor(((o.wallMs - seconds * 1000) / 1000) * 2 ** 32);
  b.writeUInt32BE((seconds + NTP_EPOCH_OFFSET_S) >>> 0, 8);
  b.writeUInt32BE(fraction >>> 0, 12);
  b.writeUInt32BE(o.rtpTimestamp >>> 0, 16);
  b.writeUInt32BE((o.packets ?? 0) >>> 0, 20);
  b.writeUInt32BE((o.octets ?? 0) >>> 0, 24);
  return b;
}

/**
 * An RTCP BYE (RFC 3550 6.6) for one source: 8 bytes. ffmpeg's RTP input ends (end of file: it
 * writes the rest and the container's trailer and exits 0) once it has one for each of its tracks.
 */
export function bye(ssrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x81; // V=2, P=0, SC=1
  b[1] = 203; // BYE
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}
