/**
 * Live video for a simulation: follows the devices' stage events and keeps a WHIP stream up while a
 * device is in `recording`. For each publish the device exchanges its secret for a short-lived
 * token at the gateway (POST /api/device/token), which also names the WHIP endpoint. A stream that
 * drops (SFU worker restarted, network) is re-published with backoff while the device records.
 *
 * Wire it in with `onEvent`: startSimulation({ ..., onEvent: (e) => video.onEvent(e) }).
 */
import { DeviceTokenResponse } from '@lagebild/protocol';
import type { SimDeviceSpec, SimEvent } from './types.ts';
import { publishWhip, type WhipPublisher } from './whip-publisher.ts';

export interface WhipVideoOptions {
  /** gateway base URL (token exchange) */
  gatewayUrl: string;
  devices: ReadonlyArray<Pick<SimDeviceSpec, 'deviceId' | 'secret' | 'label'>>;
  fps?: number;
  audio?: boolean;
  /** overrides the WHIP URL the gateway names (e.g. a test talking to the SFU directly) */
  whipUrl?: (deviceId: string) => string;
  onVideoEvent?: (e: WhipVideoEvent) => void;
}

export type WhipVideoEvent =
  | { type: 'publishing'; deviceId: string; postMs: number; attempt: number }
  | { type: 'connected'; deviceId: string }
  | { type: 'lost'; deviceId: string; state: string }
  | { type: 'failed'; deviceId: string; message: string; status: number | null }
  | { type: 'stopped'; deviceId: string };

export interface WhipVideo {
  onEvent(e: SimEvent): void;
  /** start or stop a device's stream directly (tests, manual demos) */
  start(deviceId: string): void;
  stop(deviceId: string): Promise<void>;
  publisher(deviceId: string): WhipPublisher | undefined;
  close(): Promise<void>;
}

const MAX_BACKOFF_MS = 5000;

export function createWhipVideo(opts: WhipVideoOptions): WhipVideo {
  const specs = new Map(opts.devices.map((d) => [d.deviceId, d]));
  const wanted = new Set<string>();
  const live = new Map<string, WhipPublisher>();
  const pending = new Map<string, Promise<void>>();
  const retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const emit = (e: WhipVideoEvent) => {
    try {
      opts.onVideoEvent?.(e);
    } catch {
      // a failing listener must not stop the stream
    }
  };

  async function token(deviceId: string): Promise<DeviceTokenResponse> {
    const spec = specs.get(deviceId)!;
    const res = await fetch(`${opts.gatewayUrl}/api/device/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId, secret: spec.secret }),
    });
    const body = await res.json();
    if (!res.ok) throw Object.assign(new Error(`token refused (${res.status})`), { status: res.status });
    return DeviceTokenResponse.parse(body);
  }

  async function publish(deviceId: string, attempt: number): Promise<void> {
    const spec = specs.get(deviceId)!;
    try {
      const t = await token(deviceId);
      const whipUrl = opts.whipUrl?.(deviceId) ?? t.whipUrl;
      if (!whipUrl)
        throw Object.assign(new Error('the gateway names no WHIP endpoint (SFU_WHIP_URL unset)'), {
          status: null,
        });
      if (!wanted.has(deviceId)) return;
      const p = await publishWhip({
        whipUrl,
        token: t.token,
        label: spec.label ?? deviceId.slice(0, 8),
        fps: opts.fps,
        audio: opts.audio,
        onLost: (state) => {
          if (live.get(deviceId) !== p) return;
          emit({ type: 'lost', deviceId, state });
          live.delete(deviceId);
          void p.close();
          schedule(deviceId, 1);
        },
      });
      if (!wanted.has(deviceId)) {
        await p.close();
        return;
      }
      live.set(deviceId, p);
      emit({ type: 'publishing', deviceId, postMs: p.postMs, attempt });
      p.connected(15_000).then(
        () => emit({ type: 'connected', deviceId }),
        () => {},
      );
    } catch (err) {
      const status = (err as { status?: number }).status ?? null;
      emit({ type: 'failed', deviceId, message: (err as Error).message, status });
      // 401/403: the device is refused (revoked, wrong tenant); retrying cannot help
      if (status !== 401 && status !== 403) schedule(deviceId, attempt + 1);
    }
  }

  function schedule(deviceId: string, attempt: number): void {
    if (!wanted.has(deviceId) || retryTimers.has(deviceId)) return;
    const delayMs = attempt <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 2));
    retryTimers.set(
      deviceId,
      setTimeout(() => {
        retryTimers.delete(deviceId);
        run(deviceId, attempt);
      }, delayMs),
    );
  }

  function run(deviceId: string, attempt: number): void {
    if (!wanted.has(deviceId) || live.has(deviceId) || pending.has(deviceId)) return;
    const p = publish(deviceId, attempt).finally(() => pending.delete(deviceId));
    pending.set(deviceId, p);
  }

  async function stop(deviceId: string): Promise<void> {
    wanted.delete(deviceId);
    const t = retryTimers.get(deviceId);
    if (t) clearTimeout(t);
    retryTimers.delete(deviceId);
    await pending.get(deviceId);
    const p = live.get(deviceId);
    live.delete(deviceId);
    if (p) {
      await p.close();
      emit({ type: 'stopped', deviceId });
    }
  }

  return {
    onEvent(e) {
      if (e.type !== 'stage' || !specs.has(e.deviceId)) return;
      if (e.to === 'recording') this.start(e.deviceId);
      else if (e.from === 'recording') void stop(e.deviceId);
    },
    start(deviceId) {
      if (!specs.has(deviceId)) throw new Error(`unknown device ${deviceId}`);
      wanted.add(deviceId);
      run(deviceId, 1);
    },
    stop,
    publisher: (deviceId) => live.get(deviceId),
    async close() {
      await Promise.all([...new Set([...wanted, ...live.keys()])].map(stop));
    },
  };
}
