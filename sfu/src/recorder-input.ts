/**
 * The recorder's input (issue 13): per recorded producer a paused consumer on a loopback
 * PlainTransport, one ffmpeg listening for their RTP, and the clocks that time what is forwarded.
 *
 * It is prepared as soon as a publisher is adopted (the WHIP answer), not when its first packet
 * arrives: a camera opens its stream with its pre-recording buffer, sent faster than real time, and
 * everything it sends before the consumers forward into a listening ffmpeg is lost. Starting ffmpeg
 * takes 0.1 s on a quiet machine and more than a second on a loaded one, i.e. up to several seconds
 * of a buffer at 2× real time. The consumers are resumed only once ffmpeg has bound its ports (seen in
 * /proc/net/udp): before that, the kernel drops what they send.
 *
 * Timing: the consumers' RTCP goes to a socket that drops it; ffmpeg gets the recorder's own sender
 * reports instead (recorder-sender-report.ts), one straight line per track from its first forwarded
 * packet, so a buffer sent faster than real time keeps its timestamps in the file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { types } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import type { Publisher } from './publisher.ts';
import {
  ffmpegArgs,
  type RecorderContainer,
  type RecorderTrack,
  recorderContainer,
  recorderSdp,
} from './recorder-sdp.ts';
import { bye, rtpTimestampAt, senderReport, type TrackAnchor } from './recorder-sender-report.ts';
import { type TrackClock, trackClock } from './recorder-timing.ts';

const LOOPBACK = '127.0.0.1';
/** how often a settled track's forwarded packets are counted (the precision of `stoppedAt`) */
const STATS_POLL_MS = 100;
/** how often /proc/net/udp is read while ffmpeg starts, and how long at most */
const BIND_POLL_MS = 10;
const BIND_WAIT_MS = 5000;
/** how often each track's sender report is repeated (ffmpeg needs one; more survive a lost datagram) */
const SENDER_REPORT_MS = 1000;

export interface FfmpegWatch {
  /** the last lines of its stderr */
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RecorderInput {
  readonly ffmpeg: ChildProcess;
  readonly watch: FfmpegWatch;
  readonly transports: types.PlainTransport[];
  readonly consumers: types.Consumer[];
  readonly clocks: TrackClock[];
  /** per consumer, the stats poll that follows a settled clock */
  readonly container: RecorderContainer;
  /** resolves once ffmpeg listens on every RTP port (or after BIND_WAIT_MS, when it may still) */
  readonly listening: Promise<boolean>;
  /** ffmpeg still runs (a prepared input whose publisher took long may have timed out) */
  readonly alive: boolean;
  /** the tracks it was made for: a publisher that gained a track since needs a new input */
  covers(publisher: Publisher): boolean;
  /**
   * the stream has ended and its last packets were forwarded: one RTCP BYE per track, after which
   * ffmpeg ends its input like a file's end, writes everything it holds and its trailer, exits 0
   */
  end(): void;
  /**
   * stops ffmpeg if it still runs (an input that never became a recording, or one that failed)
   * and closes the consumers, reports and ffmpeg's SDP
   */
  close(): Promise<void>;
}

/** An even UDP port whose successor is free too (ffmpeg binds RTP on p and RTCP on p + 1). */
/**
 * The ports the recorder's PlainTransports take on loopback: below the kernel's ephemeral range, so a
 * port the kernel hands out (ffmpeg's, probed by `freeRtpPort`, or any other program's) is never also
 * picked by mediasoup, which would otherwise choose from 10000–59999 across that range.
 */
export function plainTransportPorts(ephemeral = readEphemeralRange()): { min: number; max: number } {
  const below = (ephemeral?.min ?? 32768) - 1;
  return below >= 11_000 ? { min: 10_000, max: below } : { min: 10_000, max: 59_999 };
}

function readEphemeralRange(): { min: number; max: number } | null {
  try {
    const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(min) && Number.isInteger(max) ? { min: min!, max: max! } : null;
  } catch {
    return null;
  }
}

const PLAIN_PORTS = plainTransportPorts();

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

/** The local UDP ports bound on this machine (IPv4) and their sockets' inodes, from /proc/net/udp. */
export async function boundUdpPorts(): Promise<Map<number, string> | null> {
  const text = await readFile('/proc/net/udp', 'utf8').catch(() => null);
  if (text === null) return null;
  const ports = new Map<number, string>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const port = cols[1]?.split(':')[1];
    if (port && cols[9]) ports.set(Number.parseInt(port, 16), cols[9]);
  }
  return ports;
}

/** The inodes of the sockets a process holds, from /proc/<pid>/fd. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  return inodes;
}

/**
 * Resolves true once ffmpeg itself holds every port (another socket may have taken one between
 * the check that it was free and ffmpeg's bind: then ffmpeg exits with "bind failed"), false when
 * ffmpeg exited first; true after BIND_WAIT_MS or where /proc cannot be read (it may still start).
 */
async function listeningOn(ports: number[], ff: ChildProcess): Promise<boolean> {
  const until = Date.now() + BIND_WAIT_MS;
  const running = () => ff.exitCode === null && ff.signalCode === null;
  while (Date.now() < until && running()) {
    const bound = await boundUdpPorts();
    if (!bound || !ff.pid) return true;
    if (ports.every((p) => bound.has(p))) {
      const own = await socketInodes(ff.pid);
      if (ports.every((p) => own.has(bound.get(p)!))) return true;
    }
    await new Promise((r) => setTimeout(r, BIND_POLL_MS).unref());
  }
  return running();
}

