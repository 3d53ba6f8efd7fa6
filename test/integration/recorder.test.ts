/**
 * Issue #6, the live recorder with real parts: PostgreSQL, Redis, gateway and SFU processes, real
 * mediasoup workers, ffmpeg, and a simulated camera publishing VP8 + Opus over WHIP (libwebrtc). What
 * the SFU records is checked the way an outside party would: the Recording row, the vault objects,
 * the manifest signature with `openssl pkeyutl -verify -rawin`, the ciphertext hash with sha256, the
 * decrypted stream with ffprobe, and that no plaintext WebM (EBML magic 1A45DFA3) is on disk.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SFU_ENTRY } from '@lagebild/infra/paths';
import { spawnService } from '@lagebild/infra/process';
import type { WhipPublisher } from '@lagebild/sim/whip';
import { type Keyring, localFolderStore, openRecording } from '@lagebild/vault';
import { chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { type RecordingStack, startRecordingStack } from '../src/recording-stack.ts';
import { publishCamera, sfuStats as stats, until } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack } from '../src/stack.ts';

const run = promisify(execFile);

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
let rs: RecordingStack;
let stack: Stack;
let keyring: Keyring;
let tenant: Stack['tenants'][number];

const paths = () => rs.paths;

const sfuStats = () => stats(stack);

async function publish(
  device: Stack['tenants'][number]['devices'][number],
  opts: { tenantId?: string; prerecordS?: number } = {},
): Promise<WhipPublisher> {
  const pub = await publishCamera(
    stack,
    opts.tenantId ?? tenant.id,
    device,
    opts.prerecordS ? { prerecordS: opts.prerecordS } : {},
  );
  await pub.connected(10_000);
  return pub;
}

async function row(id: string) {
  const { rows } = await stack.db.pool.query(
    'SELECT id, tenant_id, device_id, unit_id, incident_id, state, started_at, stopped_at, bytes, media_type, plaintext_sha256, ciphertext_sha256 FROM recordings WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function rowsOf(deviceId: string) {
  const { rows } = await stack.db.pool.query(
    'SELECT id, state FROM recordings WHERE device_id = $1 ORDER BY started_at',
    [deviceId],
  );
  return rows as { id: string; state: string }[];
}

/** ffprobe on the decrypted stream, fed through a pipe: the plaintext never reaches a file. */
async function probeDecrypted(recordingId: string, tenantId = tenant.id) {
  const rec = await openRecording({
    store: localFolderStore(paths().vault),
    keyring,
    tenantId,
    recordingId,
  });
  const child = spawn(
    'ffprobe',
    [
      ...['-v', 'error', '-of', 'json', '-show_entries', 'stream=codec_type,codec_name:packet=pts_time'],
      ...['-i', 'pipe:0'],
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  rec
    .readAll()
    .pipe(child.stdin)
    .on('error', () => {});
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const json = JSON.parse(out || '{}') as {
    streams?: { codec_type: string; codec_name: string }[];
    packets?: { pts_time?: string }[];
  };
  const pts = (json.packets ?? []).map((p) => Number(p.pts_time)).filter((x) => Number.isFinite(x));
  return {
    code,
    status: rec.status,
    size: rec.size,
    streams: (json.streams ?? []).map((s) => `${s.codec_type}:${s.codec_name}`).sort(),
    durationS: pts.length ? Math.max(...pts) - Math.min(...pts) : 0,
  };
}

async function scanForEbml(root: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await readFile(p)).includes(EBML_MAGIC)) hits.push(p);
    }
  };
  await walk(root);
  return hits;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
