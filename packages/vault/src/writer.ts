/**
 * The ingest the recorder calls: `createRecordingWriter(opts)` → `write(bytes)` as the muxer
 * produces them → `seal()` at stop. Bytes are encrypted in memory and appended to the current
 * segment as sealed chunks; a segment is closed (fsync) every `segmentMs` or `segmentMaxBytes`, so a
 * crash costs at most the chunk being filled. At seal the signed manifest is written. The data key
 * exists only in this process's memory and, wrapped by the tenant's KEK, in `key.json`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  type CutReason,
  type ManifestSegment,
  RECORDING_FORMAT,
  type RecordingManifest,
} from '@lagebild/protocol';
import { createChunkKey, destroyChunkKey } from './chunk-key.ts';
import { VaultError } from './errors.ts';
import {
  type ChunkFlag,
  DEFAULT_CHUNK_SIZE,
  encodeHeader,
  FLAG_FINAL,
  FLAG_MORE,
  FLAG_SEGMENT_END,
  RECORD_OVERHEAD,
  type SegmentHeader,
  sealChunkInto,
  segmentFile,
} from './format.ts';
import type { Keyring } from './keyring.ts';
import { type Signer, signJson } from './signing.ts';
import {
  type AppendHandle,
  keyObject,
  manifestObject,
  reserveObject,
  segmentObject,
  signatureObject,
  type VaultStore,
} from './store.ts';

export interface RecordingWriterOptions {
  store: VaultStore;
  keyring: Keyring;
  /** the key-encryption key to wrap the data key under (its deletion day's, issue 13); default current */
  kekId?: string;
  signer: Signer;
  recordingId: string;
  tenantId: string;
  deviceId: string;
  /** epoch ms of the first frame (for a pre-recording buffer: of its first frame) */
  startedAt?: number;
  /** seconds at the start that came from the device's pre-recording buffer */
  prerecordS?: number;
  mediaType?: string;
  chunkSize?: number;
  /** a segment is sealed after this long… */
  segmentMs?: number;
  /** …or after this many plaintext bytes, whichever comes first */
  segmentMaxBytes?: number;
  /**
   * bytes held back on disk from the start (`reserve.bin`), released at seal so that the manifest of
   * a prefix can still be written when the disk is full (the live recorder; 0 = none)
   */
  reserveBytes?: number;
  now?: () => number;
}

export interface SealOptions {
  startedAt?: number;
  stoppedAt?: number;
  prerecordS?: number;
  /** the stream goes on: this recording is a prefix, cut for this reason (issue 14) */
  cut?: CutReason;
  /** the prefix this recording continues */
  continues?: { recordingId: string; reason: CutReason };
}

export interface SealedRecording {
  manifest: RecordingManifest;
  /** the exact bytes that were signed (manifest.json) */
  manifestJson: string;
  signature: Buffer;
}

export interface RecordingWriter {
  readonly recordingId: string;
  readonly plaintextBytes: number;
  write(data: Buffer): Promise<void>;
  /**
   * `startedAt`/`prerecordS` replace the values given at creation when the caller measured them
   * from the media meanwhile (the live recorder: the times of the first packets, issue 13)
   */
  seal(opts?: SealOptions): Promise<SealedRecording>;
  /** a write failed (e.g. ENOSPC): only `abort()` remains, and a prefix is sealed from disk */
  readonly broken: boolean;
  /** stops without sealing: what was written stays a decryptable, *incomplete* prefix */
  abort(): Promise<void>;
  /** a Writable for `ffmpeg.stdout.pipe(...)`; sealing happens on end, `sealed` resolves then */
  writable(): Writable & { sealed: Promise<SealedRecording> };
}

interface OpenSegment {
  index: number;
  header: SegmentHeader;
  handle: AppendHandle;
  bytes: number;
  chunks: number;
  plainBytes: number;
  openedAt: number;
}

