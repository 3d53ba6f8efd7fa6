/**
 * Drives test/src/gst-whip.py, a WHIP publisher on GStreamer's webrtcbin (issue 16): the third
 * independent WebRTC stack of the suite, beside Chromium and libwebrtc (wrtc). Debian's python3-gi
 * and GStreamer plugins are needed (infra/bin/setup.sh installs them in test mode). `gstPlay` runs
 * the same script as a WHEP player that decodes and counts what it receives.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GST_PYTHON, startJsonLines } from './json-lines-process.ts';

const SCRIPT = fileURLToPath(new URL('./gst-whip.py', import.meta.url));

export interface GstEvent {
  event: 'offer' | 'answer' | 'trickle' | 'ice' | 'connected' | 'error' | 'frame' | 'frames';
  /** `frame`: the kind of the first decoded buffer */
  kind?: 'video' | 'audio';
  /** `frames`: decoded video frames and audio buffers so far */
  video?: number;
  audio?: number;
  status?: number;
  sdp?: string;
  location?: string | null;
  state?: string;
  /** ms since the WHIP 201 arrived */
  ms?: number | null;
  postMs?: number;
  message?: string;
  candidate?: string;
}

export interface GstPublishOptions {
  whipUrl: string;
  token: string;
  bundlePolicy?: 'max-bundle' | 'max-compat';
  video?: 'vp8' | 'h264' | 'none';
  audio?: 'opus' | 'none';
  trickle?: boolean;
  durationS?: number;
}

export interface GstPublisher {
  /** the python process (a test may freeze it with SIGSTOP: a camera gone silent) */
  pid: number;
  events: GstEvent[];
  /** resolves with the first event of that kind; rejects on an `error` event, exit or timeout */
  next(kind: GstEvent['event'], timeoutMs?: number): Promise<GstEvent>;
  stop(): Promise<void>;
}

/** Why GStreamer publishing cannot run here, or null (the suite skips it rather than failing). */
export function gstUnavailable(): string | null {
  const probe = spawnSync(
    GST_PYTHON,
    [
      '-c',
      "import gi; gi.require_version('Gst','1.0'); gi.require_version('GstWebRTC','1.0'); from gi.repository import Gst; Gst.init(None); assert all(Gst.ElementFactory.find(e) for e in ['webrtcbin','vp8enc','opusenc','openh264enc','nicesrc'])",
    ],
    { encoding: 'utf8' },
  );
  return probe.status === 0
    ? null
    : `GStreamer webrtcbin + python3-gi missing: ${probe.stderr.trim().split('\n').at(-1)}`;
}

export interface GstPlayOptions {
  whepUrl: string;
  /** viewer token */
  token: string;
  video?: 'vp8' | 'h264' | 'none';
  audio?: 'opus' | 'none';
  trickle?: boolean;
  durationS?: number;
}

/** A WHEP player on webrtcbin: recvonly offer, every received stream decoded and counted. */
export function gstPlay(opts: GstPlayOptions): GstPublisher {
  return run([
    SCRIPT,
    '--mode',
    'play',
    '--url',
    opts.whepUrl,
    '--token',
    opts.token,
    '--video',
    opts.video ?? 'vp8',
    '--audio',
    opts.audio ?? 'opus',
    '--duration-s',
    String(opts.durationS ?? 60),
    ...(opts.trickle ? ['--trickle'] : []),
  ]);
}

export function gstPublish(opts: GstPublishOptions): GstPublisher {
  return run([
    SCRIPT,
    '--url',
    opts.whipUrl,
    '--token',
    opts.token,
    '--bundle-policy',
    opts.bundlePolicy ?? 'max-bundle',
    '--video',
    opts.video ?? 'vp8',
    '--audio',
    opts.audio ?? 'opus',
    '--duration-s',
    String(opts.durationS ?? 60),
    ...(opts.trickle ? ['--trickle'] : []),
  ]);
}

function run(args: string[]): GstPublisher {
  const p = startJsonLines<GstEvent>('gst-whip.py', args);
  const { child, events } = p;
  return {
    pid: child.pid!,
    events,
    next(kind, timeoutMs = 10_000) {
      return p.waitFor(
        () => {
          const hit = events.find((e) => e.event === kind);
          const err = events.find((e) => e.event === 'error');
          if (!hit && err) throw new Error(`gst-whip.py: ${err.message}`);
          return hit;
        },
        timeoutMs,
        `"${kind}" (events so far: ${events.map((e) => e.event).join(',')})`,
      );
    },
    async stop() {
      if (p.exited()) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGCONT'); // if a test froze it
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}
