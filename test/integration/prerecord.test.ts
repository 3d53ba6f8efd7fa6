/**
 * Issue 13, pre-recording for real: a camera (GStreamer webrtcbin, sim/camera/prerecord-camera.py)
 * keeps a ring of encoded video, and on the button press publishes over WHIP and sends the ring
 * first with its original timestamps, twice as fast as real time, then live. The SFU's recorder
 * must sign only what arrived: the manifest's duration and `prerecordS` are checked against ffprobe
 * on the decrypted video and the camera's own report of when it captured and sent what.
 * Real PostgreSQL, Redis, gateway, SFU, mediasoup, ffmpeg.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPrerecordCamera } from '@lagebild/sim/prerecord-camera';
import { signToken } from '@lagebild/tokens';
import { type Keyring, localFolderStore, openRecording } from '@lagebild/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingStack, startRecordingStack } from '../src/recording-stack.ts';
import { until } from '../src/sfu.ts';
import { type Stack, TEST_MEDIA_SECRET } from '../src/stack.ts';

let rs: RecordingStack;
let stack: Stack;
let keyring: Keyring;

const paths = () => rs.paths;

/** pts span of the decrypted video, through a pipe: the plaintext never reaches a file */
async function probeSpanS(tenantId: string, recordingId: string): Promise<number> {
  const rec = await openRecording({ store: localFolderStore(paths().vault), keyring, tenantId, recordingId });
  const child = spawn('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-show_entries',
    'packet=pts_time',
    '-i',
    'pipe:0',
  ]);
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  rec
    .readAll()
    .pipe(child.stdin)
    .on('error', () => {});
  await new Promise((resolve) => child.on('close', resolve));
  const pts = ((JSON.parse(out || '{}').packets ?? []) as { pts_time?: string }[])
    .map((p) => Number(p.pts_time))
    .filter(Number.isFinite);
  return Math.max(...pts) - Math.min(...pts);
}

beforeAll(async () => {
  rs = await startRecordingStack('prerecord', { devicesPerTenant: 1 });
  ({ stack, keyring } = rs);
}, 120_000);

afterAll(async () => {
  await rs?.stop();
});

describe('pre-recording (issue 13)', () => {
  it('[D27] a camera that sends its buffer gets the seconds that arrived signed, matching ffprobe within 0.5 s', async () => {
    const tenant = stack.tenants[0]!;
    const device = tenant.devices[0]!;
    await stack.db.pool.query('UPDATE tenants SET prerecord_s = 30 WHERE id = $1', [tenant.id]);
    const token = signToken(
      TEST_MEDIA_SECRET,
      { typ: 'device', tenantId: tenant.id, deviceId: device.deviceId },
      120_000,
    ).token;
    const events = await runPrerecordCamera({
      whipUrl: `${stack.sfu!.url}/whip/${device.deviceId}`,
      token,
      bufferS: 8,
      pressAfterS: 10,
      speedup: 2,
      liveS: 3,
      declareS: 60,
    });
    const ev = (name: string) => events.find((e) => e.event === name)!;
    const { rows } = await stack.db.pool.query('SELECT id FROM recordings WHERE device_id = $1', [
      device.deviceId,
    ]);
    expect(rows).toHaveLength(1);
    const id = rows[0].id as string;
    await until(
      async () =>
        (await stack.db.pool.query('SELECT state FROM recordings WHERE id = $1', [id])).rows[0]?.state ===
        'complete',
      30_000,
      'sealed',
    );
    const manifest = JSON.parse(await readFile(join(paths().vault, tenant.id, id, 'manifest.json'), 'utf8'));
    const spanS = await probeSpanS(tenant.id, id);
    // what the file holds, by ffprobe and the camera's clock: it ends with the last frame the camera
    // captured and sent, so it begins spanS before that; the stream reached the SFU when the
    // camera started sending, and everything captured before that came from the ring
    const firstCapturedMs = (ev('stopped').lastCaptureMs as number) - spanS * 1000;
    const prerecordedS = ((ev('sending').wallMs as number) - firstCapturedMs) / 1000;
    const manifestS = (manifest.stoppedAt - manifest.startedAt) / 1000;
    console.log(
      `[prerecord] ring ${Number(ev('pressed').bufferedS).toFixed(2)} s, ffprobe ${spanS.toFixed(2)} s, ` +
        `manifest ${manifestS.toFixed(2)} s; pre-recorded by ffprobe ${prerecordedS.toFixed(2)} s, manifest prerecordS ${manifest.prerecordS}`,
    );
    expect(Math.abs(manifestS - spanS)).toBeLessThan(0.5);
    expect(Math.abs(manifest.prerecordS - prerecordedS)).toBeLessThan(0.5);
    expect(Math.abs(manifest.startedAt - firstCapturedMs)).toBeLessThan(500);
    // the buffer arrived, nearly all of it: what the camera sent before the recorder's consumer was
    // resumed (a few hundred ms at 2× real time) is not in the file and is not counted; never more
    // than the camera had buffered by the time it sent
    expect(manifest.prerecordS).toBeGreaterThan(5);
    expect(manifest.prerecordS).toBeLessThan(
      ((ev('sending').wallMs as number) - (ev('sending').firstCaptureMs as number)) / 1000,
    );
    const row = (
      await stack.db.pool.query('SELECT prerecord_s, started_at FROM recordings WHERE id = $1', [id])
    ).rows[0];
    expect(row.prerecord_s).toBeCloseTo(manifest.prerecordS, 3);
    expect(row.started_at.getTime()).toBe(manifest.startedAt);
    // the declaration is audited as a claim, and is not what was signed
    const started = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE target = $1 AND action = 'recording_started'`,
      [`recording:${id}`],
    );
    expect(started.rows[0]?.payload).toMatchObject({ declaredPrerecordS: 60 });
  }, 120_000);
});