export async function createRecordingWriter(opts: RecordingWriterOptions): Promise<RecordingWriter> {
  const now = opts.now ?? Date.now;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const segmentMs = opts.segmentMs ?? 4000;
  const segmentMaxBytes = Math.max(chunkSize, opts.segmentMaxBytes ?? 8 * 1024 * 1024);
  const { store, tenantId, recordingId } = opts;
  const startedAt = opts.startedAt ?? now();

  const dataKey = randomBytes(32);
  const chunkKey = createChunkKey(dataKey);
  const noncePrefix = randomBytes(4);
  const wrapped = opts.keyring.wrap(tenantId, recordingId, dataKey, opts.kekId);
  if ((await store.size(keyObject(tenantId, recordingId))) !== null) {
    throw new VaultError('invalid_state', `recording ${recordingId} already exists in the store`);
  }
  await store.put(keyObject(tenantId, recordingId), `${JSON.stringify(wrapped)}\n`);
  if (opts.reserveBytes)
    await store.put(reserveObject(tenantId, recordingId), Buffer.alloc(opts.reserveBytes));

  const pending = Buffer.alloc(chunkSize);
  let pendingLen = 0;
  let nextChunk = 0;
  let plaintextBytes = 0;
  let seg: OpenSegment | null = null;
  const done: ManifestSegment[] = [];
  // Two SHA-256 passes, no more: the plaintext (what `sha256sum` of an export checks) and one running
  // hash of all ciphertext, copied at each segment's end for its cumulative segment hash (format
  // version 2). A separate per-segment hash was a third pass over every byte.
  const plainHash = createHash('sha256');
  const cipherHash = createHash('sha256');
  let state: 'open' | 'sealed' | 'aborted' = 'open';
  let broken = false;
  let queue: Promise<unknown> = Promise.resolve();

  async function openSegment(): Promise<OpenSegment> {
    const index = done.length;
    const header: SegmentHeader = {
      recordingId,
      segment: index,
      chunkSize,
      firstChunk: nextChunk,
      noncePrefix,
    };
    const handle = await store.create(segmentObject(tenantId, recordingId, segmentFile(index)));
    const bytes = encodeHeader(header);
    await handle.append(bytes);
    cipherHash.update(bytes);
    return { index, header, handle, bytes: bytes.length, chunks: 0, plainBytes: 0, openedAt: now() };
  }

  // Records are sealed into one buffer per write call and appended with one store write per
  // segment touched, instead of one awaited write (and two hash updates) per 64 KiB chunk.
  let batch: Buffer = Buffer.alloc(0);
  let batchStart = 0;
  let batchEnd = 0;

  async function flushBatch(): Promise<void> {
    if (!seg || batchEnd === batchStart) return;
    const bytes = batch.subarray(batchStart, batchEnd);
    await seg.handle.append(bytes);
    cipherHash.update(bytes);
    seg.bytes += bytes.length;
    batchStart = batchEnd;
  }

  function reserve(records: number): void {
    const need = records * (chunkSize + RECORD_OVERHEAD);
    if (batch.length < need) batch = Buffer.allocUnsafe(need);
    batchStart = 0;
    batchEnd = 0;
  }

  /** Seals `plain` as the next chunk into the batch; a segment's last chunk flushes and closes it. */
  async function emit(plain: Buffer, final: boolean): Promise<void> {
    seg ??= await openSegment();
    const rotate = now() - seg.openedAt >= segmentMs || seg.plainBytes + plain.length >= segmentMaxBytes;
    const flag: ChunkFlag = final ? FLAG_FINAL : rotate ? FLAG_SEGMENT_END : FLAG_MORE;
    batchEnd += sealChunkInto(chunkKey, seg.header, nextChunk, flag, plain, batch, batchEnd);
    seg.chunks++;
    seg.plainBytes += plain.length;
    nextChunk++;
    if (flag !== FLAG_MORE) {
      await flushBatch();
      await seg.handle.sync();
      await seg.handle.close();
      done.push({
        index: seg.index,
        file: segmentFile(seg.index),
        firstChunk: seg.header.firstChunk,
        chunks: seg.chunks,
        bytes: seg.bytes,
        sha256: cipherHash.copy().digest('hex'), // all ciphertext so far (version 2)
      });
      seg = null;
    }
  }

  async function writeNow(data: Buffer): Promise<void> {
    // at most this many chunks complete during this call (the last full one waits for more data)
    reserve(Math.floor((pendingLen + data.length) / chunkSize) + 1);
    plainHash.update(data);
    let off = 0;
    while (off < data.length) {
      // A full chunk is sealed only once more data exists: then it is certainly not the final one.
      if (pendingLen === chunkSize) {
        await emit(pending, false);
        pendingLen = 0;
      }
      if (pendingLen === 0 && data.length - off > chunkSize) {
        // a whole chunk with more data behind it: seal it from the caller's buffer, no copy
        await emit(data.subarray(off, off + chunkSize), false);
        off += chunkSize;
        continue;
      }
      const n = Math.min(chunkSize - pendingLen, data.length - off);
      data.copy(pending, pendingLen, off, off + n);
      pendingLen += n;
      off += n;
    }
    await flushBatch();
    plaintextBytes += data.length;
  }

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => {});
    return p;
  };
  const assertOpen = () => {
    if (state !== 'open') throw new VaultError('invalid_state', `recording ${recordingId} is ${state}`);
  };

  const writer: RecordingWriter = {
    recordingId,
    get plaintextBytes() {
      return plaintextBytes;
    },
    get broken() {
      return broken;
    },
    write(data) {
      return serial(async () => {
        assertOpen();
        if (broken)
          throw new VaultError('invalid_state', `recording ${recordingId}: an earlier write failed`);
        await writeNow(data).catch((err) => {
          broken = true;
          throw err;
        });
      });
    },
    seal(sealOpts = {}) {
      return serial(async () => {
        assertOpen();
        if (broken)
          throw new VaultError('invalid_state', `recording ${recordingId}: an earlier write failed`);
        reserve(1);
        await emit(pending.subarray(0, pendingLen), true);
        state = 'sealed';
        dataKey.fill(0);
        destroyChunkKey(chunkKey);
        const manifest: RecordingManifest = {
          format: RECORDING_FORMAT,
          recordingId,
          tenantId,
          deviceId: opts.deviceId,
          startedAt: sealOpts.startedAt ?? startedAt,
          stoppedAt: sealOpts.stoppedAt ?? now(),
          prerecordS: sealOpts.prerecordS ?? opts.prerecordS ?? 0,
          mediaType: opts.mediaType ?? 'video/webm',
          chunkSize,
          chunkCount: nextChunk,
          plaintextBytes,
          plaintextSha256: plainHash.digest('hex'),
          ciphertextSha256: cipherHash.digest('hex'),
          segments: done,
          kekId: wrapped.kekId,
          signingKey: opts.signer.fingerprint,
          ...(sealOpts.cut ? { cut: { reason: sealOpts.cut, finalChunk: true } } : {}),
          ...(sealOpts.continues ? { continues: sealOpts.continues } : {}),
        };
        const { json, signature } = signJson(opts.signer, manifest);
        if (opts.reserveBytes) await store.delete(reserveObject(tenantId, recordingId));
        await store.put(signatureObject(tenantId, recordingId), signature);
        await store.put(manifestObject(tenantId, recordingId), json);
        return { manifest, manifestJson: json, signature };
      });
    },
    abort() {
      return serial(async () => {
        if (state !== 'open') return;
        state = 'aborted';
        dataKey.fill(0);
        destroyChunkKey(chunkKey);
        if (seg) await seg.handle.close().catch(() => {});
        seg = null;
      });
    },
    writable() {
      let resolveSealed!: (s: SealedRecording) => void;
      let rejectSealed!: (e: unknown) => void;
      const sealed = new Promise<SealedRecording>((res, rej) => {
        resolveSealed = res;
        rejectSealed = rej;
      });
      sealed.catch(() => {});
      const w = new Writable({
        write(chunk: Buffer, _enc, cb) {
          writer.write(chunk).then(() => cb(), cb);
        },
        writev(chunks, cb) {
          writer
            .write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)))
            .then(() => cb(), cb);
        },
        final(cb) {
          writer.seal().then(
            (s) => {
              resolveSealed(s);
              cb();
            },
            (err) => {
              rejectSealed(err);
              cb(err);
            },
          );
        },
      });
      return Object.assign(w, { sealed });
    },
  };
  return writer;
}
