/**
 * The live recorder of one published stream (issue 6): each producer (video, audio) is consumed
 * through its own PlainTransport (loopback, comedia off, RTCP replaced by the recorder's own sender
 * reports: recorder-sender-report.ts) into one ffmpeg that remuxes the
 * RTP, without transcoding, to a live WebM/Matroska on its stdout; those bytes go straight into the
 * vault's recording writer, so plaintext is never written to disk. At the start keyframes are asked
 * for until ffmpeg has produced output, so the file opens with a decodable picture. ffmpeg and the
 * consumers (recorder-input.ts) are made when the publisher is adopted, before its media arrives, and
 * forward as soon as it does, before the row and the key are made: a pre-recording burst is kept.
 *
 * Timing (issue 13): the manifest's start, stop and pre-recorded seconds are measured from the
 * packets forwarded to ffmpeg (recorder-timing.ts), never taken from the device's declaration.
 *
 * Ending: `stop()` (the stream ended) closes the consumers, lets ffmpeg finish its container (SIGINT),
 * then seals: signed manifest, Recording row `complete`, audit. A recording cut while its stream goes
 * on (issue 14) is sealed as a prefix, row `incomplete` with the reason: ffmpeg died (`ffmpeg_exit`),
 * the worker died or the SFU shut down (`stop({ cut })`), or a write failed (`disk_full` on ENOSPC,
 * `write_failed`; then sealed from what is on disk, its reserve making room for the manifest). Only
 * a recording that never got a byte from ffmpeg stays unsealed.
 */
import { EventEmitter } from 'node:events';
import type { CutReason } from '@lagebild/protocol';
import { allowedPrerecordS, type RecordingSession, startRecordingSession } from '@lagebild/recordings';
import type { types } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { matroskaSpan } from './matroska-span.ts';
import type { Publisher } from './publisher.ts';
import type { RecorderContext } from './recorder-context.ts';
import { prepareRecorderInput, type RecorderInput } from './recorder-input.ts';
import { boundByFile, recordedTiming } from './recorder-timing.ts';

export interface RecorderResult {
  recordingId: string;
  deviceId: string;
  complete: boolean;
  /** sealed as a prefix of a stream that went on, and why (issue 14) */
  cut: CutReason | null;
  bytes: number;
  reason: string;
}

/**
 * Disk held back per live recording (`reserve.bin`), released to write the manifest of a prefix when
 * the disk is full: a manifest grows by ~150 bytes per segment, so 256 KiB covers ~1,700 segments
 * (almost 2 h at SFU_RECORD_SEGMENT_MS 4 s).
 */
const RESERVE_BYTES = 256 * 1024;

interface RecorderEvents {
  done: [RecorderResult];
}

const KEYFRAME_RETRY_MS = 500;
/** after the consumers close, the worker may still send what it had: the BYEs follow after this */
const BYE_AFTER_MS = 200;

/** Resume the consumers and ask for a keyframe (the stream may have ended meanwhile: stop() deals with that). */
function openInput(input: Pick<RecorderInput, 'consumers'>): void {
  void (async () => {
    for (const c of input.consumers) if (c.paused && !c.closed) await c.resume();
    const video = input.consumers.find((c) => c.kind === 'video' && !c.closed);
    await video?.requestKeyFrame();
  })().catch(() => {});
}

export class LiveRecorder extends EventEmitter<RecorderEvents> {
  readonly deviceId: string;
  readonly tenantId: string;
  readonly session: RecordingSession;
  readonly done: Promise<RecorderResult>;
  /** its consumers, clocks and ffmpeg */
  readonly #input: RecorderInput;
  readonly #allowedPrerecordS: number;
  readonly #streamAt: number;
  readonly #log: Logger;
  readonly #config: SfuConfig;
  #stopRequested = false;
  #cut: CutReason | null = null;
  #stoppedAt = 0;
  #firstOutput = false;
  /** the media span of what ffmpeg wrote, i.e. of what the recording holds */
  readonly #fileSpan = matroskaSpan();

  private constructor(o: {
    publisher: Publisher;
    session: RecordingSession;
    input: RecorderInput;
    streamAt: number;
    allowedPrerecordS: number;
    ctx: RecorderContext;
    config: SfuConfig;
    log: Logger;
  }) {
    super();
    this.deviceId = o.publisher.deviceId;
    this.tenantId = o.publisher.tenantId;
    this.session = o.session;
    this.#input = o.input;
    this.#allowedPrerecordS = o.allowedPrerecordS;
    this.#streamAt = o.streamAt;
    this.#log = o.log;
    this.#config = o.config;
    this.done = this.#run(o.ctx);
    this.done.then((r) => this.emit('done', r)).catch(() => {});
    this.#kickOff();
  }

