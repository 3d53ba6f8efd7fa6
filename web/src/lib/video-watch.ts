/**
 * One live watch of one unit: the tile's connection to the SFU with mediasoup-client, through the
 * viewer signalling the gateway proxies at /sfu/v1 (sfu/SPEC.md [V1]–[V5]).
 *
 * The watch asks the gateway for a viewer token with the reason of the watch (§ 76 BDSG; the gateway
 * logs it under a watch id, and the SFU's consumer events log from–to under the same id), then
 * creates a session, consumes the unit's producers and resumes them (the SFU sends a keyframe).
 * The token is reused while it is valid, so a reconnect stays the same watch in the audit trail.
 *
 * It reconnects on its own: `restart()` when the unit's stream came up again (replacement, a new
 * SFU worker after a router reset), `suspend()` when the SFU said the stream is gone for now, and
 * after a transport failure with backoff. Closing a watch only stops viewing: the recording and
 * the publisher are not affected.
 *
 * Framework-free, like live-connection.ts: React owns the `<video>`; this owns the lifecycle.
 */
import {
  ConsumeResponse,
  ViewerSessionResponse,
  ViewerTokenResponse,
  type WatchReason,
} from '@lagebild/protocol';
import { Device, type types } from 'mediasoup-client';
import { ApiError, apiPost } from './api.ts';

export type WatchState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** the SFU announced a reset or a replacement; waiting for the stream to come back */
  | { kind: 'reconnecting' }
  /** the unit's stream is not (or no longer) live */
  | { kind: 'ended' }
  /** the gateway or SFU refused this user the unit (another tenant, role): final */
  | { kind: 'refused'; message: string }
  | { kind: 'failed'; message: string };

export interface WatchOptions {
  deviceId: string;
  reason: WatchReason;
  onState(state: WatchState): void;
  /** a new MediaStream each time the consumers change (null while there is none) */
  onStream(stream: MediaStream | null): void;
}

export interface Watch {
  /** the stream came up (again): consume it, with a new session if needed */
  restart(): void;
  /** the SFU took the stream away for now (router reset, replacement): show "reconnecting" */
  suspend(): void;
  /** the unit stopped publishing: close the session, show "ended" */
  end(): void;
  /** the tile's size in device pixels; 0×0 = hidden (the SFU pauses forwarding) */
  setTileSize(widthPx: number, heightPx: number): void;
  /** this watch's viewer token (renewed when it runs out): talkback speaks with it (sfu/SPEC.md K1) */
  token(): Promise<ViewerTokenResponse>;
  close(): void;
}

/** Token renewal margin: a token this close to expiry is not used for a new session. */
const TOKEN_MARGIN_MS = 30_000;
const RETRY_MS = [500, 1000, 2000, 4000, 8000] as const;

class SignallingError extends Error {
  override readonly name = 'SignallingError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function startWatch(opts: WatchOptions): Watch {
  let token: ViewerTokenResponse | null = null;
  let closed = false;
  let generation = 0;
  let attempt = 0;
  let retryTimer: number | undefined;
  let session: { id: string; transport: types.Transport; consumers: types.Consumer[] } | null = null;
  let tile = { w: 0, h: 0, sent: '' };
  let state: WatchState = { kind: 'connecting' };

  const setState = (next: WatchState) => {
    if (closed || (next.kind === state.kind && !('message' in next))) return;
    state = next;
    opts.onState(next);
  };

  async function viewerToken(): Promise<ViewerTokenResponse> {
    if (token && token.expiresAt - Date.now() > TOKEN_MARGIN_MS) return token;
    token = await apiPost(
      '/api/video/viewer-token',
      { deviceId: opts.deviceId, reason: opts.reason },
      ViewerTokenResponse,
    );
    return token;
  }

