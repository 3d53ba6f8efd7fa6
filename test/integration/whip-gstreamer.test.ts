/**
 * [W9][W13][W14] GStreamer's webrtcbin publishes over WHIP (issue 16): the third WebRTC stack of
 * the suite beside Chromium and libwebrtc (wrtc). webrtcbin with bundle-policy=max-bundle offers
 * its second section as `m=audio 0 … a=bundle-only`; the SFU used to reject that section and
 * webrtcbin then refused the whole answer. Every publish here is seen by the SFU (producer_up on
 * Redis) and reaches a libwebrtc viewer (decoded frames, or the H.264 producer's byte count).
 *
 * Connect time = from the 201 to ICE+DTLS connected, for each stack, printed as a table at the end.
 * The SFU listens on the host's first non-loopback IPv4 address: libnice (webrtcbin's ICE) never
 * gathers loopback candidates, and its UDP checks from the host address to an SFU on 127.0.0.1
 * went unanswered, so it settled on TCP only after its UDP pair timed out (≈ 2.1 s: libnice's
 * regular nomination waits for every higher-priority pair). A camera never talks to a loopback SFU.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { MEDIA_CHANNEL, type MediaEvent } from '@lagebild/protocol';
import { publishWhip } from '@lagebild/sim/whip';
import { Redis } from 'ioredis';
import { type Browser, chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/clients.ts';
import { gstPublish, gstUnavailable } from '../src/gst-whip.ts';
import { deviceToken, sfuStats, viewerTokenFor } from '../src/sfu.ts';
import { type Stack, startStack } from '../src/stack.ts';
import { watchStream } from '../src/video-viewer.ts';

const missing = gstUnavailable();
/** the SFU's RTC address: a host address if there is one (see the header) */
const hostIp =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';

let stack: Stack;
let sub: Redis;
let browser: Browser | undefined;
const media: MediaEvent[] = [];
const connectMs: Record<string, number[]> = {};
let nextDevice = 0;

function device() {
  const tenant = stack.tenants[0]!;
  const deviceId = tenant.devices[nextDevice++]!.deviceId;
  return {
    tenantId: tenant.id,
    deviceId,
    whipUrl: `${stack.sfu!.url}/whip/${deviceId}`,
    token: deviceToken(tenant.id, deviceId),
  };
}

const record = (stackName: string, ms: number) => {
  connectMs[stackName] = [...(connectMs[stackName] ?? []), Math.round(ms)];
};

const upOf = (deviceId: string) =>
  media.find((e) => e.type === 'producer_up' && e.deviceId === deviceId) as
    | Extract<MediaEvent, { type: 'producer_up' }>
    | undefined;

async function watch(tenantId: string, deviceId: string) {
  const token = viewerTokenFor({
    tenantId,
    userId: randomUUID(),
    deviceId,
    sid: randomBytes(16).toString('hex'),
  });
  return watchStream(`${stack.sfu!.url}/sfu/v1`, token);
}