async function cpuS(pid: number): Promise<number> {
  const f = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

beforeAll(async () => {
  rs = await startRecordingStack('recorder', { devicesPerTenant: 3 });
  ({ stack, keyring } = rs);
  tenant = stack.tenants[0]!;
}, 120_000);

afterAll(async () => {
  await rs?.stop();
});

describe('the SFU records a published stream into the vault', () => {
  let recordingId: string;
  const cpu: Record<string, number> = {};

  it('a camera recording 10 s leaves a complete, signed, encrypted recording and a complete row', async () => {
    const device = tenant.devices[0]!;
    const pub = await publish(device);
    await until(
      async () => (await sfuStats()).recordings.some((r) => r.plaintextBytes > 0),
      10_000,
      'recorder output',
    );
    const live = (await sfuStats()).recordings.find((r) => r.deviceId === device.deviceId)!;
    recordingId = live.recordingId;
    expect((await row(recordingId)).state).toBe('recording');
    // CPU of this one stream's recorder: ffmpeg, the SFU's Node (RTP → ffmpeg → AES-GCM → disk), workers
    const sfuPid = stack.sfu!.child.pid!;
    const workerPids = (await sfuStats()).workers.map((w) => w.pid);
    const before = {
      ff: await cpuS(live.ffmpegPid!),
      sfu: await cpuS(sfuPid),
      w: (await Promise.all(workerPids.map(cpuS))).reduce((a, b) => a + b, 0),
    };
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const wallS = (performance.now() - t0) / 1000;
    cpu.ffmpegPct = (((await cpuS(live.ffmpegPid!)) - before.ff) / wallS) * 100;
    cpu.sfuNodePct = (((await cpuS(sfuPid)) - before.sfu) / wallS) * 100;
    cpu.workersPct =
      (((await Promise.all(workerPids.map(cpuS))).reduce((a, b) => a + b, 0) - before.w) / wallS) * 100;
    await pub.close();

    // ffmpeg finishes its container when its RTP read times out (10 s after the stream ended)
    await until(async () => (await row(recordingId)).state !== 'recording', 25_000, 'row completed');
    const r = await row(recordingId);
    expect(r).toMatchObject({
      state: 'complete',
      tenant_id: tenant.id,
      device_id: device.deviceId,
      media_type: 'video/webm',
    });
    expect(r.stopped_at.getTime() - r.started_at.getTime()).toBeGreaterThan(9_000);
    expect(Number(r.bytes)).toBeGreaterThan(50_000);
    const audit = await stack.db.pool.query(`SELECT action FROM audit_log WHERE target = $1 ORDER BY seq`, [
      `recording:${recordingId}`,
    ]);
    expect(audit.rows.map((a) => a.action)).toEqual(['recording_started', 'recording_sealed']);
    console.log(`[recorder] CPU per stream (% of one core) ${JSON.stringify(cpu)} bytes=${r.bytes}`);
  }, 60_000);

  it('the manifest verifies with openssl, the segments hash to it, the video decrypts to VP8 + Opus of ~10 s', async () => {
    const recDir = join(paths().vault, tenant.id, recordingId);
    const files = (await readdir(recDir)).sort();
    expect(files).toEqual(
      expect.arrayContaining(['key.json', 'manifest.json', 'manifest.sig', 'seg-000000.lbv']),
    );
    expect(files.filter((f) => f.startsWith('seg-')).length).toBeGreaterThanOrEqual(2); // rolling segments
    const { stdout } = await run('openssl', [
      // the recorder's own key signs manifests, not the gateway's checkpoint key (issue 13)
      ...['pkeyutl', '-verify', '-pubin', '-inkey', paths().recorderPub, '-rawin'],
      ...['-in', join(recDir, 'manifest.json'), '-sigfile', join(recDir, 'manifest.sig')],
    ]);
    expect(stdout).toContain('Signature Verified Successfully');
    const manifest = JSON.parse(await readFile(join(recDir, 'manifest.json'), 'utf8'));
    const h = createHash('sha256');
    for (const f of files.filter((x) => x.startsWith('seg-'))) h.update(await readFile(join(recDir, f)));
    expect(h.digest('hex')).toBe(manifest.ciphertextSha256);
    expect(manifest).toMatchObject({
      recordingId,
      tenantId: tenant.id,
      mediaType: 'video/webm',
      prerecordS: 0,
    });
    expect((await row(recordingId)).plaintext_sha256).toBe(manifest.plaintextSha256);

    const probe = await probeDecrypted(recordingId);
    expect(probe.status).toBe('complete');
    expect(probe.code).toBe(0);
    // the camera's audio, its talkback track (sfu/SPEC.md K6: silence here, nobody spoke) and video
    expect(probe.streams).toEqual(['audio:opus', 'audio:opus', 'video:vp8']);
    expect(probe.durationS).toBeGreaterThan(8.5);
    expect(probe.durationS).toBeLessThan(13);
    // issue 13: the signed start and stop span exactly the media the file holds
    const manifestS = (manifest.stoppedAt - manifest.startedAt) / 1000;
    expect(Math.abs(manifestS - probe.durationS)).toBeLessThan(0.5);
    console.log(`[recorder] decrypted: ${JSON.stringify(probe)}, manifest span ${manifestS} s`);
  }, 30_000);

  it('no plaintext WebM exists on disk: vault, the SFU/ffmpeg temp dir, the stack', async () => {
    expect(await scanForEbml(paths().vault)).toEqual([]);
    expect(await scanForEbml(paths().sfuTmp)).toEqual([]);
    // the SDP handed to ffmpeg is removed with its stream
    expect(await readdir(paths().sfuTmp)).toEqual([]);
  }, 30_000);

  it("the recording plays in Chromium from the gateway's decrypting Range stream", async () => {
    const cookie = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const res = await fetch(`${stack.url}/api/recordings/${recordingId}/playback`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'recorder integration test: playback check' }),
    });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      // the stream needs the operator's session as well as the ticket: a page on the gateway's origin
      const [name, ...value] = cookie.split(';')[0]!.split('=');
      const context = await browser.newContext();
      await context.addCookies([{ name: name!, value: value.join('='), url: stack.url }]);
      const page = await context.newPage();
      await page.goto(`${stack.url}/api/recordings/${recordingId}`);
      await page.evaluate((src) => {
        const v = document.createElement('video');
        Object.assign(v, { id: 'v', muted: true, autoplay: true, src });
        document.body.append(v);
      }, url);
      const played = await page.waitForFunction(
        () => {
          const v = document.getElementById('v') as HTMLVideoElement;
          return v.error
            ? { error: v.error.code }
            : v.currentTime > 2 && v.videoWidth > 0
              ? { t: v.currentTime, w: v.videoWidth, h: v.videoHeight }
              : false;
        },
        undefined,
        { timeout: 15_000 },
      );
      const r = (await played.jsonValue()) as { t?: number; w?: number; error?: number };
      expect(r.error).toBeUndefined();
      expect(r.w).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 40_000);

  it('killing ffmpeg mid-recording leaves a sealed, decryptable prefix, and recording goes on (issue 14)', async () => {
    const device = tenant.devices[1]!;
    const pub = await publish(device);
    await until(
      async () =>
        ((await sfuStats()).recordings.find((r) => r.deviceId === device.deviceId)?.plaintextBytes ?? 0) >
        100_000,
      15_000,
      'recorder output',
    );
    await new Promise((r) => setTimeout(r, 2_500)); // a few sealed segments
    const live = (await sfuStats()).recordings.find((r) => r.deviceId === device.deviceId)!;
    process.kill(live.ffmpegPid!, 'SIGKILL');
    await until(async () => (await row(live.recordingId)).state === 'incomplete', 10_000, 'row incomplete');
    const probe = await probeDecrypted(live.recordingId);
    // sealed as a prefix: every chunk it holds is signed for, its manifest says it was cut
    expect(probe.status).toBe('complete');
    expect(probe.size).toBeGreaterThan(50_000);
    expect(probe.streams).toContain('video:vp8');
    expect(probe.durationS).toBeGreaterThan(1);
    // the stream is still live: a continuation recording picks it up and is sealed at the end
    await until(
      async () =>
        ((await sfuStats()).recordings.find((r) => r.deviceId === device.deviceId)?.plaintextBytes ?? 0) > 0,
      15_000,
      'continuation recording',
    );
    await new Promise((r) => setTimeout(r, 2_000));
    await pub.close();
    await until(
      async () => (await rowsOf(device.deviceId)).every((x) => x.state !== 'recording'),
      25_000,
      'continuation sealed',
    );
    expect((await rowsOf(device.deviceId)).map((x) => x.state)).toEqual(['incomplete', 'complete']);
    const sealed = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE target = $1 AND action = 'recording_sealed'`,
      [`recording:${live.recordingId}`],
    );
    expect(sealed.rows[0]?.payload).toMatchObject({ complete: false, cut: 'ffmpeg_exit' });
    const manifest = JSON.parse(
      await readFile(join(paths().vault, tenant.id, live.recordingId, 'manifest.json'), 'utf8'),
    );
    expect(manifest.cut).toEqual({ reason: 'ffmpeg_exit', finalChunk: true });
    expect(manifest.plaintextBytes).toBe(probe.size);
  }, 60_000);

  // Issue 13: the manifest never claims video it does not hold. libwebrtc (the simulator's stack)
  // stamps every frame with the moment it is handed over, so it cannot send a past buffer with its
  // capture timing: whatever the device declares, the measured pre-recording is 0.
  it('a declared pre-recording buffer is audited as a claim; the manifest carries only the seconds the media holds', async () => {
    const [off, on] = stack.tenants as [Stack['tenants'][number], Stack['tenants'][number]];
    await stack.db.pool.query('UPDATE tenants SET prerecord_s = 30 WHERE id = $1', [on.id]);
    const devOff = off.devices[2]!;
    const devOn = on.devices[0]!;
    const publishedAt = Date.now();
    const pubs = [
      await publish(devOff, { tenantId: off.id, prerecordS: 30 }),
      await publish(devOn, { tenantId: on.id, prerecordS: 45 }),
    ];
    await until(
      async () => (await sfuStats()).recordings.filter((r) => r.plaintextBytes > 0).length === 2,
      15_000,
      'both recording',
    );
    await new Promise((r) => setTimeout(r, 3000));
    const closedAt = Date.now();
    await Promise.all(pubs.map((p) => p.close()));
    const ids = (
      await stack.db.pool.query('SELECT id, device_id, tenant_id FROM recordings WHERE device_id = ANY($1)', [
        [devOff.deviceId, devOn.deviceId],
      ])
    ).rows as { id: string; device_id: string; tenant_id: string }[];
    await until(
      async () => (await Promise.all(ids.map((r) => row(r.id)))).every((r) => r.state === 'complete'),
      25_000,
      'sealed',
    );
    for (const r of ids) {
      const manifest = JSON.parse(
        await readFile(join(paths().vault, r.tenant_id, r.id, 'manifest.json'), 'utf8'),
      );
      const db = (
        await stack.db.pool.query(
          'SELECT prerecord_s, started_at, stopped_at FROM recordings WHERE id = $1',
          [r.id],
        )
      ).rows[0] as { prerecord_s: number; started_at: Date; stopped_at: Date };
      const probe = await probeDecrypted(r.id, r.tenant_id);
      expect(probe.code).toBe(0);
      // nothing older than the publish arrived, so nothing older is claimed
      expect(manifest.prerecordS).toBe(0);
      expect(db.prerecord_s).toBe(0);
      expect(manifest.startedAt).toBeGreaterThanOrEqual(publishedAt);
      expect(db.started_at.getTime()).toBe(manifest.startedAt);
      expect(db.stopped_at.getTime()).toBe(manifest.stoppedAt);
      // the file holds no more than the live time since the publish: its pre-recorded part is 0 s
      expect(probe.durationS).toBeLessThan((closedAt - publishedAt) / 1000 + 0.5);
      const manifestS = (manifest.stoppedAt - manifest.startedAt) / 1000;
      expect(Math.abs(manifestS - probe.durationS)).toBeLessThan(0.5);
      console.log(
        `[recorder] prerecord: ffprobe ${probe.durationS.toFixed(2)} s, manifest ${manifestS} s, prerecordS ${manifest.prerecordS}`,
      );
    }
    const started = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE target = $1 AND action = 'recording_started'`,
      [`recording:${ids.find((r) => r.device_id === devOn.deviceId)!.id}`],
    );
    expect(started.rows[0]?.payload).toMatchObject({ declaredPrerecordS: 45 });
  }, 60_000);

  // Last: it kills the stack's SFU and replaces it with a new process of the same configuration.
  it('an SFU killed mid-recording leaves a decryptable prefix; its next start seals it and marks the row incomplete', async () => {
    const other = stack.tenants[1]!;
    const device = other.devices[1]!;
    const pub = await publish(device, { tenantId: other.id });
    await until(
      async () =>
        ((await sfuStats()).recordings.find((r) => r.deviceId === device.deviceId)?.plaintextBytes ?? 0) >
        60_000,
      20_000,
      'recorder output',
    );
    const live = (await sfuStats()).recordings.find((r) => r.deviceId === device.deviceId)!;
    const sfuPid = stack.sfu!.child.pid!;
    const env = Object.fromEntries(
      (await readFile(`/proc/${sfuPid}/environ`, 'utf8'))
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    process.kill(sfuPid, 'SIGKILL');
    await stack.sfu!.exited;
    expect((await row(live.recordingId)).state).toBe('recording');
    const prefix = await probeDecrypted(live.recordingId, other.id);
    expect(prefix.status).toBe('incomplete');
    expect(prefix.size).toBeGreaterThan(32_000);
    expect(prefix.streams).toContain('video:vp8');
    // ffmpeg does not outlive its SFU for long: no RTP (and a closed stdout) ends it
    await until(
      async () => {
        try {
          process.kill(live.ffmpegPid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      20_000,
      'orphaned ffmpeg gone',
    );
    const next = await spawnService({ name: 'sfu-restarted', entry: SFU_ENTRY, env });
    try {
      const r = await row(live.recordingId);
      expect(r.state).toBe('incomplete');
      expect(Number(r.bytes)).toBe(prefix.size);
      const audit = await stack.db.pool.query(
        `SELECT actor, payload FROM audit_log WHERE target = $1 AND action = 'recording_sealed'`,
        [`recording:${live.recordingId}`],
      );
      expect(audit.rows[0]).toMatchObject({
        actor: 'system:recorder',
        payload: { complete: false, cut: 'sfu_restart' },
      });
    } finally {
      await pub.close().catch(() => {});
      await next.stop();
    }
  }, 90_000);
});
