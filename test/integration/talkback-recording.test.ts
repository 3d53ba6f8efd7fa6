/**
 * [K6] Talkback is part of the recording (issue 16): the recording of a camera that was spoken to
 * holds a second audio track with the speaker's voice (Chromium's fake microphone beeps) and digital
 * silence where nobody spoke. Checked on the decrypted recording with ffmpeg's volumedetect, fed
 * through a pipe (the plaintext never reaches a file).
 */
import { spawn } from 'node:child_process';
import { localFolderStore, openRecording } from '@lagebild/vault';
import { type Browser, chromium } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { type RecordingStack, startRecordingStack } from '../src/recording-stack.ts';
import { publishCamera, sfuStats, until } from '../src/sfu.ts';
import { DEMO_PASSWORD } from '../src/stack.ts';

let rs: RecordingStack;
let browser: Browser;

beforeAll(async () => {
  rs = await startRecordingStack('talkback', { devicesPerTenant: 1 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rs?.stop();
});

/** max_volume (dB) of the recording's talkback track (the second audio stream), or of a part of it */
async function maxVolumeDb(tenantId: string, recordingId: string, trim = ''): Promise<number> {
  const rec = await openRecording({
    store: localFolderStore(rs.paths.vault),
    keyring: rs.keyring,
    tenantId,
    recordingId,
  });
  const child = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-i',
      'pipe:0',
      '-map',
      '0:a:1',
      '-af',
      `${trim}volumedetect`,
      '-f',
      'null',
      '-',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  rec
    .readAll()
    .pipe(child.stdin)
    .on('error', () => {});
  await new Promise((resolve) => child.on('close', resolve));
  const m = /max_volume: (-?[\d.]+|-inf) dB/.exec(err);
  if (!m) throw new Error(`no volumedetect result: ${err.slice(-500)}`);
  return m[1] === '-inf' ? Number.NEGATIVE_INFINITY : Number(m[1]);
}

it('[K6] the recording holds the talkback as its own audio track: the voice, and silence before it', async () => {
  const { stack } = rs;
  const tenant = stack.tenants[0]!;
  const dev = tenant.devices[0]!;
  const cam = await publishCamera(stack, tenant.id, dev);
  await cam.connected();
  await until(
    async () => (await sfuStats(stack)).recordings.some((r) => r.deviceId === dev.deviceId),
    10_000,
    'recording',
  );
  await new Promise((r) => setTimeout(r, 2500)); // the first seconds: nobody speaks

  const cookie = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
  const vt = await fetch(`${stack.url}/api/video/viewer-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ deviceId: dev.deviceId, reason: { kind: 'other', text: 'talkback recorded' } }),
  });
  const { token } = (await vt.json()) as { token: string };
  const page = await browser.newPage();
  await page.goto(`${stack.sfu!.url}/healthz`);
  const talked = await page.evaluate(
    async ({ url, token }) => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      pc.addTransceiver(stream.getAudioTracks()[0]!, { direction: 'sendonly', streams: [stream] });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((r) => setTimeout(r, 300));
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      if (res.status !== 201) return res.status;
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      await new Promise((r) => setTimeout(r, 3000)); // hold "Sprechen" for 3 s
      await fetch(new URL(res.headers.get('location')!, url), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      pc.close();
      return res.status;
    },
    { url: `${stack.sfu!.url}/talkback/${dev.deviceId}`, token },
  );
  expect(talked).toBe(201);
  await new Promise((r) => setTimeout(r, 1000));
  await cam.close();

  const rows = async () =>
    (
      await stack.db.pool.query<{ id: string; state: string }>(
        'SELECT id, state FROM recordings WHERE device_id = $1',
        [dev.deviceId],
      )
    ).rows;
  await until(async () => (await rows())[0]?.state === 'complete', 30_000, 'sealed');
  const id = (await rows())[0]!.id;
  const whole = await maxVolumeDb(tenant.id, id);
  const firstSecond = await maxVolumeDb(tenant.id, id, 'asetpts=PTS-STARTPTS,atrim=0:1,');
  console.log(`[talkback] talkback track max volume: whole ${whole} dB, first second ${firstSecond} dB`);
  expect(whole).toBeGreaterThan(-30); // the fake microphone's beep
  expect(firstSecond).toBeLessThan(-60); // silence frames before anyone spoke
  // the recording ended: its talkback relay is released, nothing is left in the router
  await until(async () => (await sfuStats(stack)).transports === 0, 5000, 'no transport left');
  await page.close();
}, 90_000);
