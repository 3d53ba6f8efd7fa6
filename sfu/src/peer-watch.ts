/**
 * Closes a WebRTC peer that is gone: ICE never connected, or disconnected and not back, within
 * timeoutMs; DTLS failed or closed at once; or, once connected, nothing at all arrived from it for
 * timeoutMs. This is what keeps transports of vanished publishers and viewers (a device out of
 * coverage, a closed browser tab) from piling up.
 *
 * Liveness is what the peer sends, not ICE consent: the SFU's transports run with mediasoup's
 * RFC 7675 consent check off (`iceConsentTimeout: 0`, tenant-room.ts), because libnice 0.1.21 — what
 * GStreamer 1.22's webrtcbin uses (Debian 12) — keeps a pair alive with binding *indications*, not
 * requests, and mediasoup's 30-s consent timeout cut every such camera and WHEP player after 45 s.
 * Every live peer sends something well within timeoutMs: a camera its RTP, a viewer its RTCP
 * receiver reports (about every 1–5 s) and, in browsers, consent requests every ~5 s.
 */
import type { types } from 'mediasoup';

/** how often a connected peer's received bytes are read (a request to its worker) */
const TRAFFIC_POLL_MS = 2000;

export function watchPeer(
  transport: types.WebRtcTransport,
  timeoutMs: number,
  onGone: (why: 'timeout' | 'dtls') => void,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let lastBytes = -1;
  let lastHeardAt = Date.now();
  const arm = () => {
    timer ??= setTimeout(() => onGone('timeout'), timeoutMs);
  };
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const stopPolling = () => {
    if (poll) clearInterval(poll);
    poll = undefined;
  };
  const watchTraffic = () => {
    lastHeardAt = Date.now();
    poll ??= setInterval(() => {
      transport.getStats().then(
        (stats) => {
          const bytes = stats.reduce((n, s) => n + s.bytesReceived, 0);
          const now = Date.now();
          if (bytes !== lastBytes) {
            lastBytes = bytes;
            lastHeardAt = now;
          } else if (now - lastHeardAt >= timeoutMs && poll) {
            stopPolling();
            onGone('timeout');
          }
        },
        () => {}, // closed meanwhile: its own close event cleans up
      );
    }, TRAFFIC_POLL_MS);
  };
  const onIce = (state: types.IceState) => {
    if (state === 'connected' || state === 'completed') {
      disarm();
      watchTraffic();
    } else {
      stopPolling();
      arm();
    }
  };
  const onDtls = (state: types.DtlsState) => {
    if (state === 'failed' || state === 'closed') onGone('dtls');
  };
  transport.on('icestatechange', onIce);
  transport.on('dtlsstatechange', onDtls);
  arm(); // until ICE connects for the first time
  return () => {
    disarm();
    stopPolling();
    transport.off('icestatechange', onIce);
    transport.off('dtlsstatechange', onDtls);
  };
}
