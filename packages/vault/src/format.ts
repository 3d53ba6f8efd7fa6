/**
 * The on-disk format of one encrypted segment (`seg-NNNNNN.lbv`), see README.md, "Recordings, retention and audit" (Encryption):
 *
 *   header (48 bytes): "LBV1" | version u8 | 3 zero bytes | recording id (16) | segment u32 |
 *                      chunk size u32 | first chunk index u64 | nonce prefix (4) | 4 zero bytes
 *   records:           flag u8 | AES-256-GCM ciphertext | tag (16)
 *
 * Every record but the recording's last holds exactly `chunkSize` plaintext bytes, so plaintext offset
 * o lives in chunk floor(o / chunkSize): seeking is arithmetic. The nonce is prefix || u64 chunk
 * index (global across segments); the associated data binds magic, version, recording id, segment,
 * chunk size, chunk index and the flag. The header is therefore authenticated through every chunk:
 * any change to it makes the first record fail. Flags: 0 = more follows in this segment,
 * 1 = last chunk of a segment, 2 = last chunk of the recording.
 *
 * Versions (issue 17): the records are the same in both; the version says what the manifest's
 * per-segment `sha256` is. Version 1 (written until issue 17, still read): SHA-256 of that segment
 * file alone. Version 2 (written now): SHA-256 of all segment files up to and including this one
 * (`cat seg-000000.lbv … seg-k.lbv | sha256sum`), so the last equals `ciphertextSha256` and one pass
 * over the ciphertext yields every value (a running hash, copied at each segment's end) instead of
 * two. The version is in the associated data of every chunk, so it cannot be changed unnoticed.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type ChunkKey, isNativeChunkKey } from './chunk-key.ts';
import { VaultError } from './errors.ts';
import { nativeGcm } from './native-gcm.ts';

export type { ChunkKey } from './chunk-key.ts';

export const MAGIC = Buffer.from('LBV1', 'ascii');
/** the version new recordings are written with */
export const VERSION = 2;
/** every version a reader accepts */
export const READABLE_VERSIONS: readonly number[] = [1, 2];
export type SegmentHashScheme = 'per-segment' | 'cumulative';
/** what the manifest's `segments[k].sha256` covers for a segment of this version */
export const segmentHashScheme = (version: number): SegmentHashScheme =>
  version === 1 ? 'per-segment' : 'cumulative';
export const HEADER_BYTES = 48;
export const TAG_BYTES = 16;
export const FLAG_BYTES = 1;
export const RECORD_OVERHEAD = FLAG_BYTES + TAG_BYTES;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

export const FLAG_MORE = 0;
export const FLAG_SEGMENT_END = 1;
export const FLAG_FINAL = 2;
export type ChunkFlag = typeof FLAG_MORE | typeof FLAG_SEGMENT_END | typeof FLAG_FINAL;

export interface SegmentHeader {
  /** format version (default: VERSION); 1 only for segments of recordings written before issue 17 */
  version?: number;
  recordingId: string;
  segment: number;
  chunkSize: number;
  firstChunk: number;
  noncePrefix: Buffer;
}

