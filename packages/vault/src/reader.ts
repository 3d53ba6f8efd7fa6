/**
 * Reading a recording back: unwrap the data key, discover the segments, decrypt any byte range
 * (HTTP Range: the chunk of an offset is offset / chunkSize) and verify everything end to end.
 * A recording whose final chunk is missing is reported `incomplete` with its readable prefix; a
 * changed, reordered, spliced or foreign chunk is `tampered`. Plaintext only ever leaves as a stream.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RecordingManifest } from '@lagebild/protocol';
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
import type { Keyring, WrappedKey } from './keyring.ts';
import { canonicalJson, type Verifier } from './signing.ts';
import {
  keyObject,
  manifestObject,
  recordingPrefix,
  segmentObject,
  signatureObject,
  type VaultStore,
} from './store.ts';

export interface SegmentLayout {
  header: SegmentHeader;
  file: string;
  fileBytes: number;
  /** records present in the file (the last may be partial after a crash) */
  records: number;
}

export type RecordingStatus = 'complete' | 'incomplete';

export interface OpenedRecording {
  recordingId: string;
  tenantId: string;
  /** the signed manifest, when the recording was sealed and its signature checks out */
  manifest: RecordingManifest | null;
  status: RecordingStatus;
  /** why it is incomplete, for the UI and logs */
  incompleteReason: string | null;
  chunkSize: number;
  chunkCount: number;
  /** plaintext bytes that can be read (the prefix, when incomplete) */
  size: number;
  segments: SegmentLayout[];
  /** decrypts plaintext bytes [start, endInclusive] */
  readRange(start: number, endInclusive: number): Readable;
  readAll(): Readable;
}

export interface OpenOptions {
  store: VaultStore;
  keyring: Keyring;
  tenantId: string;
  recordingId: string;
  /** checks the manifest's signature; without it a manifest is trusted only structurally */
  verifier?: Verifier;
}

const READ_BATCH_BYTES = 4 * 1024 * 1024;

export async function readWrappedKey(
  store: VaultStore,
  tenantId: string,
  recordingId: string,
): Promise<WrappedKey> {
  const raw = await store.get(keyObject(tenantId, recordingId));
  if (!raw) {
    const any = (await store.list(recordingPrefix(tenantId, recordingId))).length > 0;
    throw any
      ? new VaultError('shredded', `recording ${recordingId}: its data key is gone (crypto-shredded)`)
      : new VaultError('not_found', `recording ${recordingId} is not in the store`);
  }
  return JSON.parse(raw.toString('utf8')) as WrappedKey;
}

export async function loadManifest(
  store: VaultStore,
  tenantId: string,
  recordingId: string,
  verifier?: Verifier,
): Promise<{ manifest: RecordingManifest; json: string; signature: Buffer } | null> {
  const json = await store.get(manifestObject(tenantId, recordingId));
  if (!json) return null;
  const signature = (await store.get(signatureObject(tenantId, recordingId))) ?? Buffer.alloc(0);
  const parsed = RecordingManifest.safeParse(JSON.parse(json.toString('utf8')));
  if (!parsed.success) throw new VaultError('tampered', `manifest of ${recordingId} is malformed`);
  const manifest = parsed.data;
  if (canonicalJson(manifest) !== json.toString('utf8')) {
    throw new VaultError('tampered', `manifest of ${recordingId} is not in canonical form`);
  }
  if (manifest.recordingId !== recordingId || manifest.tenantId !== tenantId) {
    throw new VaultError('tampered', `manifest names another recording or tenant`);
  }
  if (verifier) {
    if (verifier.publicKeyPemOf(manifest.signingKey) === null) {
      throw new VaultError(
        'bad_signature',
        `manifest was signed by key ${manifest.signingKey.slice(0, 16)}…, not ours`,
      );
    }
    if (!verifier.verify(json, signature))
      throw new VaultError('bad_signature', `manifest signature is invalid`);
  }
  return { manifest, json: json.toString('utf8'), signature };
}

