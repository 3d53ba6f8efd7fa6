/**
 * A simulated body camera with a real pre-recording buffer (issue 13): `camera/prerecord-camera.py`
 * (GStreamer webrtcbin) keeps the last seconds of its encoded video in a ring and, when the button
 * is pressed, publishes over WHIP and sends the ring first with its original timestamps, faster than
 * real time, then live. The simulator's own wrtc cameras cannot: libwebrtc stamps every raw frame
 * with the moment it is handed over. Needs Debian's /usr/bin/python3 with python3-gi and GStreamer.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../camera/prerecord-camera.py', import.meta.url));

export interface PrerecordCameraOptions {
  whipUrl: string;
  token: string;
  /** seconds kept in the ring before the press */
  bufferS: number;
  pressAfterS: number;
  /** how much faster than real time the ring is sent */
  speedup?: number;
  /** seconds of live stream after catching up, then the camera stops (WHIP DELETE) */
  liveS?: number;
  /** also send `lagebild-prerecord-s` with this number (a claim the SFU only audits) */
  declareS?: number;
  python?: string;
}

export type PrerecordCameraEvent = { event: string; wallMs?: number; [k: string]: unknown };

/** Runs the camera to its end; resolves with every event it reported, in order. */
export function runPrerecordCamera(o: PrerecordCameraOptions): Promise<PrerecordCameraEvent[]> {
  const child = spawn(
    o.python ?? '/usr/bin/python3',
    [
      SCRIPT,
      ...['--url', o.whipUrl, '--token', o.token],
      ...['--buffer-s', String(o.bufferS), '--press-after-s', String(o.pressAfterS)],
      ...['--speedup', String(o.speedup ?? 2), '--live-s', String(o.liveS ?? 3)],
      ...(o.declareS ? ['--declare', String(o.declareS)] : []),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const events: PrerecordCameraEvent[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as PrerecordCameraEvent);
    } catch {
      // GStreamer may print to stdout too; only our JSON lines count
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const err = events.find((e) => e.event === 'error');
      if (code !== 0 || err || !events.some((e) => e.event === 'stopped'))
        reject(
          new Error(
            `prerecord camera failed (${code}): ${String(err?.message ?? '')} ${stderr.trim()} events: ${JSON.stringify(events).slice(0, 1500)}`,
          ),
        );
      else resolve(events);
    });
  });
}
