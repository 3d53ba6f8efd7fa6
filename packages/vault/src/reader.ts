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
  openRecordInto,
  RECORD_OVERHEAD,
  recordBytes,
  type SegmentHeader,
  segmentFile,
  segmentHashScheme,
  VERSION,
} from './format.ts';
import type { Keyring, WrappedKey } from './keyring.ts';
import { pipeDirectly, pipeRecording } from './pipe-recording.ts';
import { canonicalJson, type Verifier } from './signing.ts';
import {
  keyObject,
  manifestObject,
  openForReading,
  type ReadHandle,
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
  /**
   * The same bytes pulled into buffers the consumer hands back (`readInto`): no allocation and no
   * stream per call, for a consumer that knows when its buffers are free again (`pipeRecording`).
   */
  cursor(start: number, endInclusive: number): RecordingCursor;
}

/**
 * Authenticated plaintext, pulled. `readInto(buf)` fills `buf` from its start and resolves to the
 * number of bytes written: `buf.length` until the range's end, then fewer, then 0. Every byte it
 * writes belongs to a chunk whose tag has been verified (a failing chunk's place in `buf` is wiped);
 * after a failure the call returns the authenticated bytes before it and the next call throws
 * (`tampered`). One call at a time; `close()` releases the segment file early.
 */
export interface RecordingCursor {
  readInto(buf: Buffer): Promise<number>;
  close(): Promise<void>;
}

export interface OpenOptions {
  store: VaultStore;
  keyring: Keyring;
  tenantId: string;
  recordingId: string;
  /** checks the manifest's signature; without it a manifest is trusted only structurally */
  verifier?: Verifier;
}

/**
 * Ciphertext per read (one buffer per stream, reused: it never leaves the reader) and plaintext per
 * push (a new buffer each, owned by the consumer). The former reader allocated a new 4 MiB buffer per
 * read, decrypted it in place and yielded it as 64 KiB views, one async-generator step each; its
 * profile (2026-12-07, 512 MB) was a third garbage collection. Pushes of 1 MiB measured better than
 * of 256 KiB (fewer buffers to allocate and free). Figures: docs/benchmarks.md § bench:vault.
 */