  get recordingId(): string {
    return this.session.id;
  }

  get ffmpegPid(): number | undefined {
    return this.#input.ffmpeg.pid;
  }

  get plaintextBytes(): number {
    return this.session.writer.plaintextBytes;
  }

  static async start(o: {
    publisher: Publisher;
    router: types.Router;
    ctx: RecorderContext;
    config: SfuConfig;
    log: Logger;
    prerecordS?: number;
    /** the input prepared when the publisher was adopted */
    prepared?: Promise<RecorderInput | null>;
  }): Promise<LiveRecorder> {
    const { publisher, router, ctx, config } = o;
    // a recorder starts when the stream's first packet reaches its producer (RC1): the publish
    const streamAt = Date.now();
    // prepared when the publisher was adopted (ffmpeg already listening) unless it has ended since
    let input = await o.prepared?.catch(() => null);
    if (input && !(input.alive && input.covers(publisher))) {
      await input.close();
      input = null;
    }
    input ??= await prepareRecorderInput({ publisher, router, config });
    // the stream is live: forward into ffmpeg as soon as it listens, while the session is made
    const opened = input;
    void opened.listening.then(() => openInput(opened));
    try {
      const keyring = await ctx.keyring();
      // What the device declares is audited as its claim; the manifest gets what the media shows.
      const declaredPrerecordS = o.prerecordS ?? 0;
      const allowed = await allowedPrerecordS(ctx.pool, publisher.tenantId, 120);
      const session = await startRecordingSession({
        pool: ctx.pool,
        store: ctx.store,
        keyring,
        signer: ctx.signer,
        tenantId: publisher.tenantId,
        deviceId: publisher.deviceId,
        startedAt: Date.now(),
        prerecordS: 0,
        declaredPrerecordS,
        mediaType: input.container.mediaType,
        segmentMs: config.SFU_RECORD_SEGMENT_MS,
        chunkSize: config.SFU_RECORD_CHUNK_BYTES,
        reserveBytes: RESERVE_BYTES,
        auditStart: true,
      });
      await ctx.journal.add(session.id, publisher.tenantId);
      const log = o.log.child({
        deviceId: publisher.deviceId,
        recordingId: session.id,
        ffmpegPid: input.ffmpeg.pid,
      });
      const rec = new LiveRecorder({
        publisher,
        session,
        input,
        streamAt,
        allowedPrerecordS: allowed,
        ctx,
        config,
        log,
      });
      log.info(
        { container: input.container.format, tracks: input.consumers.map((c) => c.kind) },
        'recording started',
      );
      return rec;
    } catch (err) {
      await input.close();
      throw err;
    }
  }

