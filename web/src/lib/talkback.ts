/**
 * One press of "Sprechen" on a live tile (issue 16, sfu/SPEC.md K1): the microphone is offered to
 * the SFU for that unit's camera while the button is held, and released with it.
 *
 * The offer goes to the gateway on the page's own origin (`<signallingUrl>/talkback/<deviceId>`,
 * application/sdp), exactly where the tile's video signalling goes, with the tile's viewer token
 * (the watch's, minted with the watch's audited reason); the gateway checks role, tenant and that
 * the token is this session's, then forwards it. The offer carries no candidates: the SFU is
 * ICE-lite and answers with its own, and the browser's connectivity checks tell it where we are.
 *
 * A release may come at any moment, also before the microphone or the answer is there: whatever
 * has been set up by then is taken down (the resource DELETEd once its Location is known).
 * Framework-free like video-watch.ts: React owns the button; this owns the lifecycle.
 */
import type { ViewerTokenResponse } from '@lagebild/protocol';

/** Why speaking did not work, each with its own message in the tile. */
export type TalkFailure =
  /** the browser or the user refused the microphone */
  | 'mic_denied'
  /** no microphone, or one another program holds */
  | 'no_mic'
  /** someone else speaks to this camera now (409, K4) */
  | 'busy'
  /** the unit is not streaming (404) */
  | 'not_live'
  /** the role or the token does not allow it (403) */
  | 'forbidden'
  | 'failed';

export type TalkState =
  | { kind: 'idle' }
  /** microphone asked for, offer on its way, or ICE/DTLS coming up */
  | { kind: 'starting' }
  /** the microphone reaches the SFU: the officer hears it */
  | { kind: 'speaking' }
  | { kind: 'error'; failure: TalkFailure; message: string };

export interface TalkOptions {
  deviceId: string;
  /** the tile's viewer token for the unit (renewed by the watch when it runs out) */
  token(): Promise<ViewerTokenResponse>;
  onState(state: TalkState): void;
}

export interface Talk {
  /** the button was let go: stop speaking (idempotent) */
  release(): void;
}

/** Without ICE+DTLS by then, the press failed: the SFU's own peer timeout (SFU_PEER_TIMEOUT_MS, 15 s). */
const CONNECT_TIMEOUT_MS = 15_000;

/** A getUserMedia refusal, by the DOMException's name. */
export function microphoneFailure(err: unknown): TalkFailure | null {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'mic_denied';
  if (name === 'NotFoundError' || name === 'NotReadableError' || name === 'OverconstrainedError')
    return 'no_mic';
  return null;
}

/** An HTTP refusal of the gateway or the SFU, by its status. */
export function refusalFailure(status: number): TalkFailure {
  if (status === 409) return 'busy';
  if (status === 404) return 'not_live';
  if (status === 403) return 'forbidden';
  return 'failed';
}

class TalkError extends Error {
  override readonly name = 'TalkError';
  readonly failure: TalkFailure;
  constructor(failure: TalkFailure, message: string) {
    super(message);
    this.failure = failure;
  }
}

function errorMessage(text: string, status: number): string {
  try {
    return (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    return `HTTP ${status}`;
  }
}

export function startTalk(opts: TalkOptions): Talk {
  let released = false;
  let stream: MediaStream | null = null;
  let pc: RTCPeerConnection | null = null;
  let resource: { url: string; token: string } | null = null;
  let timer: number | undefined;
  let last: TalkState['kind'] | null = null;

  const emit = (state: TalkState) => {
    // after the release only a failure is still worth saying (a refused microphone, say)
    if (released && state.kind !== 'error' && state.kind !== 'idle') return;
    if (state.kind === last && state.kind !== 'error') return;
    last = state.kind;
    opts.onState(state);
  };

  function takeDown(): void {
    window.clearTimeout(timer);
    for (const track of stream?.getTracks() ?? []) track.stop(); // the microphone goes off at once
    stream = null;
    const peer = pc;
    pc = null;
    if (peer) peer.onconnectionstatechange = null;
    const r = resource;
    resource = null;
    if (!r) {
      peer?.close();
      return;
    }
    // the DELETE first: the SFU ends the speech as `released`; a peer closed before it would end
    // it as a lost one (its DTLS close) and the DELETE would find nothing
    fetch(r.url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${r.token}` },
      credentials: 'same-origin',
      cache: 'no-store',
      // a release while the page closes must still reach the SFU
      keepalive: true,
    })
      .catch(() => undefined)
      .finally(() => peer?.close());
  }

  async function press(): Promise<void> {
    emit({ kind: 'starting' });
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        video: false,
      });
    } catch (err) {
      const failure = microphoneFailure(err) ?? 'no_mic';
      throw new TalkError(failure, (err as Error).message ?? String(err));
    }
    if (released) return takeDown();
    const track = stream.getAudioTracks()[0];
    if (!track) throw new TalkError('no_mic', 'the microphone gave no audio track');
    const peer = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc = peer;
    peer.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    await peer.setLocalDescription(await peer.createOffer());
    const t = await opts.token();
    const res = await fetch(`${t.signallingUrl}/talkback/${encodeURIComponent(opts.deviceId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/sdp' },
      body: peer.localDescription?.sdp ?? '',
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const text = await res.text();
    if (res.status !== 201) throw new TalkError(refusalFailure(res.status), errorMessage(text, res.status));
    const location = res.headers.get('location');
    if (location) resource = { url: new URL(location, window.location.href).toString(), token: t.token };
    if (released || pc !== peer) return takeDown();
    peer.onconnectionstatechange = () => {
      if (pc !== peer) return;
      if (peer.connectionState === 'connected') {
        window.clearTimeout(timer);
        emit({ kind: 'speaking' });
      } else if (peer.connectionState === 'failed') {
        fail(new TalkError('failed', 'the connection to the video server failed'));
      }
    };
    timer = window.setTimeout(
      () => fail(new TalkError('failed', 'the connection to the video server did not come up')),
      CONNECT_TIMEOUT_MS,
    );
    await peer.setRemoteDescription({ type: 'answer', sdp: text });
  }

  function fail(err: unknown): void {
    takeDown();
    const failure = err instanceof TalkError ? err.failure : 'failed';
    const message = err instanceof Error ? err.message : String(err);
    released = true;
    emit({ kind: 'error', failure, message });
  }

  press().catch(fail);

  return {
    release() {
      if (released) return;
      released = true;
      takeDown();
      emit({ kind: 'idle' });
    },
  };
}
