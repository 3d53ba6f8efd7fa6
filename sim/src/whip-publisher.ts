/**
 * A simulated camera's live stream: real WebRTC (libwebrtc via wrtc) published with WHIP
 * (RFC 9725). The picture is the unit's test picture with a wall-clock stamp (whip-test-picture.ts),
 * encoded as VP8; optional Opus audio (a quiet tone). Non-trickle: the offer carries the host
 * candidates, which are known at once.
 */
import { PRERECORD_HEADER } from '@lagebild/protocol';
import { createTestPicture, PICTURE_HEIGHT, PICTURE_WIDTH } from './whip-test-picture.ts';
import { type WrtcPeerConnection, type WrtcTrack, wrtc } from './whip-wrtc.ts';

export class WhipError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'WhipError';
    this.status = status;
  }
}

export interface WhipPublisherOptions {
  /** the WHIP endpoint, e.g. http://127.0.0.1:3100/whip/<deviceId> */
  whipUrl: string;
  token: string;
  label: string;
  fps?: number;
  audio?: boolean;
  /**
   * seconds of pre-recording the camera declares (the `lagebild-prerecord-s` header). The SFU
   * audits it as a claim only; the manifest gets what the media's timestamps show (issue 13). The
   * simulator cannot send a past buffer: libwebrtc (@roamhq/wrtc) takes raw frames only and stamps
   * each with the moment it is handed over, so buffered frames would be sent as new ones. Its
   * measured pre-recording is therefore 0 s, whatever it declares. A camera that really sends its
   * buffer: `runPrerecordCamera` (@lagebild/sim/prerecord-camera, GStreamer).
   */
  prerecordS?: number;
  /** called when the connection fails or drops (the owner decides whether to re-publish) */
  onLost?: (state: string) => void;
}

export interface WhipPublisher {
  readonly resourceUrl: string;
  readonly etag: string | null;
  readonly pc: WrtcPeerConnection;
  /** ms from sending the POST to reading its 201 */
  readonly postMs: number;
  /** resolves once ICE+DTLS are up */
  connected(timeoutMs?: number): Promise<void>;
  /** DELETE the resource (best effort) and close the peer connection */
  close(): Promise<void>;
}

function waitGathering(pc: WrtcPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, timeoutMs); // send what we have; the SFU is ICE-lite anyway
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    };
  });
}

/**
 * the camera's peer connection with its sending tracks (test picture, tone); `stop` ends them, the
 * connection and every timer in `timers`
 */
function openCamera(opts: Pick<WhipPublisherOptions, 'label' | 'fps' | 'audio'>): {
  pc: WrtcPeerConnection;
  sendFrame: () => void;
  timers: ReturnType<typeof setInterval>[];
  stop: () => void;
} {
  const w = wrtc();
  const fps = opts.fps ?? 15;
  const pc = new w.RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const tracks: WrtcTrack[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];

  const video = new w.nonstandard.RTCVideoSource();
  const videoTrack = video.createTrack();
  tracks.push(videoTrack);
  const picture = createTestPicture(opts.label);
  const stream = new w.MediaStream();
  pc.addTransceiver(videoTrack, { direction: 'sendonly', streams: [stream] });
  const sendFrame = () =>
    video.onFrame({ width: PICTURE_WIDTH, height: PICTURE_HEIGHT, data: picture.frame(Date.now()) });
  timers.push(setInterval(sendFrame, Math.round(1000 / fps)));

  if (opts.audio ?? true) {
    const audio = new w.nonstandard.RTCAudioSource();
    const audioTrack = audio.createTrack();
    tracks.push(audioTrack);
    pc.addTransceiver(audioTrack, { direction: 'sendonly', streams: [stream] });
    const sampleRate = 48000;
    const samples = new Int16Array(sampleRate / 100);
    let phase = 0;
    timers.push(
      setInterval(() => {
        for (let i = 0; i < samples.length; i++) {
          samples[i] = Math.round(Math.sin(phase) * 800);
          phase += (2 * Math.PI * 440) / sampleRate;
        }
        audio.onData({
          samples,
          sampleRate,
          bitsPerSample: 16,
          channelCount: 1,
          numberOfFrames: samples.length,
        });
      }, 10),
    );
  }

  const stop = () => {
    for (const t of timers) clearInterval(t);
    for (const t of tracks) t.stop();
    pc.onconnectionstatechange = null;
    pc.close();
  };
  return { pc, sendFrame, timers, stop };
}

