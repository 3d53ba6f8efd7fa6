/**
 * Where the glass-to-glass time of `bench:video` parts 1–2 goes (issue 17), for the SFU path and the
 * direct peer connection alike, measured in the same window:
 *  - per frame, split at the moment its last packet reached Chromium (requestVideoFrameCallback's
 *    `receiveTime`): sender → received (capture, encoder, pacer, network, SFU) and received → shown
 *    (jitter buffer, decoder, compositor);
 *  - Chromium's inbound-rtp of each path over the window (jitter buffer delay and target per frame,
 *    processing and decode time per frame, NACK/PLI, drops) and the negotiated header extensions;
 *  - libwebrtc's outbound-rtp in Node for each sender (encode time per frame, pacer delay per
 *    packet, bitrate, keyframes, NACKs and PLIs received).
 */
import type { Page } from '@playwright/test';

export interface FrameTiming {
  /** sender's stamp → frame shown (glass-to-glass) */
  g2g: number;
  /** sender's stamp → last packet of the frame received by Chromium; null if the browser has no receiveTime */
  toReceive: number | null;
  /** last packet received → frame shown */
  afterReceive: number | null;
}

/** Counters of one receiver, read in the page (RTCInboundRtpStreamStats and friends). */
export interface ReceiverSnapshot {
  jitterBufferDelay: number;
  jitterBufferTargetDelay: number;
  jitterBufferMinimumDelay: number;
  jitterBufferEmittedCount: number;
  totalProcessingDelay: number;
  totalDecodeTime: number;
  totalAssemblyTime: number;
  framesDecoded: number;
  framesDropped: number;
  framesReceived: number;
  keyFramesDecoded: number;
  packetsReceived: number;
  packetsLost: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
  freezeCount: number;
  bytesReceived: number;
  jitter: number;
  frameWidth: number;
  frameHeight: number;
  rttMs: number | null;
  codec: string;
  extensions: string[];
  jitterBufferTarget: number | null;
}

/** Counters of one libwebrtc sender (RTCOutboundRtpStreamStats) in Node. */
export interface SenderSnapshot {
  framesEncoded: number;
  totalEncodeTime: number;
  keyFramesEncoded: number;
  packetsSent: number;
  totalPacketSendDelay: number;
  bytesSent: number;
  nackCount: number;
  pliCount: number;
  retransmittedPacketsSent: number;
  targetBitrate: number | null;
  qualityLimitationReason: string | null;
  frameWidth: number | null;
  encodings: number;
  /** the sender's bandwidth estimate (candidate-pair availableOutgoingBitrate), bit/s */
  availableOutgoingBitrate: number | null;
  /** what the receiver's RTCP receiver reports say (remote-inbound-rtp): loss fraction, lost, RTT */
  remoteFractionLost: number | null;
  remotePacketsLost: number;
  remoteRttMs: number | null;
}

/** What a window of one path comes to. */
export interface PathBreakdown {
  frames: FrameTiming[];
  receiver: { before: ReceiverSnapshot; after: ReceiverSnapshot } | null;
  sender: { before: SenderSnapshot; after: SenderSnapshot } | null;
}

/**
 * In every page of the context: keeps each RTCPeerConnection the page makes (the tile's, made by
 * mediasoup-client, is otherwise out of reach), so a receiver can be found by its track.
 */
