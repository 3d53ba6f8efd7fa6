/**
 * Playback and export without a new buffer per megabyte (issue 17): a recording's plaintext is
 * decrypted into two buffers of this function's own and written to a destination that is done with a
 * chunk once its write callback has fired — a socket or an HTTP response (the bytes are then with the
 * kernel, or copied by TLS) — and each buffer is filled again only after that callback. Allocating a
 * new buffer for every megabyte handed to a consumer (what a `Readable` must do, as it cannot know
 * when its consumer is done with one) cost more than the AES: garbage collection and the kernel
 * faulting in and zeroing fresh pages (docs/benchmarks.md § bench:vault).
 */

import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { VaultError } from './errors.ts';
import type { RecordingCursor } from './reader.ts';

/** two: one with the destination while the other is filled */
const BUFFERS = 2;
const BUFFER_BYTES = 1024 * 1024;

/**
 * Destinations known to be done with a chunk when its write callback fires. Not, for instance, a
 * PassThrough: it calls back once the chunk is queued for its reader, who gets that same buffer.
 */
export const releasesChunksOnCallback = (dest: unknown): dest is Writable =>
  dest instanceof ServerResponse || dest instanceof Socket;

/**
 * Writes `bytes` bytes of the cursor to `out` (which must release chunks on its write callback, see
 * `releasesChunksOnCallback`) and resolves to 'done' once `out` has called back for all of them;
 * does not end `out`. A chunk that fails authentication: the authenticated bytes before it are
 * written, then this rejects with `tampered` (the caller destroys `out`, so the receiver sees a cut
 * transfer, never a wrong byte). `out` failing or closing early (a client that went away) or `stop()`
 * turning true resolves to 'closed'. The buffers are wiped at the end, except one still with a
 * destination that never called back.
 */
export async function pipeRecording(
  cursor: RecordingCursor,
  out: Writable,
  bytes: number,
  stop: () => boolean = () => false,
): Promise<'done' | 'closed'> {
  const free: Buffer[] = [];
  let allocated = 0;
  /** the destination failed or closed */
  let gone = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitForCallback = () => new Promise<void>((resolve) => (wake = resolve));
  const onGone = () => {
    gone = true;
    signal();
  };
  out.on('close', onGone);
  out.on('error', onGone);
  try {
    let left = bytes;
    while (left > 0) {
      if (gone || stop()) return 'closed';
      let buf = free.pop();
      if (!buf && allocated < BUFFERS) {
        buf = Buffer.allocUnsafeSlow(Math.min(BUFFER_BYTES, bytes));
        allocated++;
      }
      if (!buf) {
        await waitForCallback();
        continue;
      }
      const n = await cursor.readInto(buf);
      if (n === 0) throw new VaultError('invalid_state', 'the recording ended before its range');
      left -= n;
      const own = buf;
      out.write(n === buf.length ? buf : buf.subarray(0, n), (err) => {
        if (err) gone = true;
        else free.push(own);
        signal();
      });
    }
    while (free.length < allocated) {
      if (gone) return 'closed';
      await waitForCallback();
    }
    return 'done';
  } finally {
    out.off('close', onGone);
    out.off('error', onGone);
    for (const b of free) b.fill(0);
    await cursor.close().catch(() => {});
  }
}

/**
 * Makes `stream.pipe(dest)` into a destination that releases chunks on its write callback run
 * `write(dest)` (which writes everything the stream would have given, e.g. through `pipeRecording`)
 * instead of the stream's own reads; a stream already read from (`started()`), or any other
 * destination, gets the ordinary pipe. Afterwards the stream ends ('end', for pipeline and fastify,
 * which wait for it) and `dest` is ended unless `{ end: false }`; a failure destroys the stream with
 * its error (fastify then cuts the response), a destination that went away destroys it without one.
 * `running()` is the write under way, for a `destroy` that must wait for it.
 */
export function pipeDirectly(
  stream: Readable,
  started: () => boolean,
  write: (dest: Writable) => Promise<'done' | 'closed'>,
): { running: () => Promise<void> | null } {
  let running: Promise<void> | null = null;
  stream.pipe = <T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T => {
    if (started() || running || stream.destroyed || !releasesChunksOnCallback(dest)) {
      return Readable.prototype.pipe.call(stream, dest, opts) as T;
    }
    running = write(dest).then(
      (how) => {
        running = null;
        if (how === 'closed') {
          stream.destroy();
          return;
        }
        stream.push(null);
        stream.resume();
        if (opts?.end !== false) dest.end();
      },
      (err: Error) => {
        running = null;
        stream.destroy(err);
      },
    );
    return dest;
  };
  return { running: () => running };
}
