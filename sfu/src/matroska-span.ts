/**
 * The media span a Matroska/WebM stream holds, read from the bytes as they pass (the recorder's
 * ffmpeg output, before encryption): the first and last block timestamp over all tracks, which is
 * what `ffprobe -show_entries packet=pts_time` reports of the same file. The recorder bounds the
 * manifest's times by it, so a signed duration never exceeds the video the file holds, whatever
 * ffmpeg lost on a busy machine (issue 13). A flat scan: the masters Segment, Cluster and BlockGroup
 * are entered (live streams give them an unknown size), every other element is skipped, except the
 * cluster's Timecode, the TimecodeScale and the header of SimpleBlock and Block. Pure; tested beside.
 */

const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const BLOCK_GROUP = 0xa0;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const CLUSTER_TIMECODE = 0xe7;
const SIMPLE_BLOCK = 0xa3;
const BLOCK = 0xa1;
const ENTERED = new Set([SEGMENT, CLUSTER, BLOCK_GROUP, INFO]);
/** bytes of a block read before it is skipped: track number (≤ 8) + 16-bit relative timecode */
const BLOCK_HEAD = 10;

export interface MatroskaSpan {
  /** feed the next bytes of the stream */
  push(chunk: Buffer): void;
  /** seconds from the first to the last block timestamp; 0 before two blocks */
  readonly spanS: number;
  readonly blocks: number;
}

/** a variable-length integer at `at`: its length and value (marker bit kept for ids), or null if cut */
function vint(buf: Buffer, at: number, keepMarker: boolean): { len: number; value: number } | null {
  if (at >= buf.length) return null;
  const first = buf[at]!;
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8) throw new Error('matroska: invalid variable-length integer');
  if (at + len > buf.length) return null;
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = value === 0xff >> len;
  for (let i = 1; i < len; i++) {
    const b = buf[at + i]!;
    if (b !== 0xff) allOnes = false;
    value = value * 256 + b;
  }
  // an unknown size (all value bits set) is reported as -1
  if (!keepMarker && allOnes) return { len, value: -1 };
  return { len, value };
}

export function matroskaSpan(): MatroskaSpan {
  let pending: Buffer = Buffer.alloc(0);
  /** bytes of the current element's payload still to skip */
  let skip = 0;
  let scaleNs = 1_000_000;
  let clusterTc = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let blocks = 0;
  let broken = false;

  const readUint = (buf: Buffer, at: number, len: number) => {
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + buf[at + i]!;
    return v;
  };

  function scan(): void {
    let at = 0;
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, pending.length - at);
        skip -= n;
        at += n;
        if (skip > 0) break;
      }
      const id = vint(pending, at, true);
      if (!id) break;
      const size = vint(pending, at + id.len, false);
      if (!size) break;
      const body = at + id.len + size.len;
      if (ENTERED.has(id.value)) {
        at = body;
        continue;
      }
      if (size.value < 0) throw new Error('matroska: unknown size on a leaf element');
      if (id.value === CLUSTER_TIMECODE || id.value === TIMECODE_SCALE) {
        if (body + size.value > pending.length) break; // wait for the whole value
        const v = readUint(pending, body, size.value);
        if (id.value === CLUSTER_TIMECODE) clusterTc = v;
        else scaleNs = v;
        at = body + size.value;
        continue;
      }
      if (id.value === SIMPLE_BLOCK || id.value === BLOCK) {
        const head = Math.min(BLOCK_HEAD, size.value);
        if (body + head > pending.length) break;
        const track = vint(pending, body, false);
        if (track && track.len + 2 <= head) {
          const rel = pending.readInt16BE(body + track.len);
          const t = clusterTc + rel;
          if (t < min) min = t;
          if (t > max) max = t;
          blocks++;
        }
      }
      at = body;
      skip = size.value;
    }
    pending = pending.subarray(at);
  }

  return {
    push(chunk) {
      if (broken) return;
      pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      try {
        scan();
      } catch {
        // not Matroska as expected: report no span rather than a wrong one
        broken = true;
        blocks = 0;
      }
    },
    get spanS() {
      return blocks < 2 ? 0 : ((max - min) * scaleNs) / 1e9;
    },
    get blocks() {
      return blocks;
    },
  };
}