export const KEEP_PEER_CONNECTIONS = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig || window.__pcs) return;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Orig {
    constructor(...a) { super(...a); window.__pcs.push(this); }
  };
})();`;

/** Inbound-rtp counters of the receiver whose track plays in the video at `selector`. */
export async function receiverSnapshot(page: Page, selector: string): Promise<ReceiverSnapshot | null> {
  return page.evaluate(async (selector) => {
    const video = document.querySelector<HTMLVideoElement>(selector);
    const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    if (!track) return null;
    const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const transceiver = pc.getTransceivers().find((t) => t.receiver.track === track);
      if (!transceiver) continue;
      const stats = await transceiver.receiver.getStats();
      let inbound: Record<string, unknown> | undefined;
      let codec = '';
      let rttMs: number | null = null;
      for (const r of stats.values() as IterableIterator<Record<string, unknown>>) {
        if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r;
        if (r.type === 'candidate-pair' && r.nominated && typeof r.currentRoundTripTime === 'number')
          rttMs = r.currentRoundTripTime * 1000;
      }
      if (!inbound) return null;
      if (typeof inbound.codecId === 'string') codec = String(stats.get(inbound.codecId)?.mimeType ?? '');
      const sdp = pc.currentLocalDescription?.sdp ?? '';
      const section = sdp
        .split(/\r?\nm=/)
        .find((s) => new RegExp(`\\r?\\na=mid:${transceiver.mid}\\r?(\\n|$)`).test(s));
      const extensions = [...(section ?? '').matchAll(/a=extmap:\d+\S* (\S+)/g)].map((m) =>
        m[1]!.replace(/^.*[/:]/, ''),
      );
      const n = (k: string) => (typeof inbound[k] === 'number' ? (inbound[k] as number) : 0);
      const receiver = transceiver.receiver as RTCRtpReceiver & { jitterBufferTarget?: number | null };
      return {
        jitterBufferDelay: n('jitterBufferDelay'),
        jitterBufferTargetDelay: n('jitterBufferTargetDelay'),
        jitterBufferMinimumDelay: n('jitterBufferMinimumDelay'),
        jitterBufferEmittedCount: n('jitterBufferEmittedCount'),
        totalProcessingDelay: n('totalProcessingDelay'),
        totalDecodeTime: n('totalDecodeTime'),
        totalAssemblyTime: n('totalAssemblyTime'),
        framesDecoded: n('framesDecoded'),
        framesDropped: n('framesDropped'),
        framesReceived: n('framesReceived'),
        keyFramesDecoded: n('keyFramesDecoded'),
        packetsReceived: n('packetsReceived'),
        packetsLost: n('packetsLost'),
        nackCount: n('nackCount'),
        pliCount: n('pliCount'),
        firCount: n('firCount'),
        freezeCount: n('freezeCount'),
        bytesReceived: n('bytesReceived'),
        jitter: n('jitter'),
        frameWidth: n('frameWidth'),
        frameHeight: n('frameHeight'),
        rttMs,
        codec,
        extensions,
        jitterBufferTarget: receiver.jitterBufferTarget ?? null,
      };
    }
    return null;
  }, selector);
}

/** what senderSnapshot needs of a wrtc peer connection */
export interface StatsPc {
  getStats(): Promise<{ values(): IterableIterator<Record<string, unknown>> }>;
}

/** Outbound-rtp video counters of a libwebrtc (wrtc) peer connection, summed over its encodings. */
export async function senderSnapshot(pc: StatsPc): Promise<SenderSnapshot> {
  const stats = await pc.getStats();
  const out: SenderSnapshot = {
    framesEncoded: 0,
    totalEncodeTime: 0,
    keyFramesEncoded: 0,
    packetsSent: 0,
    totalPacketSendDelay: 0,
    bytesSent: 0,
    nackCount: 0,
    pliCount: 0,
    retransmittedPacketsSent: 0,
    targetBitrate: null,
    qualityLimitationReason: null,
    frameWidth: null,
    encodings: 0,
    availableOutgoingBitrate: null,
    remoteFractionLost: null,
    remotePacketsLost: 0,
    remoteRttMs: null,
  };
  for (const r of stats.values()) {
    if (r.type === 'candidate-pair' && typeof r.availableOutgoingBitrate === 'number')
      out.availableOutgoingBitrate = Math.max(out.availableOutgoingBitrate ?? 0, r.availableOutgoingBitrate);
    if (r.type === 'remote-inbound-rtp' && (r.kind ?? r.mediaType) === 'video') {
      if (typeof r.fractionLost === 'number')
        out.remoteFractionLost = Math.max(out.remoteFractionLost ?? 0, r.fractionLost);
      if (typeof r.packetsLost === 'number') out.remotePacketsLost += r.packetsLost;
      if (typeof r.roundTripTime === 'number') out.remoteRttMs = r.roundTripTime * 1000;
    }
    if (r.type !== 'outbound-rtp' || (r.kind ?? r.mediaType) !== 'video') continue;
    const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
    out.encodings++;
    out.framesEncoded += n('framesEncoded');
    out.totalEncodeTime += n('totalEncodeTime');
    out.keyFramesEncoded += n('keyFramesEncoded');
    out.packetsSent += n('packetsSent');
    out.totalPacketSendDelay += n('totalPacketSendDelay');
    out.bytesSent += n('bytesSent');
    out.nackCount += n('nackCount');
    out.pliCount += n('pliCount');
    out.retransmittedPacketsSent += n('retransmittedPacketsSent');
    if (typeof r.targetBitrate === 'number') out.targetBitrate = (out.targetBitrate ?? 0) + r.targetBitrate;
    if (typeof r.qualityLimitationReason === 'string')
      out.qualityLimitationReason = r.qualityLimitationReason;
    if (typeof r.frameWidth === 'number') out.frameWidth = Math.max(out.frameWidth ?? 0, r.frameWidth);
  }
  return out;
}

/** the p-th percentile (nearest rank), null for no samples */
export const pct = (xs: number[], p: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const per = (num: number, den: number, scale = 1000): number | null => (den > 0 ? (num / den) * scale : null);
const r1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
const p50p95 = (xs: number[]) => ({ p50: r1(pct(xs, 50)), p95: r1(pct(xs, 95)) });

/** The window's figures of one path, plain numbers for the JSON and the table. */
export function summarize(path: PathBreakdown, seconds: number) {
  const f = path.frames;
  const toReceive = f.map((x) => x.toReceive).filter((x): x is number => x !== null);
  const afterReceive = f.map((x) => x.afterReceive).filter((x): x is number => x !== null);
  const rx = path.receiver;
  const d = (k: keyof ReceiverSnapshot) => (rx ? (rx.after[k] as number) - (rx.before[k] as number) : 0);
  const tx = path.sender;
  const s = (k: keyof SenderSnapshot) => (tx ? (tx.after[k] as number) - (tx.before[k] as number) : 0);
  return {
    frames: f.length,
    g2g: p50p95(f.map((x) => x.g2g)),
    toReceive: p50p95(toReceive),
    afterReceive: p50p95(afterReceive),
    receiver: rx
      ? {
          jitterBufferMsPerFrame: r1(per(d('jitterBufferDelay'), d('jitterBufferEmittedCount'))),
          jitterBufferTargetMs: r1(per(d('jitterBufferTargetDelay'), d('jitterBufferEmittedCount'))),
          jitterBufferMinimumMs: r1(per(d('jitterBufferMinimumDelay'), d('jitterBufferEmittedCount'))),
          processingMsPerFrame: r1(per(d('totalProcessingDelay'), d('framesDecoded'))),
          decodeMsPerFrame: r1(per(d('totalDecodeTime'), d('framesDecoded'))),
          assemblyMsPerFrame: r1(per(d('totalAssemblyTime'), d('framesDecoded'))),
          fps: r1(d('framesDecoded') / seconds),
          kbps: r1((d('bytesReceived') * 8) / seconds / 1000),
          framesDropped: d('framesDropped'),
          keyFrames: d('keyFramesDecoded'),
          packetsLost: d('packetsLost'),
          nacks: d('nackCount'),
          plis: d('pliCount') + d('firCount'),
          freezes: d('freezeCount'),
          jitterMs: r1(rx.after.jitter * 1000),
          rttMs: r1(rx.after.rttMs),
          size: `${rx.after.frameWidth}×${rx.after.frameHeight}`,
          codec: rx.after.codec,
          extensions: rx.after.extensions,
          jitterBufferTarget: rx.after.jitterBufferTarget,
        }
      : null,
    sender: tx
      ? {
          encodings: tx.after.encodings,
          encodeMsPerFrame: r1(per(s('totalEncodeTime'), s('framesEncoded'))),
          pacerMsPerPacket: r1(per(s('totalPacketSendDelay'), s('packetsSent'))),
          fps: r1(s('framesEncoded') / seconds),
          kbps: r1((s('bytesSent') * 8) / seconds / 1000),
          packetsPerFrame: r1(per(s('packetsSent'), s('framesEncoded'), 1)),
          keyFrames: s('keyFramesEncoded'),
          nacks: s('nackCount'),
          plis: s('pliCount'),
          retransmitted: s('retransmittedPacketsSent'),
          targetKbps: r1(tx.after.targetBitrate === null ? null : tx.after.targetBitrate / 1000),
          estimateKbps: r1(
            tx.after.availableOutgoingBitrate === null ? null : tx.after.availableOutgoingBitrate / 1000,
          ),
          qualityLimitation: tx.after.qualityLimitationReason,
          reportedLossPct: r1(
            tx.after.remoteFractionLost === null ? null : tx.after.remoteFractionLost * 100,
          ),
          reportedLost: s('remotePacketsLost'),
          reportedRttMs: r1(tx.after.remoteRttMs),
          width: tx.after.frameWidth,
        }
      : null,
  };
}

export type PathSummary = ReturnType<typeof summarize>;

/** The breakdown table: one column per path. */
export function formatBreakdown(sfu: PathSummary, direct: PathSummary): string[] {
  const v = (x: unknown) => (x === null || x === undefined ? '—' : String(x));
  const row = (label: string, a: unknown, b: unknown) =>
    `${label.padEnd(44)} ${v(a).padStart(16)} ${v(b).padStart(16)}`;
  const pp = (x: { p50: number | null; p95: number | null }) => `${v(x.p50)} / ${v(x.p95)}`;
  const rx = (p: PathSummary, ...ks: (keyof NonNullable<PathSummary['receiver']>)[]) =>
    ks.map((k) => v(p.receiver?.[k]));
  const tx = (p: PathSummary, ...ks: (keyof NonNullable<PathSummary['sender']>)[]) =>
    ks.map((k) => v(p.sender?.[k]));
  /** one row, the same figures of each path */
  const both = (label: string, cell: (p: PathSummary) => string) => row(label, cell(sfu), cell(direct));
  return [
    row('where the time goes (ms, p50 / p95)', 'via SFU', 'direct'),
    both('stamp → shown (glass-to-glass)', (p) => pp(p.g2g)),
    both('stamp → last packet in Chromium', (p) => pp(p.toReceive)),
    both('last packet → shown', (p) => pp(p.afterReceive)),
    both('receiver: jitter buffer / frame (target)', (p) => {
      const [perFrame, target] = rx(p, 'jitterBufferMsPerFrame', 'jitterBufferTargetMs');
      return `${perFrame} (${target})`;
    }),
    both('receiver: processing / decode per frame', (p) =>
      rx(p, 'processingMsPerFrame', 'decodeMsPerFrame').join(' / '),
    ),
    both('receiver: fps, kbit/s', (p) => rx(p, 'fps', 'kbps').join(', ')),
    both('receiver: keyframes, NACK, PLI, lost, dropped', (p) =>
      rx(p, 'keyFrames', 'nacks', 'plis', 'packetsLost', 'framesDropped').join(', '),
    ),
    both('sender: encode / frame, pacer / packet', (p) =>
      tx(p, 'encodeMsPerFrame', 'pacerMsPerPacket').join(' / '),
    ),
    both('sender: encodings, kbit/s (estimate), pkts/frame', (p) => {
      const [encodings, kbps, estimate, perFrame] = tx(
        p,
        'encodings',
        'kbps',
        'estimateKbps',
        'packetsPerFrame',
      );
      return `${encodings}, ${kbps} (${estimate}), ${perFrame}`;
    }),
    both('sender: keyframes, NACK, PLI received', (p) => tx(p, 'keyFrames', 'nacks', 'plis').join(', ')),
    both('sender: receiver reports: loss %, lost, RTT ms', (p) =>
      tx(p, 'reportedLossPct', 'reportedLost', 'reportedRttMs').join(', '),
    ),
    `header extensions via SFU: ${v(sfu.receiver?.extensions.join(', '))}`,
    `header extensions direct:  ${v(direct.receiver?.extensions.join(', '))}`,
  ];
}
