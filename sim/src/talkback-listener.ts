/**
 * The simulated camera's loudspeaker (issue 16): it subscribes to its talkback on the SFU (a
 * WHEP-style recvonly audio offer to `POST /talkback/<deviceId>/listen` with its device token) and
 * counts the audio packets it receives, so tests can tell that an operator's voice arrived, and
 * when it stopped. libwebrtc (wrtc) decodes them as a real camera's audio stack would.
 */
import { type WrtcPeerConnection, wrtc } from './whip-wrtc.ts';

export interface TalkbackListener {
  readonly resourceUrl: string;
  readonly pc: WrtcPeerConnection;
  /** resolves once ICE+DTLS are up */
  connected(timeoutMs?: number): Promise<void>;
  /** audio packets received so far (inbound-rtp packetsReceived) */
  packets(): Promise<number>;
  /** DELETE the subscription (best effort) and close the peer connection */
  close(): Promise<void>;
}

export async function listenTalkback(opts: {
  sfuUrl: string;
  deviceId: string;
  token: string;
}): Promise<TalkbackListener> {
  const pc = new (wrtc().RTCPeerConnection)({ bundlePolicy: 'max-bundle' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, 1000);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    };
  });
  const url = `${opts.sfuUrl}/talkback/${opts.deviceId}/listen`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: `Bearer ${opts.token}` },
    body: pc.localDescription!.sdp,
  });
  const body = await res.text();
  if (res.status !== 201) {
    pc.close();
    throw new Error(`talkback listen refused: ${res.status} ${body}`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  const resourceUrl = new URL(res.headers.get('location')!, url).toString();
  return {
    resourceUrl,
    pc,
    connected(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        if (pc.connectionState === 'connected') return resolve();
        const t = setTimeout(
          () => reject(new Error(`talkback listener not connected (${pc.connectionState})`)),
          timeoutMs,
        );
        pc.onconnectionstatechange = () => {
          if (pc.connectionState === 'connected') {
            clearTimeout(t);
            resolve();
          }
        };
      });
    },
    async packets() {
      let n = 0;
      for (const s of (await pc.getStats()).values())
        if (s.type === 'inbound-rtp' && s.kind === 'audio') n += Number(s.packetsReceived ?? 0);
      return n;
    },
    async close() {
      await fetch(resourceUrl, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${opts.token}` },
      }).catch(() => {});
      pc.close();
    },
  };
}