/**
 * The offer a camera would POST (same tracks, host candidates gathered), without sending it: its
 * peer connection is closed before anyone answers, so whoever POSTs it gets a peer that never
 * connects (the SFU's ghost-publisher tests).
 */
export async function whipOffer(opts: Pick<WhipPublisherOptions, 'label' | 'audio'>): Promise<string> {
  const { pc, stop } = openCamera(opts);
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc, 1000);
    return pc.localDescription!.sdp;
  } finally {
    stop();
  }
}

export async function publishWhip(opts: WhipPublisherOptions): Promise<WhipPublisher> {
  const { pc, sendFrame, timers, stop: stopLocal } = openCamera(opts);
  let resourceUrl: string;
  let etag: string | null;
  let postMs: number;
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc, 1000);
    const t0 = performance.now();
    const res = await fetch(opts.whipUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/sdp',
        authorization: `Bearer ${opts.token}`,
        ...(opts.prerecordS ? { [PRERECORD_HEADER]: String(opts.prerecordS) } : {}),
      },
      body: pc.localDescription!.sdp,
    });
    const text = await res.text();
    postMs = performance.now() - t0;
    if (res.status !== 201)
      throw new WhipError(res.status, `WHIP POST refused (${res.status}): ${text.slice(0, 300)}`);
    const location = res.headers.get('location');
    if (!location) throw new WhipError(502, 'WHIP answer without Location');
    resourceUrl = new URL(location, opts.whipUrl).toString();
    etag = res.headers.get('etag');
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
  } catch (err) {
    stopLocal();
    throw err;
  }
  sendFrame();

  let connectedResolve: (() => void) | undefined;
  const connectedP = new Promise<void>((resolve) => {
    connectedResolve = resolve;
  });
  let lostTimer: ReturnType<typeof setTimeout> | undefined;
  pc.onconnectionstatechange = () => {
    const s = pc.connectionState;
    if (s === 'connected') {
      connectedResolve?.();
      if (lostTimer) clearTimeout(lostTimer);
      lostTimer = undefined;
    } else if (s === 'failed' || s === 'closed') {
      opts.onLost?.(s);
    } else if (s === 'disconnected') {
      // libwebrtc may recover on its own; give it a moment before calling the stream lost
      lostTimer ??= setTimeout(() => opts.onLost?.('disconnected'), 1500);
    }
  };

  // Faster than ICE consent: the SFU sends RTCP at least every second while it receives us; when
  // nothing has come back for silenceMs (worker restarted, SFU gone) the stream is lost.
  const silenceMs = 2000;
  let lastRx = Date.now();
  let lastBytes = -1;
  let reported = false;
  const watchdog = setInterval(() => {
    if (pc.connectionState !== 'connected') return;
    pc.getStats().then(
      (stats) => {
        let bytes = 0;
        for (const r of stats.values()) {
          if (r.type === 'transport' && typeof r.bytesReceived === 'number') bytes += r.bytesReceived;
        }
        const now = Date.now();
        if (bytes !== lastBytes) {
          lastBytes = bytes;
          lastRx = now;
        } else if (now - lastRx > silenceMs && !reported) {
          reported = true;
          opts.onLost?.('silent');
        }
      },
      () => {},
    );
  }, 500);
  timers.push(watchdog);

  let closed = false;
  return {
    resourceUrl,
    etag,
    pc,
    postMs,
    connected(timeoutMs = 10_000) {
      if (pc.connectionState === 'connected') return Promise.resolve();
      return Promise.race([
        connectedP,
        new Promise<void>((_, reject) =>
          setTimeout(
            () => reject(new Error(`WHIP peer not connected within ${timeoutMs} ms (${pc.connectionState})`)),
            timeoutMs,
          ),
        ),
      ]);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (lostTimer) clearTimeout(lostTimer);
      // DELETE first: closing the peer first would make the SFU see a DTLS close and end it anyway
      await fetch(resourceUrl, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${opts.token}` },
      }).catch(() => {});
      stopLocal();
    },
  };
}
