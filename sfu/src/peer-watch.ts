/**
 * Closes a WebRTC peer whose transport is gone: ICE never connected, or disconnected and not back,
 * within timeoutMs; DTLS failed or closed at once. This is what keeps transports of vanished
 * publishers and viewers (a device out of coverage, a closed browser tab) from piling up.
 */
import type { types } from 'mediasoup';

export function watchPeer(
  transport: types.WebRtcTransport,
  timeoutMs: number,
  onGone: (why: 'timeout' | 'dtls') => void,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer ??= setTimeout(() => onGone('timeout'), timeoutMs);
  };
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const onIce = (state: types.IceState) => {
    if (state === 'connected' || state === 'completed') disarm();
    else arm();
  };
  const onDtls = (state: types.DtlsState) => {
    if (state === 'failed' || state === 'closed') onGone('dtls');
  };
  transport.on('icestatechange', onIce);
  transport.on('dtlsstatechange', onDtls);
  arm(); // until ICE connects for the first time
  return () => {
    disarm();
    transport.off('icestatechange', onIce);
    transport.off('dtlsstatechange', onDtls);
  };
}
