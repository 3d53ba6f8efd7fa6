/**
 * [FLT10]–[FLT13] The SFU's recorder under faults (issue 14), with real parts: PostgreSQL, Redis,
 * gateway and SFU processes, mediasoup workers, ffmpeg, and simulated cameras whose WHIP client
 * re-publishes when its stream is lost (`createWhipVideo`, as under `npm start`). Each fault cuts a
 * recording while its camera still streams; each time the test checks what an outside party would:
 *
 *  - the prefix is sealed: its manifest signed (checked against the public key that signed it) and
 *    true to the bytes held (the vault's `verifyRecording` decrypts every chunk and recomputes both
 *    hashes), `cut` names the reason, the row is `incomplete` with `cut_reason` and the manifest's
 *    hashes, and its folder holds nothing but the key, the manifest and whole segments;
 *  - a continuation of the same device exists, links back (`continues_id`, and `continues` in its own
 *    signed manifest once sealed) and is `complete` when the camera stops;
 *  - the stream is live on the SFU again, and the recovery time (fault → the continuation's first
 *    bytes in the vault) is printed as a `[fault]` line.
 *
 * The vault is a 48 MB tmpfs the test mounts, so that [FLT13] can fill it; where `mount` is not
 * allowed the vault is a plain folder and the disk-full case is skipped (saying why).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceHandle } from '@lagebild/infra/process';
import type { RecordingManifest } from '@lagebild/protocol';
import { createWhipVideo, type WhipVideo } from '@lagebild/sim/whip';
import { localFolderStore, verifierFromPem, verifyRecording } from '@lagebild/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { degradedGauge, FAULT_GATEWAY_ENV, figure, within } from '../src/faults/observe.ts';
import { type RecordingStack, startRecordingStack } from '../src/recording-stack.ts';
import { environOf, sfuStats, startSfuAgain } from '../src/sfu.ts';
import type { Stack } from '../src/stack.ts';

const DISK_MB = 48;
/** the gateway's alarm and the SFU's resume threshold (same variable, inherited by both processes) */
const MIN_FREE_MB = 2;

