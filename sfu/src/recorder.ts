/**
 * The live recorder of one published stream (issue 6): each producer (video, audio) is consumed
 * through its own PlainTransport (loopback, rtcp-mux, comedia off) into one ffmpeg that remuxes the
 * RTP, without transcoding, to a live WebM/Matroska on its stdout; those bytes go straight into the
 * vault's recording writer, so plaintext is never written to disk. At the start keyframes are asked
 * for until ffmpeg has produced output, so the file opens with a decodable picture. ffmpeg and the
 * consumers start before the row and the key are made, so little of a burst is lost.
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
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CutReason } from '@lagebild/protocol';
import { allowedPrerecordS, type RecordingSession, startRecordingSession } from '@lagebild/recordings';
import type { types } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { matroskaSpan } from './matroska-span.ts';
import type { Publisher } from './publisher.ts';
import type { RecorderContext } from './recorder-context.ts';
import { ffmpegArgs, type RecorderTrack, recorderContainer, recorderSdp } from './recorder-sdp.ts';
import { boundByFile, recordedTiming, type TrackClock, trackClock } from './recorder-timing.ts';

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

const LOOPBACK = '127.0.0.1';
const KEYFRAME_RETRY_MS = 500;
/** how often a settled track's forwarded packets are counted (the precision of `stoppedAt`) */
const STATS_POLL_MS = 100;
/** ffmpeg's output quiet this long after a stop: it has caught up with its input (2 × its cluster time) */
const DRAIN_QUIET_MS = 500;

/** An even UDP port whose successor is free too (ffmpeg binds RTP on p and RTCP on p + 1). */
async function freeRtpPort(): Promise<number> {
  const bind = (port: number) =>
    new Promise<ReturnType<typeof createSocket> | null>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(null));
      s.bind(port, LOOPBACK, () => resolve(s));
    });
  for (let i = 0; i < 50; i++) {
    const a = await bind(0);
    if (!a) continue;
    const p = a.address().port;
    const b = p % 2 === 0 ? await bind(p + 1) : null;
    a.close();
    b?.close();
    if (b) return p;
  }
  throw new Error('no free RTP port pair on loopback');
}

/** The router's codecs without RTX: ffmpeg sends no NACKs, so retransmission streams are useless. */
function recorderCaps(router: types.Router): types.RtpCapabilities {
  return {
    codecs: (router.rtpCapabilities.codecs ?? []).filter((c) => !/\/rtx$/i.test(c.mimeType)),
    headerExtensions: [],
  };
}