export async function openRecording(opts: OpenOptions): Promise<OpenedRecording> {
  const { store, tenantId, recordingId } = opts;
  const rawKey = opts.keyring.unwrap(await readWrappedKey(store, tenantId, recordingId), {
    tenantId,
    recordingId,
  });
  const dataKey = createChunkKey(rawKey);
  rawKey.fill(0);
  const loaded = await loadManifest(store, tenantId, recordingId, opts.verifier);
  const manifest = loaded?.manifest ?? null;

  const files = (await store.list(recordingPrefix(tenantId, recordingId))).filter((f) =>
    /^seg-\d{6}\.lbv$/.test(f),
  );
  const segments: SegmentLayout[] = [];
  let next = 0;
  let chunkSize = manifest?.chunkSize ?? 0;
  let prefix: Buffer | null = null;
  let version: number | undefined;
  for (let i = 0; i < files.length; i++) {
    const file = segmentFile(i);
    if (files[i] !== file) throw new VaultError('tampered', `segment ${file} is missing (found ${files[i]})`);
    const key = segmentObject(tenantId, recordingId, file);
    const fileBytes = (await store.size(key)) ?? 0;
    if (fileBytes < HEADER_BYTES) {
      if (i === files.length - 1 && !manifest) break; // crash right after creating the segment
      throw new VaultError('tampered', `segment ${file} is shorter than its header`);
    }
    const header = decodeHeader(await store.read(key, 0, HEADER_BYTES));
    chunkSize ||= header.chunkSize;
    prefix ??= header.noncePrefix;
    version ??= header.version;
    if (
      header.version !== version ||
      header.recordingId !== recordingId ||
      header.segment !== i ||
      header.firstChunk !== next ||
      header.chunkSize !== chunkSize ||
      !header.noncePrefix.equals(prefix)
    ) {
      throw new VaultError('tampered', `segment ${file}: header does not continue the recording`);
    }
    const records = Math.ceil((fileBytes - HEADER_BYTES) / recordBytes(chunkSize));
    segments.push({ header, file, fileBytes, records });
    next += records;
  }
  if (segments.length === 0) {
    return emptyRecording(opts, manifest, 'no segment was written');
  }

  const rec = recordBytes(chunkSize);
  const segmentOf = (chunk: number): SegmentLayout => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.header.firstChunk <= chunk) lo = mid;
      else hi = mid - 1;
    }
    return segments[lo]!;
  };

  // The tail decides completeness: the final chunk must be there, authentic and flagged final.
  const last = segments[segments.length - 1]!;
  let chunkCount = next;
  let size = chunkCount * chunkSize;
  let incompleteReason: string | null = null;
  const tailIndex = last.header.firstChunk + last.records - 1;
  const prefixSealed = manifest?.cut?.finalChunk === false;
  if (last.records === 0) {
    incompleteReason = 'the recording ended without its final chunk';
  } else {
    const off = HEADER_BYTES + (last.records - 1) * rec;
    const tail = await store.read(segmentObject(tenantId, recordingId, last.file), off, last.fileBytes - off);
    let opened: ReturnType<typeof openChunk> | null = null;
    try {
      opened = openChunk(dataKey, last.header, tailIndex, tail);
    } catch (err) {
      if (manifest || tail.length === rec || (tail.length > 0 && tail[0] === FLAG_FINAL)) throw err;
      // a record cut short by a crash: the prefix before it is what we have
    }
    if (opened?.flag === FLAG_FINAL) {
      size = (chunkCount - 1) * chunkSize + opened.plain.length;
    } else if (opened && prefixSealed) {
      // a prefix sealed from disk (issue 14): its signed counts and hashes say where it ends
    } else {
      if (!opened) {
        chunkCount--;
        size = chunkCount * chunkSize;
      }
      incompleteReason = 'the final chunk is missing (recording was cut off)';
    }
  }
  if (!incompleteReason && !manifest)
    incompleteReason = 'the recording was never sealed with a signed manifest';
  if (manifest && !incompleteReason) {
    const ok =
      manifest.chunkCount === chunkCount &&
      manifest.plaintextBytes === size &&
      manifest.segments.length === segments.length &&
      manifest.segments.every(
        (s, i) => s.bytes === segments[i]!.fileBytes && s.firstChunk === segments[i]!.header.firstChunk,
      );
    if (!ok) throw new VaultError('tampered', `the segments do not match the signed manifest`);
  }
  if (manifest && incompleteReason) {
    throw new VaultError('incomplete', `sealed recording lost its end after sealing: ${incompleteReason}`);
  }

  async function* chunks(first: number, lastChunk: number): AsyncGenerator<{ index: number; plain: Buffer }> {
    let index = first;
    while (index <= lastChunk) {
      const s = segmentOf(index);
      const inSeg = index - s.header.firstChunk;
      const segLast = Math.min(lastChunk, s.header.firstChunk + s.records - 1);
      const want = Math.max(1, Math.min(segLast - index + 1, Math.floor(READ_BATCH_BYTES / rec)));
      const off = HEADER_BYTES + inSeg * rec;
      const buf = await store.read(
        segmentObject(tenantId, recordingId, s.file),
        off,
        Math.min(want * rec, s.fileBytes - off),
      );
      for (let k = 0; k < want; k++, index++) {
        const record = buf.subarray(k * rec, Math.min((k + 1) * rec, buf.length));
        // in place: `buf` was read for this batch alone and its ciphertext is not needed again
        const { flag, plain } = openChunk(dataKey, s.header, index, record, true);
        const lastOfSeg = index === s.header.firstChunk + s.records - 1;
        const isLastSeg = s === last;
        const expected = lastOfSeg ? (isLastSeg ? FLAG_FINAL : FLAG_SEGMENT_END) : FLAG_MORE;
        let ok = flag === expected;
        // an unsealed recording may stop anywhere: its last present chunk is not flagged final
        // (nor is that of a prefix sealed from disk afterwards, whose manifest fixes the count)
        if (!ok && (incompleteReason || prefixSealed) && isLastSeg && lastOfSeg) ok = flag !== FLAG_FINAL;
        if (!ok) {
          throw new VaultError(
            'tampered',
            `chunk ${index}: flag ${flag} where ${expected} belongs (segment cut or spliced)`,
          );
        }
        yield { index, plain };
      }
    }
  }

  function readRange(start: number, endInclusive: number): Readable {
    if (start < 0 || endInclusive >= size || start > endInclusive) {
      throw new VaultError('invalid_state', `range ${start}-${endInclusive} is outside 0-${size - 1}`);
    }
    const first = Math.floor(start / chunkSize);
    const lastChunk = Math.floor(endInclusive / chunkSize);
    return Readable.from(
      (async function* () {
        for await (const { index, plain } of chunks(first, lastChunk)) {
          const base = index * chunkSize;
          const from = Math.max(0, start - base);
          const to = Math.min(plain.length, endInclusive - base + 1);
          yield plain.subarray(from, to);
        }
      })(),
      { objectMode: false },
    );
  }

  return {
    recordingId,
    tenantId,
    manifest,
    status: incompleteReason ? 'incomplete' : 'complete',
    incompleteReason,
    chunkSize,
    chunkCount,
    size,
    segments,
    readRange,
    readAll: () => (size === 0 ? Readable.from([]) : readRange(0, size - 1)),
  };
}