async function smallDisk(): Promise<{ dir: string; mounted: boolean; why?: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-fault-vault-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m,mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
    return { dir, mounted: true };
  } catch (err) {
    return {
      dir,
      mounted: false,
      why: `mount -t tmpfs is not allowed here: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}

const disk = await smallDisk();
let rs: RecordingStack;
let stack: Stack;
let video: WhipVideo;
let restarted: ServiceHandle | null = null;
/** the SFU's log lines (pino JSON), quoted when a wait times out */
const sfuLines: string[] = [];
const vault = () => join(disk.dir, 'vault');

interface Row {
  id: string;
  state: string;
  cut_reason: string | null;
  continues_id: string | null;
  bytes: string;
  manifest_sha256: string | null;
}

async function rowsOf(deviceId: string): Promise<Row[]> {
  const { rows } = await stack.db.pool.query<Row>(
    `SELECT id, state, cut_reason, continues_id, bytes, manifest_sha256 FROM recordings
      WHERE device_id = $1 ORDER BY started_at`,
    [deviceId],
  );
  return rows;
}

/** the live recording of a device (SFU stats), once it has bytes */
async function liveRecording(deviceId: string, notId?: string) {
  const s = await sfuStats(stack);
  return s.recordings.find((r) => r.deviceId === deviceId && r.recordingId !== notId && r.plaintextBytes > 0);
}

/** the public key (PEM) among the stack's that signed this manifest */
async function publicKeyOf(manifest: RecordingManifest): Promise<string> {
  const hsmDir = rs.paths.hsm;
  for (const f of await readdir(hsmDir)) {
    if (!f.endsWith('.pem')) continue;
    const pem = await readFile(join(hsmDir, f), 'utf8');
    try {
      if (verifierFromPem(pem).fingerprint === manifest.signingKey) return pem;
    } catch {
      // not a public key
    }
  }
  throw new Error(`no public key of the stack has fingerprint ${manifest.signingKey}`);
}

/** A sealed prefix: signed, true to its bytes, marked, and nothing else in its folder. */
async function expectSealedPrefix(tenantId: string, row: Row, reason: string): Promise<RecordingManifest> {
  expect(row).toMatchObject({ state: 'incomplete', cut_reason: reason });
  const folder = join(vault(), tenantId, row.id);
  const json = await readFile(join(folder, 'manifest.json'), 'utf8');
  const sig = await readFile(join(folder, 'manifest.sig'));
  const manifest = JSON.parse(json) as RecordingManifest;
  expect(manifest.cut?.reason).toBe(reason);
  expect(verifierFromPem(await publicKeyOf(manifest)).verify(json, sig)).toBe(true);
  expect(row.manifest_sha256).toBe(createHash('sha256').update(json).digest('hex'));
  const report = await verifyRecording({
    store: localFolderStore(vault()),
    keyring: rs.keyring,
    tenantId,
    recordingId: row.id,
  });
  expect(report).toMatchObject({
    status: 'complete',
    signed: true,
    plaintextBytes: manifest.plaintextBytes,
    plaintextSha256: manifest.plaintextSha256,
  });
  expect(Number(row.bytes)).toBe(manifest.plaintextBytes);
  expect(manifest.plaintextBytes).toBeGreaterThan(16_384);
  // nothing corrupt or half-written: no reserve, no temporary file, no torn segment
  for (const n of await readdir(folder))
    expect(n).toMatch(/^(key\.json|manifest\.(json|sig)|seg-\d{6}\.lbv)$/);
  return manifest;
}

/** The camera stops; its continuation is sealed complete and names the prefix in its manifest. */
async function expectContinuation(tenantId: string, deviceId: string, prefix: Row, reason: string) {
  const next = (await rowsOf(deviceId)).find((r) => r.continues_id === prefix.id);
  expect(next, 'a recording continues the prefix').toBeDefined();
  await video.stop(deviceId);
  await within(
    async () => (await rowsOf(deviceId)).find((r) => r.id === next!.id)?.state === 'complete',
    30_000,
    'the continuation sealed complete',
  );
  const m = JSON.parse(await readFile(join(vault(), tenantId, next!.id, 'manifest.json'), 'utf8'));
  expect(m.continues).toEqual({ recordingId: prefix.id, reason });
}

/** a camera records until the recorder has written `bytes` of it */
async function recording(deviceId: string, bytes = 120_000) {
  video.start(deviceId);
  await within(
    async () => ((await liveRecording(deviceId))?.plaintextBytes ?? 0) > bytes,
    30_000,
    'the camera is recorded',
    200,
  );
  return (await liveRecording(deviceId))!;
}

/** the first bytes of the recording that continues `prefixId`: ms since `since` */
async function continuationAfter(deviceId: string, prefixId: string, since: number, timeoutMs = 60_000) {
  await within(
    async () => (await liveRecording(deviceId, prefixId)) !== undefined,
    timeoutMs,
    'a continuation',
  );
  const ms = Date.now() - since;
  await within(
    async () => (await rowsOf(deviceId)).some((r) => r.continues_id === prefixId),
    15_000,
    'the continuation links back',
  );
  // live video too: the SFU receives the camera again
  const s = await sfuStats(stack);
  expect(s.streams.find((x) => x.deviceId === deviceId)?.bytesReceived ?? 0).toBeGreaterThan(0);
  return ms;
}

beforeAll(async () => {
  // inherited by the gateway (its `recordings` alarm) and the SFU (when it resumes after a full disk)
  process.env.RECORDINGS_MIN_FREE_MB = String(MIN_FREE_MB);
  rs = await startRecordingStack('fault-recorder', {
    devicesPerTenant: 5,
    gatewayEnv: { ...FAULT_GATEWAY_ENV, VAULT_DIR: vault() },
    onSfuLine: (l) => {
      sfuLines.push(l);
      if (sfuLines.length > 500) sfuLines.shift();
    },
  });
  stack = rs.stack;
  const tenant = stack.tenants[0]!;
  video = createWhipVideo({
    gatewayUrl: stack.url,
    devices: tenant.devices,
    fps: 15,
    whipUrl: (id) => `${stack.sfu!.url}/whip/${id}`,
  });
}, 120_000);

afterAll(async () => {
  await video?.close();
  await restarted?.stop();
  await rs?.stop();
  delete process.env.RECORDINGS_MIN_FREE_MB;
  if (disk.mounted) execFileSync('umount', [disk.dir]);
  await rmdir(disk.dir).catch(() => rm(disk.dir, { recursive: true, force: true }));
});

describe('faults: the SFU recorder cut mid-recording', () => {
  const tenantId = () => stack.tenants[0]!.id;
  const device = (i: number) => stack.tenants[0]!.devices[i]!.deviceId;

  it('[FLT10] ffmpeg SIGKILLed: the prefix is sealed and verifies, a continuation links back at once', async () => {
    const deviceId = device(0);
    const live = await recording(deviceId);
    const killedAt = Date.now();
    process.kill(live.ffmpegPid!, 'SIGKILL');
    const recoveryMs = await continuationAfter(deviceId, live.recordingId, killedAt);
    const prefix = (await rowsOf(deviceId)).find((r) => r.id === live.recordingId)!;
    const m = await expectSealedPrefix(tenantId(), prefix, 'ffmpeg_exit');
    expect(m.cut?.finalChunk).toBe(true);
    await expectContinuation(tenantId(), deviceId, prefix, 'ffmpeg_exit');
    await figure('sfu-ffmpeg-kill', { prefixBytes: m.plaintextBytes, recoveryMs });
  }, 120_000);

  it('[FLT11] the mediasoup worker SIGKILLed: prefix sealed, the camera re-publishes, its recording continues', async () => {
    const deviceId = device(1);
    const live = await recording(deviceId);
    const worker = (await sfuStats(stack)).workers.find((w) => w.routers > 0)!;
    const killedAt = Date.now();
    process.kill(worker.pid, 'SIGKILL');
    const recoveryMs = await continuationAfter(deviceId, live.recordingId, killedAt);
    const prefix = (await rowsOf(deviceId)).find((r) => r.id === live.recordingId)!;
    const m = await expectSealedPrefix(tenantId(), prefix, 'worker_died');
    await expectContinuation(tenantId(), deviceId, prefix, 'worker_died');
    await figure('sfu-worker-kill', { prefixBytes: m.plaintextBytes, recoveryMs });
  }, 120_000);

  it.skipIf(!disk.mounted)(
    `[FLT13] the vault's disk fills up: prefix sealed without a corrupt byte, alarm, continued once space returns${disk.why ? ` (skipped: ${disk.why})` : ''}`,
    async () => {
      const deviceId = device(2);
      const live = await recording(deviceId, 60_000);
      // fill the disk to the last page: the recorder's next write fails with ENOSPC
      const filler = join(disk.dir, 'filler.bin');
      const { bavail, bsize } = statfsSync(vault());
      await writeFile(filler, Buffer.alloc(bavail * bsize)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOSPC') throw err; // full is what it is for
      });
      const filledAt = Date.now();
      try {
        await within(
          async () => (await rowsOf(deviceId)).find((r) => r.id === live.recordingId)?.state === 'incomplete',
          60_000,
          () =>
            `the recording cut by the full disk (SFU: ${sfuLines
              .filter((l) => /record|ENOSPC/.test(l))
              .slice(-5)
              .join(' | ')})`,
        );
      } catch (err) {
        await rm(filler, { force: true });
        throw err;
      }
      const cutMs = Date.now() - filledAt;
      await within(
        async () => (await degradedGauge(stack.url, 'recordings')) === 1,
        5000,
        'recordings alarm',
      );
      const prefix = (await rowsOf(deviceId)).find((r) => r.id === live.recordingId)!;
      const m = await expectSealedPrefix(tenantId(), prefix, 'disk_full');
      // nothing recorded while the disk is full: the recorder waits for space
      expect((await sfuStats(stack)).recordings.some((r) => r.deviceId === deviceId)).toBe(false);
      await rm(filler);
      const freedAt = Date.now();
      const recoveryMs = await continuationAfter(deviceId, live.recordingId, freedAt);
      await within(async () => (await degradedGauge(stack.url, 'recordings')) === 0, 5000, 'alarm cleared');
      await expectContinuation(tenantId(), deviceId, prefix, 'disk_full');
      await figure('sfu-disk-full', {
        diskMb: DISK_MB,
        prefixBytes: m.plaintextBytes,
        truncated: m.cut?.finalChunk ? 'no' : 'yes',
        cutMs,
        recoveryMs,
      });
    },
    120_000,
  );

  // Last: it replaces the stack's SFU with a new process of the same configuration.
  it('[FLT12] the SFU SIGKILLed mid-recording and restarted: the sweep seals the prefix from disk, the camera continues', async () => {
    const deviceId = device(3);
    const live = await recording(deviceId);
    const sfuPid = stack.sfu!.child.pid!;
    const env = await environOf(sfuPid);
    const killedAt = Date.now();
    process.kill(sfuPid, 'SIGKILL');
    await stack.sfu!.exited;
    expect((await rowsOf(deviceId)).find((r) => r.id === live.recordingId)?.state).toBe('recording');
    const restartAt = Date.now();
    restarted = await startSfuAgain(env);
    const readyMs = Date.now() - restartAt;
    // the sweep runs before the SFU listens: the prefix is sealed once it is ready
    const prefix = (await rowsOf(deviceId)).find((r) => r.id === live.recordingId)!;
    const m = await expectSealedPrefix(tenantId(), prefix, 'sfu_restart');
    expect(m.cut?.finalChunk).toBe(false);
    const recoveryMs = await continuationAfter(deviceId, live.recordingId, killedAt);
    await expectContinuation(tenantId(), deviceId, prefix, 'sfu_restart');
    await figure('sfu-process-kill', { prefixBytes: m.plaintextBytes, restartReadyMs: readyMs, recoveryMs });
  }, 150_000);

  // After FLT12: the SFU now running is stopped as a deployment or `npm start`'s supervisor stops it
  // (SIGTERM) and started again.
  it('[FLT14] the SFU stopped gracefully (SIGTERM) mid-recording and started again: it seals the prefix before it exits, the camera continues', async () => {
    const deviceId = device(4);
    const live = await recording(deviceId);
    const running = restarted ?? stack.sfu!;
    const env = await environOf(running.child.pid!);
    const stoppedAt = Date.now();
    await running.stop(30_000);
    const stopMs = Date.now() - stoppedAt;
    // sealed by the SFU itself on its way out, its last chunk written: no sweep needed
    const prefix = (await rowsOf(deviceId)).find((r) => r.id === live.recordingId)!;
    const m = await expectSealedPrefix(tenantId(), prefix, 'sfu_restart');
    expect(m.cut?.finalChunk).toBe(true);
    const restartAt = Date.now();
    restarted = await startSfuAgain(env, 'sfu-restarted-2');
    const readyMs = Date.now() - restartAt;
    const recoveryMs = await continuationAfter(deviceId, live.recordingId, stoppedAt);
    await expectContinuation(tenantId(), deviceId, prefix, 'sfu_restart');
    await figure('sfu-graceful-restart', {
      prefixBytes: m.plaintextBytes,
      stopMs,
      restartReadyMs: readyMs,
      recoveryMs,
    });
  }, 150_000);
});