  async function call(path: string, body?: unknown, method = 'POST'): Promise<unknown> {
    const t = await viewerToken();
    const res = await fetch(`${t.signallingUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      // the gateway's /sfu/v1 proxy asks for the session too (issue 11); it never passes the cookie on
      credentials: 'same-origin',
      cache: 'no-store',
      // a DELETE on page unload must still reach the SFU
      keepalive: method === 'DELETE',
    });
    const text = await res.text();
    if (!res.ok) {
      let message = `HTTP ${res.status}`;
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // not an ErrorBody: keep the status
      }
      throw new SignallingError(res.status, message);
    }
    return text ? JSON.parse(text) : undefined;
  }

  function dropSession(): void {
    const s = session;
    session = null;
    tile = { ...tile, sent: '' };
    if (!s) return;
    opts.onStream(null);
    discard(s);
  }

  /** Closes a session that is not (or no longer) the current one. */
  function discard(s: { id: string; transport: types.Transport }): void {
    s.transport.close();
    // tell the SFU at once (it would also notice the silent transport after SFU_PEER_TIMEOUT_MS)
    call(`/sessions/${encodeURIComponent(s.id)}`, undefined, 'DELETE').catch(() => undefined);
  }

  async function connect(gen: number): Promise<void> {
    const created = ViewerSessionResponse.parse(await call('/sessions'));
    const device = new Device();
    await device.load({
      routerRtpCapabilities: created.routerRtpCapabilities as unknown as types.RtpCapabilities,
    });
    const transport = device.createRecvTransport({
      id: created.transport.id,
      iceParameters: created.transport.iceParameters as unknown as types.IceParameters,
      iceCandidates: created.transport.iceCandidates as unknown as types.IceCandidate[],
      dtlsParameters: created.transport.dtlsParameters as unknown as types.DtlsParameters,
      iceServers: created.iceServers as RTCIceServer[],
    });
    const mine = { id: created.sessionId, transport, consumers: [] as types.Consumer[] };
    // overtaken by a restart while the session was being created: a newer one is (or will be) current
    if (gen !== generation || closed) return discard(mine);
    session = mine;
    const base = `/sessions/${encodeURIComponent(mine.id)}`;
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      call(`${base}/connect`, { dtlsParameters }).then(() => done(), fail);
    });
    transport.on('connectionstatechange', (s) => {
      if (session !== mine) return;
      if (s === 'connected') {
        attempt = 0;
        setState({ kind: 'live' });
      } else if (s === 'failed') {
        dropSession();
        setState({ kind: 'reconnecting' });
        retry(gen);
      }
    });
    const { consumers } = ConsumeResponse.parse(
      await call(`${base}/consume`, { rtpCapabilities: device.recvRtpCapabilities }),
    );
    const stream = new MediaStream();
    for (const c of consumers) {
      const consumer = await transport.consume({
        id: c.id,
        producerId: c.producerId,
        kind: c.kind,
        rtpParameters: c.rtpParameters as unknown as types.RtpParameters,
      });
      mine.consumers.push(consumer);
      stream.addTrack(consumer.track);
    }
    if (session !== mine) return;
    opts.onStream(stream);
    await Promise.all(mine.consumers.map((c) => call(`${base}/consumers/${c.id}/resume`)));
    sendLayers();
    if (transport.connectionState === 'connected') setState({ kind: 'live' });
  }

  function run(): void {
    if (closed) return;
    const gen = ++generation;
    window.clearTimeout(retryTimer);
    dropSession();
    connect(gen).catch((err: unknown) => {
      if (gen !== generation || closed) return;
      dropSession();
      if (err instanceof ApiError || err instanceof SignallingError) {
        const status = err.status;
        if (status === 403) return setState({ kind: 'refused', message: err.message });
        // the gateway answers another tenant's unit like an unknown one (issue 11): final as well
        if (status === 404 && err instanceof ApiError)
          return setState({ kind: 'refused', message: err.message });
        // 401 from the SFU: the token ran out between the checks; mint a new one
        if (status === 401 && err instanceof SignallingError) token = null;
        // 404 from consume: the unit is not live (yet); its producer_up will restart us
        if (status === 404 && err instanceof SignallingError) return setState({ kind: 'ended' });
        if (err instanceof ApiError && err.code === 'unauthenticated')
          return setState({ kind: 'failed', message: err.message });
      }
      setState({ kind: 'reconnecting' });
      retry(gen);
    });
  }

  function retry(gen: number): void {
    const delayMs = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] ?? 8000;
    attempt += 1;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(() => gen === generation && run(), delayMs);
  }

  function sendLayers(): void {
    const s = session;
    const video = s?.consumers.find((c) => c.kind === 'video');
    if (!s || !video) return;
    const key = `${tile.w}x${tile.h}`;
    if (key === tile.sent) return;
    tile.sent = key;
    call(`/sessions/${encodeURIComponent(s.id)}/consumers/${video.id}/layers`, {
      tileWidthPx: tile.w,
      tileHeightPx: tile.h,
    }).catch(() => {
      tile.sent = ''; // try again on the next resize
    });
  }

  run();

  return {
    restart() {
      attempt = 0;
      setState({ kind: state.kind === 'live' ? 'reconnecting' : 'connecting' });
      run();
    },
    suspend() {
      generation++;
      window.clearTimeout(retryTimer);
      dropSession();
      setState({ kind: 'reconnecting' });
    },
    end() {
      generation++;
      window.clearTimeout(retryTimer);
      dropSession();
      setState({ kind: 'ended' });
    },
    token: viewerToken,
    setTileSize(widthPx, heightPx) {
      tile = { ...tile, w: Math.round(widthPx), h: Math.round(heightPx) };
      sendLayers();
    },
    close() {
      if (closed) return;
      generation++;
      window.clearTimeout(retryTimer);
      dropSession();
      closed = true;
    },
  };
}