interface FfmpegWatch {
  /** the last lines of its stderr */
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Listens to ffmpeg from its spawn on: it starts before the session exists and may fail meanwhile. */
function watchFfmpeg(ff: ChildProcess): FfmpegWatch {
  const stderr: string[] = [];
  ff.stderr!.setEncoding('utf8');
  ff.stderr!.on('data', (s: string) => {
    stderr.push(...s.split('\n').filter(Boolean));
    if (stderr.length > 20) stderr.splice(0, stderr.length - 20);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    ff.once('error', (err) => {
      stderr.push(`spawn failed: ${err.message}`);
      resolve({ code: null, signal: null });
    });
    ff.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { stderr, exited };
}

export class LiveRecorder extends EventEmitter<RecorderEvents> {
  readonly deviceId: string;
  readonly tenantId: string;
  readonly session: RecordingSession;
  readonly done: Promise<RecorderResult>;
  readonly #ffmpeg: ChildProcess;
  readonly #transports: types.PlainTransport[];
  readonly #consumers: types.Consumer[];
  readonly #clocks: TrackClock[];
  readonly #allowedPrerecordS: number;
  readonly #streamAt: number;
  readonly #polls: Map<types.Consumer, NodeJS.Timeout>;
  readonly #log: Logger;
  readonly #config: SfuConfig;
  #stopRequested = false;
  #cut: CutReason | null = null;
  #stoppedAt = 0;
  #firstOutput = false;
  /** when ffmpeg last wrote to its stdout (ms), to know when it has caught up after a stop */
  #lastOutputAt = 0;
  /** the media span of what ffmpeg wrote, i.e. of what the recording holds */
  readonly #fileSpan = matroskaSpan();

  private constructor(o: {
    publisher: Publisher;
    session: RecordingSession;
    ffmpeg: ChildProcess;
    transports: types.PlainTransport[];
    consumers: types.Consumer[];
    clocks: TrackClock[];
    polls: Map<types.Consumer, NodeJS.Timeout>;
    streamAt: number;
    allowedPrerecordS: number;
    ctx: RecorderContext;
    config: SfuConfig;
    log: Logger;
    sdpDir: string;
    watch: FfmpegWatch;
  }) {
    super();
    this.deviceId = o.publisher.deviceId;
    this.tenantId = o.publisher.tenantId;
    this.session = o.session;
    this.#ffmpeg = o.ffmpeg;
    this.#transports = o.transports;
    this.#consumers = o.consumers;
    this.#clocks = o.clocks;
    this.#allowedPrerecordS = o.allowedPrerecordS;
    this.#streamAt = o.streamAt;
    this.#polls = o.polls;
    this.#log = o.log;
    this.#config = o.config;
    this.done = this.#run(o.ctx, o.sdpDir, o.watch);
    this.done.then((r) => this.emit('done', r)).catch(() => {});
  }

  get recordingId(): string {
    return this.session.id;
  }

  get ffmpegPid(): number | undefined {
    return this.#ffmpeg.pid;
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
  }): Promise<LiveRecorder> {
    const { publisher, router, ctx, config } = o;
    // a recorder starts when the stream's first packet reaches its producer (RC1): the publish
    const streamAt = Date.now();
    const keyring = await ctx.keyring();
    const caps = recorderCaps(router);
    const transports: types.PlainTransport[] = [];
    const consumers: types.Consumer[] = [];
    const tracks: RecorderTrack[] = [];
    const clocks: TrackClock[] = [];
    // once a track's clock has settled, its packets are counted from the consumer's stats
    const polls = new Map<types.Consumer, NodeJS.Timeout>();
    const followStats = (consumer: types.Consumer, clock: TrackClock) => {
      let sent = -1;
      polls.set(
        consumer,
        setInterval(() => {
          if (consumer.closed) return clearInterval(polls.get(consumer));
          consumer.getStats().then(
            (stats) => {
              const n = stats.reduce((a, s) => a + (s.type === 'outbound-rtp' ? s.packetCount : 0), 0);
              if (n !== sent && sent >= 0) clock.touch(Date.now());
              sent = n;
            },
            () => {},
          );
        }, STATS_POLL_MS).unref(),
      );
      consumer.enableTraceEvent([]).catch(() => {});
    };
    let sdpDir: string | null = null;
    let ffmpeg: ChildProcess | null = null;
    try {
      for (const producer of [...publisher.producers, ...publisher.recordedExtras]) {
        const port = await freeRtpPort();
        const transport = await router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: LOOPBACK },
          rtcpMux: true,
          comedia: false,
          appData: { recorder: publisher.deviceId },
        });
        transports.push(transport);
        await transport.connect({ ip: LOOPBACK, port });
        const consumer = await transport.consume({
          producerId: producer.id,
          rtpCapabilities: caps,
          paused: true,
        });
        consumers.push(consumer);
        tracks.push({ kind: consumer.kind, port, rtpParameters: consumer.rtpParameters });
        // what the recording holds is timed from the packets forwarded to ffmpeg (their RTP
        // timestamps against the worker's clock), not from when the recorder started
        const clock = trackClock(consumer.rtpParameters.codecs[0]?.clockRate ?? 90_000);
        clocks.push(clock);
        consumer.on('trace', (t) => {
          const ts = (t.info as { rtpPacket?: { timestamp?: number } } | undefined)?.rtpPacket?.timestamp;
          if (t.type !== 'rtp' || t.direction !== 'out' || typeof ts !== 'number') return;
          clock.packet(ts, t.timestamp, Date.now());
          if (clock.settled && !polls.has(consumer)) followStats(consumer, clock);
        });
        await consumer.enableTraceEvent(['rtp']);
      }
      const container = recorderContainer(tracks);
      sdpDir = await mkdtemp(join(tmpdir(), 'lagebild-recorder-'));
      const sdpFile = join(sdpDir, 'in.sdp');
      await writeFile(sdpFile, recorderSdp(tracks), { mode: 0o600 });
      // ffmpeg and the consumers start before the row, the key and the audit entry are made: a
      // camera sending its pre-recording buffer faster than real time would otherwise lose what it
      // sends meanwhile (issue 13). What ffmpeg writes waits in the pipe until the session reads it.
      const ff = spawn(config.FFMPEG_BIN, ffmpegArgs(sdpFile, container), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      ffmpeg = ff;
      const watch = watchFfmpeg(ff);
      // ffmpeg binds its RTP ports within a few ms of starting
      setTimeout(() => {
        for (const c of consumers) if (!c.closed && c.paused) c.resume().catch(() => {});
        const video = consumers.find((c) => c.kind === 'video' && !c.closed);
        video?.requestKeyFrame().catch(() => {});
      }, 100).unref();
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
        mediaType: container.mediaType,
        segmentMs: config.SFU_RECORD_SEGMENT_MS,
        chunkSize: config.SFU_RECORD_CHUNK_BYTES,
        reserveBytes: RESERVE_BYTES,
        auditStart: true,
      });
      await ctx.journal.add(session.id, publisher.tenantId);
      const log = o.log.child({
        deviceId: publisher.deviceId,
        recordingId: session.id,
        ffmpegPid: ff.pid,
      });
      const rec = new LiveRecorder({
        publisher,
        session,
        ffmpeg: ff,
        transports,
        consumers,
        clocks,
        polls,
        streamAt,
        allowedPrerecordS: allowed,
        ctx,
        config,
        log,
        sdpDir,
        watch,
      });
      rec.#kickOff();
      log.info({ container: container.format, tracks: tracks.map((t) => t.kind) }, 'recording started');
      return rec;
    } catch (err) {
      for (const t of polls.values()) clearInterval(t);
      ffmpeg?.kill('SIGKILL');
      for (const t of transports) t.close();
      if (sdpDir) await rm(sdpDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Resume the consumers and ask for keyframes until ffmpeg has written its first bytes. */
  #kickOff(): void {
    const video = this.#consumers.find((c) => c.kind === 'video');
    let tries = 0;
    const tick = async () => {
      if (this.#firstOutput || this.#stopRequested || tries++ > 40) return;
      try {
        for (const c of this.#consumers) if (c.paused && !c.closed) await c.resume();
        if (video && !video.closed) await video.requestKeyFrame();
      } catch {
        // the stream may have ended meanwhile; stop() deals with that
      }
      setTimeout(tick, KEYFRAME_RETRY_MS).unref();
    };
    // ffmpeg binds its RTP ports within a few ms of starting; the first request may still be early
    setTimeout(tick, 150).unref();
  }

  async #run(ctx: RecorderContext, sdpDir: string, watch: FfmpegWatch): Promise<RecorderResult> {
    const ff = this.#ffmpeg;
    const { stderr, exited } = watch;
    let writeError: Error | null = null;
    try {
      for await (const chunk of ff.stdout!) {
        this.#firstOutput = true;
        this.#lastOutputAt = Date.now();
        this.#fileSpan.push(chunk as Buffer);
        await this.session.writer.write(chunk as Buffer);
      }
    } catch (err) {
      writeError = err as Error;
      ff.kill('SIGKILL');
    }
    const { code, signal } = await exited;
    for (const t of this.#polls.values()) clearInterval(t);
    for (const t of this.#transports) t.close();
    await rm(sdpDir, { recursive: true, force: true });
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
        this.#clocks.map((c) => c.result()),
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
   * The stream ended: let ffmpeg finish the container, then seal. Once ffmpeg's output has been
   * quiet for DRAIN_QUIET_MS (it has read and muxed what the consumers sent, also when it lagged
   * behind), one SIGINT: ffmpeg notes it between packets, but none come any more, so it finishes when
   * its RTP read times out (10 s, ffmpeg's own), losing nothing. A second SIGINT interrupts the blocked read at once, but the muxer's open
   * cluster (≤ 250 ms) is lost with it: used on shutdown (`fast`) and as the fallback after
   * SFU_RECORD_STOP_TIMEOUT_MS; SIGKILL 3 s after that. With `cut` the stream goes on elsewhere (its
   * worker died, the SFU shuts down): the recording is sealed as a prefix (issue 14).
   */
  stop(opts: { fast?: boolean; cut?: CutReason } = {}): Promise<RecorderResult> {
    const ff = this.#ffmpeg;
    if (opts.cut && !this.#stopRequested) this.#cut = opts.cut;
    const running = () => ff.exitCode === null && ff.signalCode === null;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) =>
      timers.push(setTimeout(() => running() && fn(), ms).unref());
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#stoppedAt = Date.now();
      for (const c of this.#consumers) if (!c.closed) c.close();
      if (running()) {
        const graceMs = opts.fast ? 100 : this.#config.SFU_RECORD_STOP_TIMEOUT_MS;
        if (opts.fast) ff.kill('SIGINT');
        else {
          // ffmpeg stops reading at SIGINT: packets it has not read yet (it lags behind on a busy
          // machine) would be lost from the end of the video. Wait until its output has been quiet
          // for two clusters, i.e. it has muxed everything the consumers sent, then interrupt it.
          const stopAt = Date.now();
          const drained = setInterval(() => {
            const now = Date.now();
            if (now - stopAt < DRAIN_QUIET_MS || now - this.#lastOutputAt < DRAIN_QUIET_MS) return;
            clearInterval(drained);
            if (running()) ff.kill('SIGINT');
          }, 50);
          drained.unref();
          timers.push(drained);
        }
        later(graceMs, () => ff.kill('SIGINT'));
        later(graceMs + 3000, () => ff.kill('SIGKILL'));
      }
    } else if (opts.fast && running()) {
      ff.kill('SIGINT');
      later(3000, () => ff.kill('SIGKILL'));
    }
    this.done
      .finally(() => {
        for (const t of timers) clearTimeout(t);
      })
      .catch(() => {});
    return this.done;
  }
}
