/**
 * Helpers for tests and benchmarks that talk to the SFU directly: its internal stats (behind the
 * shared secret, issue 11), media tokens signed with the test stack's secret, and polling an async
 * condition (database rows, SFU stats) until it holds.
 */
import { readFile } from 'node:fs/promises';
import { SFU_ENTRY } from '@lagebild/infra/paths';
import { type ServiceHandle, spawnService } from '@lagebild/infra/process';
import { publishWhip, type WhipPublisher, type WhipPublisherOptions } from '@lagebild/sim/whip';
import { signToken } from '@lagebild/tokens';
import { type Stack, TEST_INTERNAL_SECRET, TEST_MEDIA_SECRET } from './stack.ts';

/** What the tests read of `GET /internal/stats` (sfu/src/app.ts `SfuStats` has the rest). */
export interface SfuStatsView {
  publishers: number;
  viewers: number;
  transports: number;
  workers: { slot: number; pid: number; routers: number }[];
  heapUsedKb: number;
  whipPublishes: number;
  whipRefused: number;
  streams: { deviceId: string; videoCodec: string | null; bytesReceived: number }[];
  recordings: { deviceId: string; recordingId: string; ffmpegPid: number | null; plaintextBytes: number }[];
  /** talkback relays per camera (issue 16) */
  talkback: { deviceId: string; packets: number; speaking: boolean; listeners: number }[];
}

/** The SFU's internal stats; `gc` runs a full collection first (when the SFU runs with --expose-gc). */
export async function sfuStats(
  stack: Pick<Stack, 'sfu'>,
  opts: { gc?: boolean } = {},
): Promise<SfuStatsView> {
  const res = await fetch(`${stack.sfu!.url}/internal/stats${opts.gc ? '?gc=1' : ''}`, {
    headers: { authorization: `Bearer ${TEST_INTERNAL_SECRET}` },
  });
  if (!res.ok) throw new Error(`/internal/stats → ${res.status} ${await res.text()}`);
  return (await res.json()) as SfuStatsView;
}

/** A device token as the gateway would mint it (same secret). */
export const deviceToken = (tenantId: string, deviceId: string, ttlMs = 60_000, nowMs = Date.now()): string =>
  signToken(TEST_MEDIA_SECRET, { typ: 'device', tenantId, deviceId }, ttlMs, nowMs).token;

export { until } from './clients.ts';

/** the environment a process was started with (from /proc): a restarted SFU gets the same configuration */
export async function environOf(pid: number): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await readFile(`/proc/${pid}/environ`, 'utf8'))
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/**
 * A new SFU process with the configuration (`environOf`) of one that was stopped or killed: same port,
 * secrets, vault and key token, as a supervisor restarts it. The caller stops it.
 */
export function startSfuAgain(env: Record<string, string>, name = 'sfu-restarted'): Promise<ServiceHandle> {
  return spawnService({ name, entry: SFU_ENTRY, env });
}

/**
 * A simulated camera (libwebrtc, VP8 + Opus at 15 fps) publishing to the stack's SFU over WHIP with a
 * device token of its own (2 min). Await `connected()` on the result where ICE+DTLS must be up.
 */
export function publishCamera(
  stack: Pick<Stack, 'sfu'>,
  tenantId: string,
  device: { deviceId: string; label: string },
  opts: Partial<WhipPublisherOptions> = {},
): Promise<WhipPublisher> {
  return publishWhip({
    whipUrl: `${stack.sfu!.url}/whip/${device.deviceId}`,
    token: deviceToken(tenantId, device.deviceId, 120_000),
    label: device.label,
    fps: 15,
    ...opts,
  });
}

/**
 * A viewer token as the gateway mints it (issue 11: it names the operator session `sid` and its
 * expiry `sexp`). Tests that stand in for the gateway's side of a revocation use it directly.
 */
export function viewerTokenFor(c: {
  tenantId: string;
  userId: string;
  deviceId: string;
  sid: string;
  sexp?: number;
  watchId?: string;
  role?: 'admin' | 'supervisor' | 'operator';
  ttlMs?: number;
}): string {
  return signToken(
    TEST_MEDIA_SECRET,
    {
      typ: 'viewer',
      tenantId: c.tenantId,
      userId: c.userId,
      role: c.role ?? 'operator',
      deviceId: c.deviceId,
      sid: c.sid,
      sexp: c.sexp ?? Date.now() + 3_600_000,
      ...(c.watchId ? { watchId: c.watchId } : {}),
    },
    c.ttlMs ?? 60_000,
  ).token;
}
