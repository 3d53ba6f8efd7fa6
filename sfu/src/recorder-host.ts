/**
 * Records every published stream of this node (a camera publishes over WHIP exactly while it
 * records): a LiveRecorder starts when a publisher is adopted and stops when it closes (unpublished,
 * replaced, timeout, worker died, shutdown). If ffmpeg dies while the stream is still live, the
 * broken recording stays an incomplete prefix and a new recording continues the stream, at most
 * `MAX_RESTARTS` times per stream.
 */
import type { types } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { Publisher } from './publisher.ts';
import { LiveRecorder, type RecorderResult } from './recorder.ts';
import type { RecorderContext } from './recorder-context.ts';

const MAX_RESTARTS = 3;

export interface RecorderView {
  deviceId: string;
  recordingId: string;
  ffmpegPid: number | null;
  plaintextBytes: number;
}

export interface RecorderHost {
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
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };

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
      }),
    );
    started.then(
      (rec) => {
        running.add(rec);
        // rec.done settles once the recording is sealed or failed; its owner is the chain below
        const stop = () => void rec.stop().catch(() => {});
        if (publisher.closed) stop();
        else publisher.once('close', stop);
        track(rec.done)
          .then((result) => {
            running.delete(rec);
            finished.push(result);
            if (finished.length > 100) finished.shift();
            if (!result.complete && !publisher.closed && attempt < MAX_RESTARTS) {
              log.warn(
                { deviceId: publisher.deviceId, attempt: attempt + 1 },
                'recorder restarting for a live stream',
              );
              record(publisher, router, {}, attempt + 1);
            }
          })
          .catch((err) => log.error({ err, deviceId: publisher.deviceId }, 'recording did not finish'));
      },
      (err) => log.error({ err, deviceId: publisher.deviceId }, 'recording could not start'),
    );
  }

  return {
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
      await Promise.allSettled([...running].map((r) => r.stop({ fast: true })));
      await this.drain();
      await ctx.close();
    },
  };
}
