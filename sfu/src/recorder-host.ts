/**
 * Records every published stream of this node (a camera publishes over WHIP exactly while it
 * records): a LiveRecorder starts when a publisher is adopted and stops when it closes (unpublished,
 * replaced, timeout, worker died, shutdown). A recording cut while its stream goes on (issue 14) is
 * sealed as a prefix and continued by a new recording of the same stream: at once when ffmpeg died
 * (at most `MAX_RESTARTS` times per stream), once the recordings' disk has RECORDINGS_MIN_FREE_MB
 * again when it was full, and when the camera publishes again after its worker died or the SFU
 * restarted (the new recording links back by itself: `linkContinuation`).
 */
import { statfs } from 'node:fs/promises';
import type { CutReason, ProducerDownReason } from '@lagebild/protocol';
import type { types } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { Publisher } from './publisher.ts';
import { LiveRecorder, type RecorderResult } from './recorder.ts';
import type { RecorderContext } from './recorder-context.ts';
import { prepareRecorderInput, type RecorderInput } from './recorder-input.ts';

const MAX_RESTARTS = 3;
/** how often a recorder waiting for disk space looks again */
const SPACE_POLL_MS = 1000;

/** the end of a stream that a new publish of the camera will continue (not its own end) */
const CUT_BY_CLOSE: Partial<Record<ProducerDownReason, CutReason>> = {
  worker_died: 'worker_died',
  shutdown: 'sfu_restart',
};

export interface RecorderView {
  deviceId: string;
  recordingId: string;
  ffmpegPid: number | null;
  plaintextBytes: number;
}

export interface RecorderHost {
  /**
   * Gets a publisher's recorder input ready when it is adopted, before its media arrives
   * (recorder-input.ts), after `before` (the talkback track it records too): discarded if it never
   * goes live.
   */
  prepare(publisher: Publisher, router: types.Router, before?: Promise<unknown>): void;
  record(publisher: Publisher, router: types.Router, opts?: { prerecordS?: number }): void;
  active(): RecorderView[];
  /** results of finished recordings, newest last (bounded; for tests and stats) */
  finished(): RecorderResult[];
  /** waits for every running recording to be sealed (call after the publishers are closed) */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function createRecorderHost(ctx: RecorderContext, config: SfuConfig, log: Logger): RecorderHost {
  const running = new Set<LiveRecorder>();
  const pending = new Set<Promise<unknown>>();
  const finished: RecorderResult[] = [];
  let closing = false;
  const prepared = new WeakMap<Publisher, Promise<RecorderInput | null>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };

  function prepare(publisher: Publisher, router: types.Router, before?: Promise<unknown>): void {
    if (closing || publisher.closed || publisher.live) return;
    const input = Promise.resolve(before)
      .then(() => (publisher.closed || closing ? null : prepareRecorderInput({ publisher, router, config })))
      .catch((err) => {
        log.warn(
          { err, deviceId: publisher.deviceId },
          'recorder input not prepared: made when media arrives',
        );
        return null;
      });
    prepared.set(publisher, input);
    publisher.once('close', () => {
      // not taken by a recording: the publisher never went live
      if (prepared.get(publisher) !== input) return;
      prepared.delete(publisher);
      void input.then((i) => i?.close());
    });
  }

  function record(
    publisher: Publisher,
    router: types.Router,
    opts: { prerecordS?: number } = {},
    attempt = 0,
  ): void {
    const started = track(
      LiveRecorder.start({
        publisher,
        router,
        ctx,
        config,
        log,
        prerecordS: attempt === 0 ? opts.prerecordS : 0,
        prepared: takePrepared(publisher),
      }),
    );
    started.then(
      (rec) => {
        running.add(rec);
        // rec.done settles once the recording is sealed or failed; its owner is the chain below
        const stop = (reason?: ProducerDownReason) => {
          const cut = reason && CUT_BY_CLOSE[reason];
          void rec.stop(cut ? { fast: true, cut } : {}).catch(() => {});
        };
        if (publisher.closed) stop();
        else publisher.once('close', stop);
        track(rec.done)
          .then(async (result) => {
            running.delete(rec);
            finished.push(result);
            if (finished.length > 100) finished.shift();
            if (result.complete || publisher.closed) return;
            if (result.cut === 'disk_full') {
              // not a failing recorder: the stream continues once there is room for it again
              log.warn({ deviceId: publisher.deviceId }, 'recordings disk full: waiting for space');
              if (await spaceReturned(publisher)) record(publisher, router, {}, attempt);
            } else if (attempt < MAX_RESTARTS) {
              log.warn(
                { deviceId: publisher.deviceId, attempt: attempt + 1 },
                'recorder restarting for a live stream',
              );
              record(publisher, router, {}, attempt + 1);
            }
          })
          .catch((err) => log.error({ err, deviceId: publisher.deviceId }, 'recording did not finish'));
      },
      async (err) => {
        log.error({ err, deviceId: publisher.deviceId }, 'recording could not start');
        // a full disk refuses the key or the reserve: try again once there is room
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC' && (await spaceReturned(publisher)))
          record(publisher, router, opts, attempt);
      },
    );
  }

  function takePrepared(publisher: Publisher): Promise<RecorderInput | null> | undefined {
    const input = prepared.get(publisher);
    prepared.delete(publisher);
    return input;
  }

  /** resolves true once the vault has RECORDINGS_MIN_FREE_MB free, false if the stream ended first */
  function spaceReturned(publisher: Publisher): Promise<boolean> {
    const wanted = config.RECORDINGS_MIN_FREE_MB * 1024 * 1024;
    const wait = (async () => {
      while (!publisher.closed && !closing) {
        const fs = await statfs(config.VAULT_DIR).catch(() => null);
        if (fs && fs.bavail * fs.bsize >= wanted) return !publisher.closed && !closing;
        await new Promise((r) => setTimeout(r, SPACE_POLL_MS).unref());
      }
      return false;
    })();
    return track(wait);
  }

  return {
    prepare,
    record,
    active: () =>
      [...running].map((r) => ({
        deviceId: r.deviceId,
        recordingId: r.recordingId,
        ffmpegPid: r.ffmpegPid ?? null,
        plaintextBytes: r.plaintextBytes,
      })),
    finished: () => [...finished],
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      closing = true;
      await Promise.allSettled([...running].map((r) => r.stop({ fast: true, cut: 'sfu_restart' })));
      await this.drain();
      await ctx.close();
    },
  };
}