async function unpublish(d: { whipUrl: string; token: string }, location: string) {
  const res = await fetch(new URL(location, d.whipUrl), {
    method: 'DELETE',
    headers: { authorization: `Bearer ${d.token}` },
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  if (missing) return;
  stack = await startStack({ sfu: true, devicesPerTenant: 12, sfuEnv: { SFU_LISTEN_IP: hostIp } });
  sub = new Redis(stack.redis.url);
  sub.on('message', (_ch, raw: string) => media.push(JSON.parse(raw) as MediaEvent));
  await sub.subscribe(MEDIA_CHANNEL);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  sub?.disconnect();
  await stack?.stop();
  const rows = Object.entries(connectMs).map(([name, ms]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return `  ${name.padEnd(28)} ${sorted.join(', ')} ms`;
  });
  if (rows.length > 0)
    console.log(`WHIP connect time (201 → ICE+DTLS connected), SFU on ${hostIp}:\n${rows.join('\n')}`);
});

describe.skipIf(missing !== null)('GStreamer webrtcbin publishes over WHIP', () => {
  for (const bundlePolicy of ['max-bundle', 'max-compat'] as const) {
    it(`[W9][W13][W14] ${bundlePolicy}: VP8 + Opus, announced, a viewer decodes frames`, async () => {
      const d = device();
      const gst = gstPublish({ ...d, bundlePolicy });
      try {
        const offer = await gst.next('offer');
        if (bundlePolicy === 'max-bundle') {
          expect(offer.sdp).toMatch(/\r\nm=audio 0 /);
          expect(offer.sdp).toContain('\r\na=bundle-only\r\n');
        }
        const answer = await gst.next('answer');
        expect(answer.status).toBe(201);
        const connected = await gst.next('connected', 10_000);
        record(`GStreamer ${bundlePolicy}`, connected.ms!);
        await waitFor(() => upOf(d.deviceId) !== undefined, 10_000, 'producer_up');
        expect(upOf(d.deviceId)!.stream.kinds.sort()).toEqual(['audio', 'video']);
        expect(upOf(d.deviceId)!.stream.videoCodec).toBe('video/VP8');
        const viewer = await watch(d.tenantId, d.deviceId);
        await viewer.waitFrames(10, 10_000);
        expect(viewer.frames.at(-1)!.width).toBe(320);
        await viewer.close();
        await unpublish(d, answer.location!);
        await waitFor(
          () => media.some((e) => e.type === 'producer_down' && e.deviceId === d.deviceId),
          5000,
          'producer_down',
        );
        if (hostIp !== '127.0.0.1') expect(connected.ms).toBeLessThan(1000);
      } finally {
        await gst.stop();
      }
    }, 40_000);
  }

  it('[W1][W9] H.264 video only (openh264): announced as video/H264, bytes reach the SFU', async () => {
    const d = device();
    const gst = gstPublish({ ...d, video: 'h264', audio: 'none' });
    try {
      expect((await gst.next('answer')).status).toBe(201);
      record('GStreamer H.264 video-only', (await gst.next('connected')).ms!);
      await waitFor(() => upOf(d.deviceId) !== undefined, 10_000, 'producer_up');
      expect(upOf(d.deviceId)!.stream).toMatchObject({ kinds: ['video'], videoCodec: 'video/H264' });
      // libwebrtc in wrtc decodes no H.264: the producer's byte count shows the stream instead
      const bytes = async () => (await sfuStats(stack)).streams.find((s) => s.deviceId === d.deviceId)!;
      const first = await bytes();
      await new Promise((r) => setTimeout(r, 1000));
      expect((await bytes()).bytesReceived).toBeGreaterThan(first.bytesReceived + 5_000);
    } finally {
      await gst.stop();
    }
  }, 30_000);

  it('[W15] a webrtcbin camera stays live past mediasoup’s 30-s consent window; one that falls silent is closed', async () => {
    // libnice 0.1.21 keeps the pair alive with binding indications, not consent requests: with
    // mediasoup's default iceConsentTimeout (30 s) the SFU stopped such a camera 30 s after it
    // connected and closed it 15 s later (found by bench:video's capacity part)
    const d = device();
    const gst = gstPublish({ ...d, audio: 'none', durationS: 150 });
    try {
      expect((await gst.next('answer')).status).toBe(201);
      await gst.next('connected', 15_000);
      await waitFor(() => upOf(d.deviceId) !== undefined, 10_000, 'producer_up');
      await new Promise((r) => setTimeout(r, 50_000));
      const down = () => media.find((e) => e.type === 'producer_down' && e.deviceId === d.deviceId);
      expect(down()).toBeUndefined();
      const bytes = async () =>
        (await sfuStats(stack)).streams.find((s) => s.deviceId === d.deviceId)?.bytesReceived ?? 0;
      const before = await bytes();
      await new Promise((r) => setTimeout(r, 1000));
      expect(await bytes()).toBeGreaterThan(before + 5_000);
      // a camera that sends nothing more (frozen: no RTP, no RTCP, no STUN) is taken as gone
      process.kill(gst.pid, 'SIGSTOP');
      const frozenAt = Date.now();
      await waitFor(() => down() !== undefined, 30_000, 'producer_down of the silent camera');
      const goneMs = Date.now() - frozenAt;
      console.log(`[W15] silent camera closed ${goneMs} ms after it froze (SFU_PEER_TIMEOUT_MS 15 s)`);
      expect(goneMs).toBeGreaterThanOrEqual(14_000); // not before the peer timeout
    } finally {
      await gst.stop();
    }
  }, 120_000);

  it('[W1][W9] audio only: announced with kinds [audio]', async () => {
    const d = device();
    const gst = gstPublish({ ...d, video: 'none', audio: 'opus' });
    try {
      expect((await gst.next('answer')).status).toBe(201);
      record('GStreamer audio-only', (await gst.next('connected')).ms!);
      await waitFor(() => upOf(d.deviceId) !== undefined, 10_000, 'producer_up');
      expect(upOf(d.deviceId)!.stream).toMatchObject({ kinds: ['audio'], videoCodec: null });
    } finally {
      await gst.stop();
    }
  }, 30_000);

  it('[W8][W9] trickle: POST before gathering, each candidate PATCHed (204), then connected', async () => {
    const d = device();
    const gst = gstPublish({ ...d, trickle: true });
    try {
      // (the offer may already list candidates gathered while the POST was prepared)
      expect((await gst.next('answer')).status).toBe(201);
      record('GStreamer max-bundle trickle', (await gst.next('connected')).ms!);
      await waitFor(() => gst.events.some((e) => e.event === 'trickle'), 5000, 'a trickle PATCH');
      expect(gst.events.filter((e) => e.event === 'trickle').map((e) => e.status)).toSatisfy((s: number[]) =>
        s.every((x) => x === 204),
      );
      await waitFor(() => upOf(d.deviceId) !== undefined, 10_000, 'producer_up');
    } finally {
      await gst.stop();
    }
  }, 30_000);
});

describe.skipIf(missing !== null)('the other stacks on the same SFU, for the connect-time table', () => {
  it('[W9] libwebrtc (wrtc, the simulator) connects', async () => {
    for (let i = 0; i < 2; i++) {
      const d = device();
      const pub = await publishWhip({ whipUrl: d.whipUrl, token: d.token, label: 'wrtc', fps: 15 });
      const t0 = performance.now();
      await pub.connected(10_000);
      record('libwebrtc (wrtc)', performance.now() - t0);
      await pub.close();
    }
  }, 30_000);

  it('[W8] ICE restart over PATCH (libwebrtc; webrtcbin 1.22 keeps its credentials): new ETag, media keeps flowing', async () => {
    const d = device();
    const pub = await publishWhip({ whipUrl: d.whipUrl, token: d.token, label: 'wrtc', fps: 15 });
    try {
      await pub.connected(10_000);
      await waitFor(() => upOf(d.deviceId) !== undefined, 10_000, 'producer_up');
      const pc = pub.pc as unknown as {
        remoteDescription: { sdp: string } | null;
        createOffer(o: { iceRestart: boolean }): Promise<{ type: string; sdp: string }>;
        setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
        setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
      };
      const cred = (sdp: string) =>
        [/a=ice-ufrag:(\S+)/.exec(sdp)![1]!, /a=ice-pwd:(\S+)/.exec(sdp)![1]!] as const;
      const answer = pc.remoteDescription!.sdp;
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      const [ufrag, pwd] = cred(offer.sdp);
      const mid = /a=mid:(\S+)/.exec(offer.sdp)![1]!;
      const res = await fetch(pub.resourceUrl, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/trickle-ice-sdpfrag',
          authorization: `Bearer ${d.token}`,
          'if-match': pub.etag ?? '*',
        },
        body: `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n`,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).not.toBe(pub.etag);
      const [oldUfrag, oldPwd] = cred(answer);
      const [newUfrag, newPwd] = cred(await res.text());
      expect(newUfrag).not.toBe(oldUfrag);
      await pc.setRemoteDescription({
        type: 'answer',
        sdp: answer.replaceAll(oldUfrag, newUfrag).replaceAll(oldPwd, newPwd),
      });
      // the stream outlives the restart (this does not prove which credentials the consent checks use)
      const bytes = async () => (await sfuStats(stack)).streams.find((s) => s.deviceId === d.deviceId)!;
      const before = await bytes();
      await new Promise((r) => setTimeout(r, 3000));
      expect((await bytes()).bytesReceived).toBeGreaterThan(before.bytesReceived + 10_000);
      expect(pub.pc.connectionState).toBe('connected');
    } finally {
      await pub.close();
    }
  }, 30_000);

  it('[W9] Chromium (RTCPeerConnection + fetch) connects', async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    });
    const page = await browser.newPage();
    await page.goto(`${stack.sfu!.url}/healthz`); // a secure context: getUserMedia exists
    for (let i = 0; i < 2; i++) {
      const d = device();
      const ms = await page.evaluate(
        async ({ url, token }) => {
          const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
          const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
          for (const t of stream.getTracks())
            pc.addTransceiver(t, { direction: 'sendonly', streams: [stream] });
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
          const t0 = performance.now();
          await pc.setRemoteDescription({ type: 'answer', sdp: answer });
          await new Promise<void>((resolve, reject) => {
            pc.onconnectionstatechange = () => pc.connectionState === 'connected' && resolve();
            setTimeout(() => reject(new Error(`not connected: ${pc.connectionState}`)), 8000);
          });
          const ms = performance.now() - t0;
          pc.close();
          for (const t of stream.getTracks()) t.stop();
          return ms;
        },
        { url: d.whipUrl, token: d.token },
      );
      record('Chromium', ms);
    }
  }, 40_000);
});