const READ_BATCH_BYTES = 1024 * 1024;
const PUSH_BYTES = 1024 * 1024;

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

  const isLastSeg = (s: SegmentLayout) => s === last;
  /** throws unless chunk `index` carries the flag of its place (inside, last of its segment, final) */
  function checkFlag(s: SegmentLayout, index: number, flag: number): void {
    const lastOfSeg = index === s.header.firstChunk + s.records - 1;
    const expected = lastOfSeg ? (isLastSeg(s) ? FLAG_FINAL : FLAG_SEGMENT_END) : FLAG_MORE;
    let ok = flag === expected;
    // an unsealed recording may stop anywhere: its last present chunk is not flagged final
    // (nor is that of a prefix sealed from disk afterwards, whose manifest fixes the count)
    if (!ok && (incompleteReason || prefixSealed) && isLastSeg(s) && lastOfSeg) ok = flag !== FLAG_FINAL;
    if (!ok) {
      throw new VaultError(
        'tampered',
        `chunk ${index}: flag ${flag} where ${expected} belongs (segment cut or spliced)`,
      );
    }
  }

  /**
   * Plaintext bytes [start, endInclusive] pulled into buffers the consumer owns and hands back
   * (`readInto`). One read fills a ciphertext buffer, owned by the cursor and reused, with whole
   * records of one segment (one file handle per segment), about as many as the consumer's buffer
   * holds; each record is authenticated and checked in its place (index, flag) while it is opened
   * straight into the consumer's buffer, so nothing is allocated per call. Only a chunk that is cut
   * by the range or by the consumer's buffer is opened in place in the read buffer first (its
   * plaintext is wiped there once handed on, and on close). A chunk that fails ends the bytes of
   * that call before it: they are returned, and the next call throws.
   */
  function cursorRange(start: number, endInclusive: number): RecordingCursor {
    const first = Math.floor(start / chunkSize);
    const lastChunk = Math.floor(endInclusive / chunkSize);
    const perRead = Math.min(Math.max(1, Math.floor(READ_BATCH_BYTES / chunkSize)), lastChunk - first + 1);
    let cipher: Buffer | null = null;
    /** the next chunk to read from the store */
    let index = first;
    /** what `cipher` holds: records of `bufSeg` from chunk `bufFirst`, `bufBytes` bytes; next: `bufNext` */
    let bufSeg: SegmentLayout | null = null;
    let bufFirst = 0;
    let bufCount = 0;
    let bufBytes = 0;
    let bufNext = 0;
    /** authenticated plaintext waiting in `cipher` (a cut chunk opened in place): [pendAt, pendEnd) */
    let pendAt = 0;
    let pendEnd = 0;
    let seg: SegmentLayout | null = null;
    let handle: ReadHandle | null = null;
    let failure: Error | null = null;
    let busy = false;
    let closed = false;

    const closeHandle = async () => {
      const h = handle;
      handle = null;
      seg = null;
      await h?.close();
    };

    /** reads the next records (at most `want`) of the range into `cipher` */
    async function fill(want: number): Promise<void> {
      const s = segmentOf(index);
      if (seg !== s) {
        await closeHandle();
        handle = await openForReading(store, segmentObject(tenantId, recordingId, s.file));
        seg = s;
      }
      const count = Math.min(Math.min(lastChunk, s.header.firstChunk + s.records - 1) - index + 1, want);
      const off = HEADER_BYTES + (index - s.header.firstChunk) * rec;
      const bytes = Math.min(count * rec, s.fileBytes - off);
      cipher ??= Buffer.allocUnsafeSlow(perRead * rec);
      const got = await handle!.read(cipher, 0, bytes, off);
      if (got < bytes) {
        throw new VaultError(
          'tampered',
          `segment ${s.file} ends at byte ${off + got}, inside chunk ${index + Math.floor(got / rec)} (it was ${s.fileBytes} bytes when opened)`,
        );
      }
      bufSeg = s;
      bufFirst = index;
      bufCount = count;
      bufBytes = bytes;
      bufNext = 0;
      index += count;
    }

    async function readInto(buf: Buffer): Promise<number> {
      if (busy) throw new VaultError('invalid_state', 'readInto: the previous call has not finished');
      if (buf.length === 0) throw new VaultError('invalid_state', 'readInto: an empty buffer');
      if (failure) throw failure;
      if (closed) return 0;
      busy = true;
      let filled = 0;
      try {
        while (filled < buf.length) {
          if (pendAt < pendEnd) {
            const n = cipher!.copy(buf, filled, pendAt, Math.min(pendEnd, pendAt + buf.length - filled));
            cipher!.fill(0, pendAt, pendAt + n);
            pendAt += n;
            filled += n;
            continue;
          }
          if (bufNext < bufCount) {
            const s = bufSeg!;
            const i = bufFirst + bufNext;
            const at = bufNext * rec;
            const len = Math.min(rec, bufBytes - at);
            const n = len - RECORD_OVERHEAD;
            const base = i * chunkSize;
            const from = Math.max(0, start - base);
            const to = Math.min(n, endInclusive - base + 1);
            if (from === 0 && to === n && buf.length - filled >= n) {
              // the common case: straight into the consumer's buffer (wiped there if it fails)
              checkFlag(s, i, openRecordInto(dataKey, s.header, i, cipher!, at, len, buf, filled));
              filled += n;
            } else {
              checkFlag(s, i, openRecordInto(dataKey, s.header, i, cipher!, at, len, cipher!, at + 1));
              pendAt = at + 1 + from;
              pendEnd = at + 1 + to;
              cipher!.fill(0, at + 1, pendAt);
              cipher!.fill(0, pendEnd, at + 1 + n);
            }
            bufNext++;
            continue;
          }
          if (index > lastChunk) break;
          // about as many records as the rest of the consumer's buffer holds, so that a call is one read
          await fill(Math.min(perRead, Math.ceil((buf.length - filled) / chunkSize)));
        }
      } catch (err) {
        failure = err as Error;
        // a chunk authenticated but out of place (its flag) was written there before the check
        buf.fill(0, filled);
        if (filled === 0) {
          busy = false;
          await close();
          throw err;
        }
        await close();
      }
      busy = false;
      if (filled === 0 || index > lastChunk) {
        if (bufNext >= bufCount && pendAt >= pendEnd) await closeHandle();
      }
      return filled;
    }

    async function close(): Promise<void> {
      closed = true;
      // ciphertext, but also any plaintext opened in place (a cut chunk, or one that failed its check)
      cipher?.fill(0);
      pendAt = pendEnd = 0;
      bufNext = bufCount = 0;
      await closeHandle();
    }

    return {
      readInto,
      close: () =>
        busy ? Promise.reject(new VaultError('invalid_state', 'close: a read is under way')) : close(),
    };
  }

  /**
   * The same bytes as a stream that reads only when its consumer asks for more (backpressure): one
   * new plaintext buffer per push (the consumer may keep it, e.g. in a socket's write queue), filled
   * by the cursor above. One push per buffer, so the stream's buffer holds a single group and a
   * paused consumer's `read()` never has to concatenate. Memory stays bounded by the cursor's read
   * buffer, one plaintext group and the stream's high-water mark. A chunk that fails ends the
   * stream with its error after the authenticated chunks before it.
   */
  function streamRange(start: number, endInclusive: number): Readable {
    const cursor = cursorRange(start, endInclusive);
    let left = endInclusive - start + 1;
    let wanted = false;

    /** the pump under way, if any: a destroyed stream closes the cursor once it has returned */
    let pumping: Promise<void> | null = null;

    async function pump(): Promise<void> {
      try {
        while (wanted && !stream.destroyed) {
          if (left === 0) {
            await cursor.close();
            stream.push(null);
            return;
          }
          wanted = false;
          const plain = Buffer.allocUnsafe(Math.min(PUSH_BYTES, left));
          const n = await cursor.readInto(plain);
          if (stream.destroyed) return;
          if (n < plain.length) plain.fill(0, n); // after a failure: no stale memory behind the view
          left -= n;
          // read on while the consumer takes more (`wanted` is also set by a read() during the push)
          if (n > 0 && stream.push(n === plain.length ? plain : plain.subarray(0, n))) wanted = true;
          if (n === 0) {
            await cursor.readInto(plain); // throws the failure that ended the bytes early
            throw new VaultError('invalid_state', 'the recording ended before its range');
          }
        }
      } catch (err) {
        stream.destroy(err as Error);
      } finally {
        pumping = null;
      }
    }

    const stream = new Readable({
      read() {
        // piped directly (below), the direct writer alone reads the cursor
        if (direct.running()) return;
        wanted = true;
        started = true;
        // not from inside read(): Readable.read() calls this to read ahead while a group is still
        // buffered, and a group pushed synchronously here would be concatenated with it (a copy)
        pumping ??= new Promise((resolve) => process.nextTick(resolve)).then(pump);
      },
      destroy(err, cb) {
        // 'close' only once the segment file is closed: after the read under way, if any
        (pumping ?? direct.running() ?? Promise.resolve())
          .then(() => cursor.close())
          .then(
            () => cb(err),
            (e: Error) => cb(err ?? e),
          );
      },
    });

    /**
     * Piped, untouched, into a destination that is done with a chunk when it calls back (an HTTP
     * response: `reply.send(stream)`, a socket): the plaintext goes through two reused buffers
     * (`pipeRecording`) instead of a new one per push. Anything else is the ordinary pipe.
     */
    let started = false;
    const direct = pipeDirectly(
      stream,
      () => started,
      (dest) => {
        started = true;
        return pipeRecording(cursor, dest, left, () => stream.destroyed).then((how) => {
          if (how === 'done') left = 0;
          return how;
        });
      },
    );
    return stream;
  }

  function readRange(start: number, endInclusive: number): Readable {
    if (start < 0 || endInclusive >= size || start > endInclusive) {
      throw new VaultError('invalid_state', `range ${start}-${endInclusive} is outside 0-${size - 1}`);
    }
    return streamRange(start, endInclusive);
  }

  function cursor(start: number, endInclusive: number): RecordingCursor {
    if (start < 0 || endInclusive >= size || start > endInclusive) {
      throw new VaultError('invalid_state', `range ${start}-${endInclusive} is outside 0-${size - 1}`);
    }
    return cursorRange(start, endInclusive);
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
    cursor,
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
    cursor: () => {
      throw new VaultError('incomplete', 'nothing was recorded');
    },
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
  if (r.size > 0) {
    // one buffer, reused: the hash has consumed each fill before the next
    const cursor = r.cursor(0, r.size - 1);
    const buf = Buffer.allocUnsafeSlow(Math.min(1024 * 1024, r.size));
    try {
      for (let got = await cursor.readInto(buf); got > 0; got = await cursor.readInto(buf)) {
        plain.update(got === buf.length ? buf : buf.subarray(0, got));
        n += got;
      }
    } finally {
      buf.fill(0);
      await cursor.close().catch(() => {});
    }
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
