/**
 * Sealing a prefix from what is on disk (issue 14): a recording whose writer could not seal it (the
 * SFU was killed, a write failed with ENOSPC) ends in a torn record, or in a segment file holding
 * only part of its header. This keeps every whole chunk that authenticates, truncates the torn tail
 * (so no corrupt byte remains), and signs a manifest of exactly that: chunk count, segment sizes and
 * the hashes, recomputed from the bytes, with `cut: { reason, finalChunk: false }` (the last chunk
 * kept was never flagged final; the signed counts and hashes prove where it ends instead).
 *
 * Nothing is encrypted here: the chunk index of a torn record is never used again, so no nonce is
 * reused. Running it twice returns the manifest of the first run.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  type CutReason,
  type ManifestSegment,
  RECORDING_FORMAT,
  RecordingManifest,
} from '@lagebild/protocol';
import { createChunkKey } from './chunk-key.ts';
import { VaultError } from './errors.ts';
import {
  decodeHeader,
  FLAG_FINAL,
  FLAG_MORE,
  FLAG_SEGMENT_END,
  HEADER_BYTES,
  openChunk,
  recordBytes,
  type SegmentHeader,
  segmentFile,
  segmentHashScheme,
  VERSION,
} from './format.ts';
import type { Keyring } from './keyring.ts';
import { readWrappedKey } from './reader.ts';
import { type Signer, signJson } from './signing.ts';
import {
  manifestObject,
  recordingPrefix,
  reserveObject,
  segmentObject,
  signatureObject,
  type VaultStore,
} from './store.ts';
import type { SealedRecording } from './writer.ts';

export interface SealPrefixOptions {
  store: VaultStore;
  keyring: Keyring;
  signer: Signer;
  tenantId: string;
  recordingId: string;
  deviceId: string;
  mediaType: string;
  startedAt: number;
  /** the time of the last media held; default: when the last segment was written to */
  stoppedAt?: number;
  prerecordS?: number;
  cut: CutReason;
  continues?: { recordingId: string; reason: CutReason };
}

export interface SealedPrefix extends SealedRecording {
  /** bytes of torn records and header-only segments removed */
  truncatedBytes: number;
}

