/**
 * The format as Node stream Transforms, for pipelines that never put plaintext on disk:
 * `createEncryptStream` turns plaintext into one segment (header + records), `createDecryptStream`
 * turns the segment files of a recording, concatenated in order, back into plaintext. The decrypt
 * stream errors with `incomplete` if the input ends without the final chunk and with `tampered` on
 * any authentication failure, so a consumer can never mistake a cut file for a shorter video.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createChunkKey } from './chunk-key.ts';
import { VaultError } from './errors.ts';
import {
  DEFAULT_CHUNK_SIZE,
  decodeHeader,
  encodeHeader,
  FLAG_FINAL,
  FLAG_MORE,
  FLAG_SEGMENT_END,
  HEADER_BYTES,
  openChunk,
  recordBytes,
  type SegmentHeader,
  sealChunk,
} from './format.ts';

export interface EncryptStreamOptions {
  dataKey: Buffer;
  recordingId: string;
  noncePrefix: Buffer;
  chunkSize?: number;
  segment?: number;
  firstChunk?: number;
}

export function createEncryptStream(opts: EncryptStreamOptions): Transform {
  const header: SegmentHeader = {
    recordingId: opts.recordingId,
    segment: opts.segment ?? 0,
    chunkSize: opts.chunkSize ?? DEFAULT_CHUNK_SIZE,
    firstChunk: opts.firstChunk ?? 0,
    noncePrefix: opts.noncePrefix,
  };
  const size = header.chunkSize;
  const key = createChunkKey(opts.dataKey);
  const pending = Buffer.alloc(size);
  let pendingLen = 0;
  let index = header.firstChunk;
  let headerSent = false;
  return new Transform({
    transform(data: Buffer, _enc, cb: TransformCallback) {
      if (!headerSent) {
        this.push(encodeHeader(header));
        headerSent = true;
      }
      let off = 0;
      while (off < data.length) {
        if (pendingLen === size) {
          this.push(sealChunk(key, header, index++, FLAG_MORE, pending));
          pendingLen = 0;
        }
        const n = Math.min(size - pendingLen, data.length - off);
        data.copy(pending, pendingLen, off, off + n);
        pendingLen += n;
        off += n;
      }
      cb();
    },
    flush(cb: TransformCallback) {
      if (!headerSent) this.push(encodeHeader(header));
      this.push(sealChunk(key, header, index++, FLAG_FINAL, pending.subarray(0, pendingLen)));
      cb();
    },
  });
}

export interface DecryptStreamOptions {
  dataKey: Buffer;
  recordingId: string;
}

export function createDecryptStream(opts: DecryptStreamOptions): Transform {
  const key = createChunkKey(opts.dataKey);
  let buf: Buffer = Buffer.alloc(0);
  let header: SegmentHeader | null = null;
  let nextSegment = 0;
  let nextChunk = 0;
  let first: SegmentHeader | null = null;
  let finished = false;

  function take(self: Transform, atEnd: boolean): void {
    for (;;) {
      if (finished) {
        if (buf.length > 0) throw new VaultError('tampered', 'data after the final chunk');
        return;
      }
      if (!header) {
        if (buf.length < HEADER_BYTES) return;
        const h = decodeHeader(buf.subarray(0, HEADER_BYTES));
        first ??= h;
        if (
          h.recordingId !== opts.recordingId ||
          h.segment !== nextSegment ||
          h.firstChunk !== nextChunk ||
          h.chunkSize !== first.chunkSize ||
          !h.noncePrefix.equals(first.noncePrefix)
        ) {
          throw new VaultError('tampered', `segment ${nextSegment}: header does not continue the recording`);
        }
        header = h;
        buf = buf.subarray(HEADER_BYTES);
        continue;
      }
      const rec = recordBytes(header.chunkSize);
      if (buf.length < rec && !(atEnd && buf.length > 0)) return;
      const record = buf.subarray(0, Math.min(rec, buf.length));
      if (record.length < rec && record[0] !== FLAG_FINAL) {
        throw new VaultError(
          'incomplete',
          `input ends inside chunk ${nextChunk}: the recording is incomplete`,
        );
      }
      const { flag, plain } = openChunk(key, header, nextChunk, record);
      buf = buf.subarray(record.length);
      nextChunk++;
      self.push(plain);
      if (flag === FLAG_SEGMENT_END) {
        header = null;
        nextSegment++;
      } else if (flag === FLAG_FINAL) {
        finished = true;
      }
    }
  }

  return new Transform({
    transform(data: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, data]) : data;
      try {
        take(this, false);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        take(this, true);
        if (!finished) {
          throw new VaultError(
            'incomplete',
            `input ends after chunk ${nextChunk - 1} without the final chunk`,
          );
        }
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}
