/**
 * [W9] A WHIP client that is not ours: Debian's Chromium (fake camera) with the browser's own
 * RTCPeerConnection and fetch, as any web WHIP publisher does it, cross-origin (CORS). A Node
 * viewer then receives its H.264 or VP8 video through the SFU.
 */
import { signToken } from '@lagebild/tokens';
import { type Browser, chromium } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { sfuStats } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack, startStack, TEST_MEDIA_SECRET } from '../src/stack.ts';
import { watchStream } from '../src/video-viewer.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ sfu: true, devicesPerTenant: 2 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

for (const codec of ['VP8', 'H264'] as const) {
  it(`[W9] Chromium publishes ${codec} over WHIP with fetch; a viewer decodes it`, async () => {
    const tenant = stack.tenants[0]!;
    const deviceId = tenant.devices[codec === 'VP8' ? 0 : 1]!.deviceId;
    const token = signToken(
      TEST_MEDIA_SECRET,
      { typ: 'device', tenantId: tenant.id, deviceId },
      60_000,
    ).token;
    const page = await browser.newPage();
    await page.goto(`${stack.sfu!.url}/healthz`); // localhost: a secure context, so getUserMedia exists
    const result = await page.evaluate(
      async ({ url, token, codec }) => {
        const stream = await navigator.mediaDevices.getUserMedia({
          video: { width: 640, height: 360 },
          audio: true,
        });
        const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
        for (const track of stream.getTracks()) {
          const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
          if (track.kind === 'video') {
            const caps = RTCRtpSender.getCapabilities('video')!.codecs;
            t.setCodecPreferences([
              ...caps.filter((c) => c.mimeType === `video/${codec}`),
              ...caps.filter((c) => c.mimeType !== `video/${codec}`),
            ]);
          }
        }
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === 'complete') resolve();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          setTimeout(resolve, 2000);
        });
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
          body: pc.localDescription!.sdp,
        });
        const answer = await res.text();
        const location = res.headers.get('location');
        if (res.status !== 201) return { status: res.status, answer, location, state: 'refused' };
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        await new Promise<void>((resolve) => {
          pc.onconnectionstatechange = () => pc.connectionState === 'connected' && resolve();
          setTimeout(resolve, 8000);
        });
        (window as unknown as { pc: RTCPeerConnection }).pc = pc;
        return { status: res.status, answer, location, state: pc.connectionState };
      },
      { url: `${stack.sfu!.url}/whip/${deviceId}`, token, codec },
    );
    expect(result.status).toBe(201);
    expect(result.location).toMatch(new RegExp(`^/whip/${deviceId}/`));
    expect(result.state).toBe('connected');
    expect(result.answer).toContain(codec === 'VP8' ? 'VP8/90000' : 'H264/90000');

    const cookie = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const res = await fetch(`${stack.url}/api/video/viewer-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ deviceId, reason: { kind: 'other', text: 'WHIP interop test' } }),
    });
    const { token: vt } = (await res.json()) as { token: string };
    const viewer = await watchStream(`${stack.url}/sfu/v1`, vt, { cookie });
    if (codec === 'VP8') {
      await viewer.waitFrames(10, 10_000);
      expect(viewer.frames.at(-1)!.width).toBeGreaterThan(0);
    } else {
      // libwebrtc in wrtc decodes no H.264, so the Node viewer gets audio only; the SFU shows the
      // H.264 producer receiving media instead.
      const bytes = async () => {
        const s = await sfuStats(stack);
        return s.streams.find((x) => x.deviceId === deviceId)!;
      };
      const first = await bytes();
      expect(first.videoCodec).toBe('video/H264');
      await new Promise((r) => setTimeout(r, 1000));
      expect((await bytes()).bytesReceived).toBeGreaterThan(first.bytesReceived + 10_000);
    }
    await viewer.close();
    const del = await page.evaluate(
      async ({ url, token }) =>
        (await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status,
      { url: new URL(result.location!, stack.sfu!.url).toString(), token },
    );
    expect(del).toBe(200);
    await page.close();
  }, 40_000);
}