/** null when not one whole chunk reached the disk (nothing to seal; the torn files are removed). */
export async function sealPrefixOnDisk(o: SealPrefixOptions): Promise<SealedPrefix | null> {
  const { store, tenantId, recordingId } = o;
  const existing = await store.get(manifestObject(tenantId, recordingId));
  if (existing) throw new VaultError('invalid_state', `recording ${recordingId} is already sealed`);
  const wrapped = await readWrappedKey(store, tenantId, recordingId);
  const rawKey = o.keyring.unwrap(wrapped, { tenantId, recordingId });
  const key = createChunkKey(rawKey);
  rawKey.fill(0);

  const files = (await store.list(recordingPrefix(tenantId, recordingId))).filter((f) =>
    /^seg-\d{6}\.lbv$/.test(f),
  );
  const plainHash = createHash('sha256');
  const cipherHash = createHash('sha256');
  const segments: ManifestSegment[] = [];
  let next = 0;
  let plaintextBytes = 0;
  let truncatedBytes = 0;
  let lastFlag = FLAG_MORE as number;
  let first: SegmentHeader | null = null;
  for (let i = 0; i < files.length; i++) {
    const file = segmentFile(i);
    if (files[i] !== file) throw new VaultError('tampered', `segment ${file} is missing (found ${files[i]})`);
    const isLast = i === files.length - 1;
    const objectKey = segmentObject(tenantId, recordingId, file);
    const bytes = await store.get(objectKey);
    if (!bytes) throw new VaultError('tampered', `segment ${file} vanished`);
    if (bytes.length < HEADER_BYTES) {
      if (!isLast) throw new VaultError('tampered', `segment ${file} is shorter than its header`);
      // cut while its header was written: holds no chunk
      truncatedBytes += bytes.length;
      await store.delete(objectKey);
      break;
    }
    const header = decodeHeader(bytes.subarray(0, HEADER_BYTES));
    first ??= header;
    if (
      header.recordingId !== recordingId ||
      header.segment !== i ||
      header.firstChunk !== next ||
      header.chunkSize !== first.chunkSize ||
      header.version !== first.version ||
      !header.noncePrefix.equals(first.noncePrefix)
    ) {
      throw new VaultError('tampered', `segment ${file}: header does not continue the recording`);
    }
    const rec = recordBytes(header.chunkSize);
    // a version-1 recording (written before issue 17) signs each segment's own hash: a pass of its own
    const segHash: Hash | null =
      segmentHashScheme(header.version ?? VERSION) === 'per-segment'
        ? createHash('sha256').update(bytes.subarray(0, HEADER_BYTES))
        : null;
    let off = HEADER_BYTES;
    let chunks = 0;
    while (off < bytes.length) {
      const end = bytes[off] === FLAG_FINAL ? bytes.length : Math.min(bytes.length, off + rec);
      let opened: ReturnType<typeof openChunk>;
      try {
        opened = openChunk(key, header, next, bytes.subarray(off, end));
      } catch (err) {
        // a torn record is short and the very last thing written; anything else was changed
        if (!isLast || end < bytes.length || end - off >= rec) throw err;
        break;
      }
      const lastOfFile = end === bytes.length;
      const allowed = !lastOfFile ? opened.flag === FLAG_MORE : isLast || opened.flag === FLAG_SEGMENT_END;
      if (!allowed) {
        throw new VaultError(
          'tampered',
          `chunk ${next}: flag ${opened.flag} out of place in segment ${file}`,
        );
      }
      segHash?.update(bytes.subarray(off, end));
      plainHash.update(opened.plain);
      plaintextBytes += opened.plain.length;
      lastFlag = opened.flag;
      off = end;
      next++;
      chunks++;
    }
    if (chunks === 0) {
      // only a header survived (the disk filled or the process died as the segment began)
      truncatedBytes += bytes.length;
      await store.delete(objectKey);
      break;
    }
    if (off < bytes.length) {
      truncatedBytes += bytes.length - off;
      await store.truncate(objectKey, off);
    }
    cipherHash.update(bytes.subarray(0, off));
    segments.push({
      index: i,
      file,
      firstChunk: header.firstChunk,
      chunks,
      bytes: off,
      sha256: segHash ? segHash.digest('hex') : cipherHash.copy().digest('hex'),
    });
  }
  if (segments.length === 0 || !first) return null;
  const lastSegment = segments[segments.length - 1]!;
  const stoppedAt =
    o.stoppedAt ??
    (await store.modifiedAt(segmentObject(tenantId, recordingId, lastSegment.file))) ??
    Date.now();
  // checked like any reader will check it, before it is signed
  const manifest: RecordingManifest = RecordingManifest.parse({
    format: RECORDING_FORMAT,
    recordingId,
    tenantId,
    deviceId: o.deviceId,
    startedAt: o.startedAt,
    stoppedAt: Math.max(o.startedAt, Math.round(stoppedAt)),
    prerecordS: o.prerecordS ?? 0,
    mediaType: o.mediaType,
    chunkSize: first.chunkSize,
    chunkCount: next,
    plaintextBytes,
    plaintextSha256: plainHash.digest('hex'),
    ciphertextSha256: cipherHash.digest('hex'),
    segments,
    kekId: wrapped.kekId,
    signingKey: o.signer.fingerprint,
    cut: { reason: o.cut, finalChunk: lastFlag === FLAG_FINAL },
    ...(o.continues ? { continues: o.continues } : {}),
  });
  const { json, signature } = signJson(o.signer, manifest);
  // the reserve makes room for the manifest when the disk is full
  await store.delete(reserveObject(tenantId, recordingId));
  await store.put(signatureObject(tenantId, recordingId), signature);
  await store.put(manifestObject(tenantId, recordingId), json);
  return { manifest, manifestJson: json, signature, truncatedBytes };
}