function emptyRecording(
  opts: OpenOptions,
  manifest: RecordingManifest | null,
  reason: string,
): OpenedRecording {
  if (manifest) throw new VaultError('tampered', `sealed recording ${opts.recordingId} has no segments`);
  return {
    recordingId: opts.recordingId,
    tenantId: opts.tenantId,
    manifest: null,
    status: 'incomplete',
    incompleteReason: reason,
    chunkSize: 0,
    chunkCount: 0,
    size: 0,
    segments: [],
    readRange: () => {
      throw new VaultError('incomplete', 'nothing was recorded');
    },
    readAll: () => Readable.from([]),
  };
}

export interface VerifyReport {
  recordingId: string;
  status: RecordingStatus;
  incompleteReason: string | null;
  signed: boolean;
  chunkCount: number;
  plaintextBytes: number;
  plaintextSha256: string;
  ciphertextSha256: string;
}

/** Decrypts everything, recomputes both hashes and compares them with the signed manifest. */
export async function verifyRecording(opts: OpenOptions): Promise<VerifyReport> {
  const r = await openRecording(opts);
  const plain = createHash('sha256');
  let n = 0;
  for await (const b of r.readAll()) {
    plain.update(b as Buffer);
    n += (b as Buffer).length;
  }
  const cipher = createHash('sha256');
  const segmentSha256: string[] = [];
  for (const s of r.segments) {
    const bytes = await opts.store.read(
      segmentObject(opts.tenantId, opts.recordingId, s.file),
      0,
      s.fileBytes,
    );
    cipher.update(bytes);
    segmentSha256.push(
      segmentHashScheme(s.header.version ?? VERSION) === 'per-segment'
        ? createHash('sha256').update(bytes).digest('hex')
        : cipher.copy().digest('hex'),
    );
  }
  const report: VerifyReport = {
    recordingId: opts.recordingId,
    status: r.status,
    incompleteReason: r.incompleteReason,
    signed: r.manifest !== null,
    chunkCount: r.chunkCount,
    plaintextBytes: n,
    plaintextSha256: plain.digest('hex'),
    ciphertextSha256: cipher.digest('hex'),
  };
  const m = r.manifest;
  if (m && (m.plaintextSha256 !== report.plaintextSha256 || m.ciphertextSha256 !== report.ciphertextSha256)) {
    throw new VaultError('tampered', `hashes do not match the signed manifest`);
  }
  const badSegment = m?.segments.findIndex((s, i) => s.sha256 !== segmentSha256[i]) ?? -1;
  if (badSegment >= 0) {
    throw new VaultError('tampered', `segment ${badSegment}: its hash does not match the signed manifest`);
  }
  return report;
}