  /** Until ffmpeg has written its first bytes, ask for a keyframe again now and then. */
  #kickOff(): void {
    let tries = 0;
    const tick = () => {
      if (this.#firstOutput || this.#stopRequested || tries++ > 40) return;
      openInput(this.#input);
      setTimeout(tick, KEYFRAME_RETRY_MS).unref();
    };
    setTimeout(tick, KEYFRAME_RETRY_MS).unref();
  }

  async #run(ctx: RecorderContext): Promise<RecorderResult> {
    const ff = this.#input.ffmpeg;
    const { stderr, exited } = this.#input.watch;
    let writeError: Error | null = null;
    try {
      for await (const chunk of ff.stdout!) {
        this.#firstOutput = true;
        this.#fileSpan.push(chunk as Buffer);
        await this.session.writer.write(chunk as Buffer);
      }
    } catch (err) {
      writeError = err as Error;
      ff.kill('SIGKILL');
    }
    const { code, signal } = await exited;
    await this.#input.close();
    // ffmpeg answers SIGINT by finishing its container and exiting 255
    const graceful = this.#stopRequested && !writeError && (code === 0 || code === 255);
    const ffmpegEnd = `ffmpeg exited (${signal ?? `code ${code}`}) while the stream was live: ${stderr.slice(-3).join(' | ')}`;
    const cut: CutReason | null = writeError
      ? (writeError as NodeJS.ErrnoException).code === 'ENOSPC'
        ? 'disk_full'
        : 'write_failed'
      : graceful
        ? this.#cut
        : 'ffmpeg_exit';
    const reason =
      writeError?.message ??
      (graceful ? (this.#cut ? `stream cut: ${this.#cut}` : 'stream ended') : ffmpegEnd);
    let complete = false;
    let sealedCut: CutReason | null = null;
    try {
      const clocked = recordedTiming(
        this.#input.clocks.map((c) => c.result()),
        this.#streamAt,
      );
      // never more than the file holds: a finished recording lost at most its start, a cut one its end
      const timing =
        clocked && this.#fileSpan.blocks >= 2
          ? boundByFile(clocked, this.#fileSpan.spanS, this.#streamAt, cut ? 'end' : 'start')
          : clocked;
      if (timing !== clocked)
        this.#log.warn(
          { clockedS: (clocked!.stoppedAt - clocked!.startedAt) / 1000, fileS: this.#fileSpan.spanS },
          'the file holds less media than was forwarded (ffmpeg lost packets): times bounded by the file',
        );
      if (timing && timing.prerecordS > this.#allowedPrerecordS)
        this.#log.warn(
          { prerecordS: timing.prerecordS, allowedS: this.#allowedPrerecordS },
          'device sent more pre-recording than the tenant allows',
        );
      if (!this.#firstOutput || !timing) {
        await this.session.fail(`no media reached the recorder: ${reason}`, {
          stoppedAt: this.#stoppedAt || Date.now(),
        });
      } else if (!cut) {
        await this.session.finish(timing);
        complete = true;
      } else {
        // a prefix: the stream goes on without this recording
        await this.session.cut(cut, reason, writeError ? { ...timing, stoppedAt: undefined } : timing);
        sealedCut = cut;
      }
      await ctx.journal.remove(this.session.id);
    } catch (err) {
      // the row stays `recording`; the journal entry lets the next start seal it from disk
      this.#log.error({ err }, 'recording could not be finished');
    }
    const result: RecorderResult = {
      recordingId: this.session.id,
      deviceId: this.deviceId,
      complete,
      cut: sealedCut ?? (complete ? null : cut),
      bytes: this.plaintextBytes,
      reason,
    };
    if (complete) this.#log.info({ bytes: result.bytes }, 'recording sealed');
    else if (sealedCut) this.#log.warn({ bytes: result.bytes, cut, reason }, 'recording cut: prefix sealed');
    else this.#log.warn({ bytes: result.bytes, reason }, 'recording incomplete');
    return result;
  }

  /**
   * The stream ended: let ffmpeg finish the container, then seal. The consumers close, and
   * BYE_AFTER_MS later (the worker has sent what it had) every track gets an RTCP BYE behind its
   * last packet: ffmpeg reads up to it, also when it lags behind on a busy machine, writes what its
   * muxer still holds (a pre-recording buffer makes a track run seconds ahead of the others) and the
   * trailer, and exits 0 within milliseconds, losing nothing. Fallbacks: SIGINT after
   * SFU_RECORD_STOP_TIMEOUT_MS, a second one (which loses the muxer's queue) 1 s later, SIGKILL 3 s
   * after that. `fast` (shutdown, worker died) sends the BYEs at once and interrupts after 300 ms.
   * With `cut` the stream goes on elsewhere: the recording is sealed as a prefix (issue 14).
   */
  stop(opts: { fast?: boolean; cut?: CutReason } = {}): Promise<RecorderResult> {
    const ff = this.#input.ffmpeg;
    if (opts.cut && !this.#stopRequested) this.#cut = opts.cut;
    const running = () => ff.exitCode === null && ff.signalCode === null;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) =>
      timers.push(setTimeout(() => running() && fn(), ms).unref());
    const interrupt = (afterMs: number) => {
      later(afterMs, () => ff.kill('SIGINT'));
      later(afterMs + 1000, () => ff.kill('SIGINT'));
      later(afterMs + 4000, () => ff.kill('SIGKILL'));
    };
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#stoppedAt = Date.now();
      for (const c of this.#input.consumers) if (!c.closed) c.close();
      if (running()) {
        if (opts.fast) {
          this.#input.end();
          interrupt(300);
        } else {
          later(BYE_AFTER_MS, () => this.#input.end());
          interrupt(this.#config.SFU_RECORD_STOP_TIMEOUT_MS);
        }
      }
    } else if (opts.fast && running()) {
      this.#input.end();
      interrupt(300);
    }
    this.done
      .finally(() => {
        for (const t of timers) clearTimeout(t);
      })
      .catch(() => {});
    return this.done;
  }
}
