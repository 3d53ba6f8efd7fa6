/**
 * Typed access to @roamhq/wrtc (libwebrtc for Node, no TypeScript types of its own): the peer
 * connection plus the nonstandard sources and sinks that turn generated I420 frames into a real
 * VP8 stream and decoded frames back into pixels.
 */
import { createRequire } from 'node:module';

export interface I420Frame {
  width: number;
  height: number;
  data: Uint8ClampedArray;
  rotation?: number;
}

export interface WrtcTrack {
  readonly kind: string;
  stop(): void;
}

export interface WrtcVideoSource {
  createTrack(): WrtcTrack;
  onFrame(frame: I420Frame): void;
}

export interface WrtcAudioSource {
  createTrack(): WrtcTrack;
  onData(data: {
    samples: Int16Array;
    sampleRate: number;
    bitsPerSample?: number;
    channelCount?: number;
    numberOfFrames?: number;
  }): void;
}

export interface WrtcVideoSink {
  onframe: ((e: { frame: I420Frame }) => void) | null;
  stop(): void;
}

export interface WrtcPeerConnection {
  readonly connectionState: string;
  readonly iceConnectionState: string;
  readonly iceGatheringState: string;
  readonly localDescription: { type: string; sdp: string } | null;
  onconnectionstatechange: (() => void) | null;
  onicegatheringstatechange: (() => void) | null;
  ontrack: ((e: { track: WrtcTrack; streams: unknown[] }) => void) | null;
  onicecandidate: ((e: { candidate: { candidate: string } | null }) => void) | null;
  addTrack(track: WrtcTrack, ...streams: unknown[]): unknown;
  addTransceiver(
    trackOrKind: WrtcTrack | string,
    init?: { direction?: string; streams?: unknown[]; sendEncodings?: unknown[] },
  ): unknown;
  createOffer(): Promise<{ type: string; sdp: string }>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  addIceCandidate(c: unknown): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
}

export interface Wrtc {
  RTCPeerConnection: new (config?: { iceServers?: unknown[]; bundlePolicy?: string }) => WrtcPeerConnection;
  MediaStream: new (tracks?: WrtcTrack[]) => unknown;
  nonstandard: {
    RTCVideoSource: new (init?: { isScreencast?: boolean }) => WrtcVideoSource;
    RTCAudioSource: new () => WrtcAudioSource;
    RTCVideoSink: new (track: WrtcTrack) => WrtcVideoSink;
  };
}

let cached: Wrtc | undefined;

/** Loads the native module on first use, so importing the simulator costs nothing without video. */
export function wrtc(): Wrtc {
  cached ??= createRequire(import.meta.url)('@roamhq/wrtc') as Wrtc;
  return cached;
}