export function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new VaultError('bad_format', `not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
}

export function bytesUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function encodeHeader(h: SegmentHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt8(h.version ?? VERSION, 4);
  uuidBytes(h.recordingId).copy(b, 8);
  b.writeUInt32BE(h.segment, 24);
  b.writeUInt32BE(h.chunkSize, 28);
  b.writeBigUInt64BE(BigInt(h.firstChunk), 32);
  h.noncePrefix.copy(b, 40);
  return b;
}

export function decodeHeader(b: Buffer): SegmentHeader {
  if (b.length < HEADER_BYTES) throw new VaultError('incomplete', 'segment is shorter than its header');
  if (!b.subarray(0, 4).equals(MAGIC)) throw new VaultError('bad_format', 'not a Lagebild segment (magic)');
  const version = b.readUInt8(4);
  if (!READABLE_VERSIONS.includes(version))
    throw new VaultError('bad_format', `unknown segment version ${version}`);
  if (b.readUIntBE(5, 3) !== 0 || b.readUInt32BE(44) !== 0) {
    throw new VaultError('tampered', 'segment header: reserved bytes are not zero');
  }
  const chunkSize = b.readUInt32BE(28);
  if (chunkSize < 1024 || chunkSize > 16 * 1024 * 1024) {
    throw new VaultError('tampered', `segment header: implausible chunk size ${chunkSize}`);
  }
  const firstChunk = b.readBigUInt64BE(32);
  if (firstChunk > BigInt(Number.MAX_SAFE_INTEGER))
    throw new VaultError('tampered', 'segment header: chunk index');
  return {
    version,
    recordingId: bytesUuid(b.subarray(8, 24)),
    segment: b.readUInt32BE(24),
    chunkSize,
    firstChunk: Number(firstChunk),
    noncePrefix: Buffer.from(b.subarray(40, 44)),
  };
}

// Nonce and associated data are consumed synchronously by every cipher call (node:crypto copies the
// IV and absorbs the AAD at once; the binding likewise), so one scratch buffer each serves all chunks.
const nonceScratch = Buffer.alloc(12);
const aadScratch = Buffer.alloc(38);

function nonceFor(prefix: Buffer, index: number): Buffer {
  const n = nonceScratch;
  prefix.copy(n, 0, 0, 4);
  // u64 big-endian, as writeBigUInt64BE(BigInt(index)) but without a BigInt per chunk
  n.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 4);
  n.writeUInt32BE(index >>> 0, 8);
  return n;
}

/**
 * The associated data's fixed part (magic, version, recording id, segment, chunk size) per header,
 * built once instead of parsing the recording id for every chunk.
 */
const aadBases = new WeakMap<SegmentHeader, Buffer>();

function aadFor(h: SegmentHeader, index: number, flag: number): Buffer {
  let base = aadBases.get(h);
  if (!base) {
    base = Buffer.alloc(29);
    MAGIC.copy(base, 0);
    base.writeUInt8(h.version ?? VERSION, 4);
    uuidBytes(h.recordingId).copy(base, 5);
    base.writeUInt32BE(h.segment, 21);
    base.writeUInt32BE(h.chunkSize, 25);
    aadBases.set(h, base);
  }
  const a = aadScratch;
  base.copy(a, 0);
  a.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 29);
  a.writeUInt32BE(index >>> 0, 33);
  a.writeUInt8(flag, 37);
  return a;
}

/** Seals one chunk into a record (flag | ciphertext | tag). */
export function sealChunk(
  key: ChunkKey,
  h: SegmentHeader,
  index: number,
  flag: ChunkFlag,
  plain: Buffer,
): Buffer {
  const out = Buffer.allocUnsafe(RECORD_OVERHEAD + plain.length);
  sealChunkInto(key, h, index, flag, plain, out, 0);
  return out;
}

/**
 * Seals one chunk straight into `out` at `offset` and returns the record's length, so a writer can
 * seal many chunks into one buffer and hand the store a single write (same bytes as `sealChunk`).
 */
export function sealChunkInto(
  key: ChunkKey,
  h: SegmentHeader,
  index: number,
  flag: ChunkFlag,
  plain: Buffer,
  out: Buffer,
  offset: number,
): number {
  if (flag !== FLAG_FINAL && plain.length !== h.chunkSize) {
    throw new VaultError(
      'invalid_state',
      `only the final chunk may be short (${plain.length} ≠ ${h.chunkSize})`,
    );
  }
  if (out.length - offset < RECORD_OVERHEAD + plain.length) {
    throw new VaultError('invalid_state', 'record does not fit the output buffer');
  }
  out.writeUInt8(flag, offset);
  if (isNativeChunkKey(key)) {
    // ciphertext and tag straight into `out`: no buffer per chunk, no copy
    nativeGcm!.seal(key.seal, nonceFor(h.noncePrefix, index), aadFor(h, index, flag), plain, out, offset + 1);
    return RECORD_OVERHEAD + plain.length;
  }
  const c = createCipheriv('aes-256-gcm', key, nonceFor(h.noncePrefix, index));
  c.setAAD(aadFor(h, index, flag));
  const n = c.update(plain).copy(out, offset + 1);
  c.final();
  c.getAuthTag().copy(out, offset + 1 + n);
  return RECORD_OVERHEAD + plain.length;
}

/**
 * Checks a record's length and flag before any decryption (shared by `openChunk` and
 * `openRecordInto`); returns the flag.
 */
function recordFlag(h: SegmentHeader, index: number, src: Buffer, at: number, length: number): ChunkFlag {
  const where = `chunk ${index} (segment ${h.segment})`;
  if (length < RECORD_OVERHEAD || length > h.chunkSize + RECORD_OVERHEAD) {
    throw new VaultError('tampered', `${where}: record length ${length} is impossible`);
  }
  const flag = src[at]!;
  if (flag !== FLAG_MORE && flag !== FLAG_SEGMENT_END && flag !== FLAG_FINAL) {
    throw new VaultError('tampered', `${where}: unknown flag ${flag}`);
  }
  if (flag !== FLAG_FINAL && length !== h.chunkSize + RECORD_OVERHEAD) {
    throw new VaultError('tampered', `${where}: a short chunk that is not the final one`);
  }
  return flag as ChunkFlag;
}

const authFailure = (h: SegmentHeader, index: number, cause?: unknown) =>
  new VaultError(
    'tampered',
    `chunk ${index} (segment ${h.segment}) failed authentication (changed, moved or foreign)`,
    cause === undefined ? undefined : { cause },
  );

/**
 * Opens the record at src[at, at + length) into out[outOffset…] (length − RECORD_OVERHEAD plaintext
 * bytes) and returns its flag: the reader's path, which reads many records into one buffer it reuses
 * and decrypts each straight into the plaintext buffer it hands on. `out` must not overlap `src`.
 * Throws `tampered` like `openChunk`; then no unauthenticated byte is in `out` (the binding has
 * zeroed the record's place, node:crypto's output is never copied there).
 */
export function openRecordInto(
  key: ChunkKey,
  h: SegmentHeader,
  index: number,
  src: Buffer,
  at: number,
  length: number,
  out: Buffer,
  outOffset: number,
): ChunkFlag {
  if (at < 0 || at + length > src.length) {
    throw new VaultError('invalid_state', `chunk ${index}: the record lies outside the read buffer`);
  }
  const flag = recordFlag(h, index, src, at, length);
  const n = length - RECORD_OVERHEAD;
  if (outOffset < 0 || out.length - outOffset < n) {
    throw new VaultError('invalid_state', `chunk ${index}: the plaintext does not fit the output buffer`);
  }
  if (isNativeChunkKey(key)) {
    const iv = nonceFor(h.noncePrefix, index);
    const aad = aadFor(h, index, flag);
    const ok = nativeGcm!.openAt
      ? nativeGcm!.openAt(key.open, iv, aad, src, at + 1, n, out, outOffset)
      : nativeGcm!.open(
          key.open,
          iv,
          aad,
          src.subarray(at + 1, at + 1 + n),
          src.subarray(at + 1 + n, at + length),
          out,
          outOffset,
        );
    if (!ok) {
      out.fill(0, outOffset, outOffset + n); // the binding wipes it too; a stale build may not
      throw authFailure(h, index);
    }
    return flag;
  }
  const d = createDecipheriv('aes-256-gcm', key, nonceFor(h.noncePrefix, index));
  d.setAAD(aadFor(h, index, flag));
  d.setAuthTag(src.subarray(at + 1 + n, at + length));
  let plain: Buffer;
  try {
    plain = d.update(src.subarray(at + 1, at + 1 + n));
    const rest = d.final(); // GCM's final() yields nothing; it checks the tag
    if (rest.length) plain = Buffer.concat([plain, rest]);
  } catch (err) {
    throw authFailure(h, index, err);
  }
  // copied only once authenticated
  plain.copy(out, outOffset);
  return flag;
}

/**
 * Opens one record; any mismatch (byte, index, segment, recording, key) is `tampered`. With
 * `inPlace` (and the native binding) the plaintext is written over the record's ciphertext and
 * returned as a view of `record`: for a caller that owns the buffer and needs the ciphertext no more
 * (the tail check). After a failure the plaintext's place holds zeros, never unauthenticated bytes.
 */
export function openChunk(
  key: ChunkKey,
  h: SegmentHeader,
  index: number,
  record: Buffer,
  inPlace = false,
): { flag: ChunkFlag; plain: Buffer } {
  const flag = recordFlag(h, index, record, 0, record.length);
  const body = record.subarray(1, record.length - TAG_BYTES);
  if (isNativeChunkKey(key)) {
    const out = inPlace ? body : Buffer.allocUnsafe(body.length);
    const tag = record.subarray(record.length - TAG_BYTES);
    if (
      !nativeGcm!.open(key.open, nonceFor(h.noncePrefix, index), aadFor(h, index, flag), body, tag, out, 0)
    ) {
      out.fill(0); // the binding wipes it too; a stale build may not
      throw authFailure(h, index);
    }
    return { flag, plain: out };
  }
  const d = createDecipheriv('aes-256-gcm', key, nonceFor(h.noncePrefix, index));
  d.setAAD(aadFor(h, index, flag));
  d.setAuthTag(record.subarray(record.length - TAG_BYTES));
  try {
    const plain = d.update(body);
    // GCM's final() yields no bytes (it checks the tag); concatenating would copy every chunk once more
    const rest = d.final();
    return { flag, plain: rest.length ? Buffer.concat([plain, rest]) : plain };
  } catch (err) {
    throw authFailure(h, index, err);
  }
}

export const recordBytes = (chunkSize: number): number => chunkSize + RECORD_OVERHEAD;
export const segmentFile = (index: number): string => `seg-${String(index).padStart(6, '0')}.lbv`;
