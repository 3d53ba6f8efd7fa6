/**
 * A viewer in Node that behaves like the control room's video tile: mediasoup-client (Chrome111
 * handler) on libwebrtc (wrtc), driven through the SFU's viewer signalling (sfu/SPEC.md). Decoded
 * frames are counted and their wall-clock stamps read back, for latency and liveness assertions.
 */

import { createRequire } from 'node:module';
import type { ConsumeResponse, ViewerSessionResponse } from '@lagebild/protocol';
import { readFrameStamp } from '@lagebild/sim/whip';
import type { types as msc } from 'mediasoup-client';
import { Device } from 'mediasoup-client';

interface Sink {
  onframe: ((e: { frame: { width: number; height: number; data: Uint8Array } }) => void) | null;
  stop(): void;
}
interface WrtcModule {
  RTCPeerConnection: unknown;
  RTCSessionDescription: unknown;
  RTCIceCandidate: unknown;
  MediaStream: unknown;
  MediaStreamTrack: unknown;
  nonstandard: { RTCVideoSink: new (track: unknown) => Sink };
}
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WrtcModule;

export interface ViewerFrame {
  atMs: number;
  /** receive time − stamp drawn by the sender, when the stamp could be read */
  latencyMs: number | null;
  width: number;
  height: number;
}

export interface NodeViewer {
  sessionId: string;
  consumers: msc.Consumer[];
  frames: ViewerFrame[];
  /** resolves when n frames were decoded after the call */
  waitFrames(n: number, timeoutMs?: number): Promise<void>;
  /** set the tile size (the SFU picks simulcast layers / pauses for 0×0) */
  setTile(widthPx: number, heightPx: number): Promise<unknown>;
  close(): Promise<void>;
}

/** `base` is the signalling root, e.g. http://127.0.0.1:3100/sfu/v1 or the gateway's /sfu/v1. */
export async function watchStream(
  base: string,
  token: string,
  extraHeaders: Record<string, string> = {},
): Promise<NodeViewer> {
  const g = globalThis as Record<string, unknown>;
  g.RTCPeerConnection ??= wrtc.RTCPeerConnection;
  g.RTCSessionDescription ??= wrtc.RTCSessionDescription;
  g.RTCIceCandidate ??= wrtc.RTCIceCandidate;
  g.MediaStream ??= wrtc.MediaStream;
  g.MediaStreamTrack ??= wrtc.MediaStreamTrack;

  const call = async <T>(path: string, body?: unknown, method = 'POST'): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...extraHeaders,
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok)
      throw Object.assign(new Error(`${method} ${path} → ${res.status}: ${text}`), { status: res.status });
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const session = await call<ViewerSessionResponse>('/sessions');
  const device = new Device({ handlerName: 'Chrome111' });
  await device.load({
    routerRtpCapabilities: session.routerRtpCapabilities as unknown as msc.RtpCapabilities,
  });
  const transport = device.createRecvTransport({
    id: session.transport.id,
    iceParameters: session.transport.iceParameters as unknown as msc.IceParameters,
    iceCandidates: session.transport.iceCandidates as unknown as msc.IceCandidate[],
    dtlsParameters: session.transport.dtlsParameters as unknown as msc.DtlsParameters,
  });
  transport.on('connect', ({ dtlsParameters }, ok, fail) => {
    call(`/sessions/${session.sessionId}/connect`, { dtlsParameters }).then(() => ok(), fail);
  });
  const { consumers: offered } = await call<ConsumeResponse>(`/sessions/${session.sessionId}/consume`, {
    rtpCapabilities: device.recvRtpCapabilities,
  });
  const frames: ViewerFrame[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const consumers: msc.Consumer[] = [];
  const sinks: Sink[] = [];
  for (const c of offered) {
    const consumer = await transport.consume({
      id: c.id,
      producerId: c.producerId,
      kind: c.kind,
      rtpParameters: c.rtpParameters as unknown as msc.RtpParameters,
    });
    consumers.push(consumer);
    if (c.kind === 'video') {
      const sink = new wrtc.nonstandard.RTCVideoSink(consumer.track);
      sinks.push(sink);
      sink.onframe = ({ frame }) => {
        const now = Date.now();
        const stamp = readFrameStamp(frame.data, frame.width, frame.height, now);
        frames.push({
          atMs: now,
          latencyMs: stamp === null ? null : now - stamp,
          width: frame.width,
          height: frame.height,
        });
        for (const w of [...waiters]) {
          if (frames.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      };
    }
    await call(`/sessions/${session.sessionId}/consumers/${c.id}/resume`);
  }
  const video = offered.find((c) => c.kind === 'video');
  return {
    sessionId: session.sessionId,
    consumers,
    frames,
    waitFrames(n, timeoutMs = 10_000) {
      const target = frames.length + n;
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(new Error(`fewer than ${n} frames within ${timeoutMs} ms (${frames.length} in total)`)),
          timeoutMs,
        );
        waiters.push({
          n: target,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    setTile(widthPx, heightPx) {
      if (!video) throw new Error('no video consumer');
      return call(`/sessions/${session.sessionId}/consumers/${video.id}/layers`, {
        tileWidthPx: widthPx,
        tileHeightPx: heightPx,
      });
    },
    async close() {
      for (const s of sinks) s.stop();
      transport.close();
      await call(`/sessions/${session.sessionId}`, undefined, 'DELETE').catch(() => {});
    },
  };
}