/** The router's codecs without RTX: ffmpeg sends no NACKs, so retransmission streams are useless. */
function recorderCaps(router: types.Router): types.RtpCapabilities {
  return {
    codecs: (router.rtpCapabilities.codecs ?? []).filter((c) => !/\/rtx$/i.test(c.mimeType)),
    headerExtensions: [],
  };
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

/** how often an input is made again when another socket took one of ffmpeg's ports first */
const BIND_ATTEMPTS = 3;

/**
 * Consumers (paused), ffmpeg and clocks for a publisher's producers and its recorded extras,
 * resolved once ffmpeg listens. A port picked as free can be taken by another socket before ffmpeg
 * binds it (ffmpeg then exits: "bind failed"); the input is then made again with new ports, before
 * any recording exists (a soak saw it cut one recording of 62).
 */
export async function prepareRecorderInput(o: {
  publisher: Publisher;
  router: types.Router;
  config: SfuConfig;
}): Promise<RecorderInput> {
  for (let attempt = 1; ; attempt++) {
    const input = await prepareOnce(o);
    if ((await input.listening) || attempt >= BIND_ATTEMPTS) return input;
    await input.close();
  }
}

async function prepareOnce(o: {
  publisher: Publisher;
  router: types.Router;
  config: SfuConfig;
}): Promise<RecorderInput> {
  const { publisher, router, config } = o;
  const producers = [...publisher.producers, ...publisher.recordedExtras];
  const caps = recorderCaps(router);
  const transports: types.PlainTransport[] = [];
  const consumers: types.Consumer[] = [];
  const tracks: RecorderTrack[] = [];
  const clocks: TrackClock[] = [];
  const polls = new Map<types.Consumer, NodeJS.Timeout>();
  // once a track's clock has settled, its packets are counted from the consumer's stats
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
  // the consumers' RTCP ends here; the recorder's sender reports leave from here
  const rtcp = createSocket('udp4');
  rtcp.on('message', () => {});
  rtcp.on('error', () => {});
  await new Promise<void>((resolve) => rtcp.bind(0, LOOPBACK, resolve));
  const reports: NodeJS.Timeout[] = [];
  const byes: (() => void)[] = [];
  let released = false;
  const send = (packet: Buffer, port: number) => {
    if (!released) rtcp.send(packet, port, LOOPBACK, () => {});
  };
  const release = async () => {
    if (released) return;
    released = true;
    for (const t of polls.values()) clearInterval(t);
    for (const t of reports) clearInterval(t);
    rtcp.close();
    ffmpeg?.kill('SIGKILL');
    for (const t of transports) t.close();
    if (sdpDir) await rm(sdpDir, { recursive: true, force: true });
  };
  try {
    for (const producer of producers) {
      const port = await freeRtpPort();
      const transport = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: LOOPBACK, portRange: PLAIN_PORTS },
        rtcpMux: false,
        comedia: false,
        appData: { recorder: publisher.deviceId },
      });
      transports.push(transport);
      await transport.connect({ ip: LOOPBACK, port, rtcpPort: rtcp.address().port });
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities: caps,
        paused: true,
      });
      consumers.push(consumer);
      tracks.push({ kind: consumer.kind, port, rtpParameters: consumer.rtpParameters });
      // what the recording holds is timed from the packets forwarded to ffmpeg (their RTP
      // timestamps against the worker's clock), not from when the recorder started
      const clockRate = consumer.rtpParameters.codecs[0]?.clockRate ?? 90_000;
      const clock = trackClock(clockRate);
      clocks.push(clock);
      const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc ?? 0;
      let anchor: TrackAnchor | null = null;
      byes.push(() => send(bye(ssrc), port));
      const report = () => {
        if (!anchor) return;
        const wallMs = Date.now();
        const sr = senderReport({ ssrc, wallMs, rtpTimestamp: rtpTimestampAt(anchor, wallMs) });
        send(sr, port);
      };
      consumer.on('trace', (t) => {
        const ts = (t.info as { rtpPacket?: { timestamp?: number } } | undefined)?.rtpPacket?.timestamp;
        if (t.type !== 'rtp' || t.direction !== 'out' || typeof ts !== 'number') return;
        const wallMs = Date.now();
        if (!anchor) {
          anchor = { rtpTimestamp: ts, wallMs, clockRate };
          report();
          reports.push(setInterval(report, SENDER_REPORT_MS).unref());
        }
        clock.packet(ts, t.timestamp, wallMs);
        if (clock.settled && !polls.has(consumer)) followStats(consumer, clock);
      });
      await consumer.enableTraceEvent(['rtp']);
    }
    const container = recorderContainer(tracks);
    sdpDir = await mkdtemp(join(tmpdir(), 'lagebild-recorder-'));
    const sdpFile = join(sdpDir, 'in.sdp');
    await writeFile(sdpFile, recorderSdp(tracks), { mode: 0o600 });
    const ff = spawn(config.FFMPEG_BIN, ffmpegArgs(sdpFile, container), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ffmpeg = ff;
    const watch = watchFfmpeg(ff);
    return {
      ffmpeg: ff,
      watch,
      transports,
      consumers,
      clocks,
      container,
      listening: listeningOn(
        tracks.map((t) => t.port),
        ff,
      ),
      get alive() {
        return ff.exitCode === null && ff.signalCode === null && consumers.every((c) => !c.closed);
      },
      covers: (p) => {
        const now = [...p.producers, ...p.recordedExtras];
        return now.length === producers.length && now.every((x, i) => x === producers[i]);
      },
      end: () => {
        for (const t of reports) clearInterval(t);
        for (const send of byes.splice(0)) send();
      },
      close: release,
    };
  } catch (err) {
    await release();
    throw err;
  }
}
