/**
 * [E1][E5][E8] GStreamer's webrtcbin as a WHEP player (issue 16): the second independent player
 * stack beside Chromium (whep.test.ts). Debian has no whepsrc, so test/src/gst-whip.py does the
 * exchange (`--mode play`) and decodes every received stream with decodebin, counting frames.
 * Cameras: the simulator (libwebrtc, VP8 + Opus) and webrtcbin itself (H.264 + Opus).
 *
 * The SFU listens on a host address, as in whip-gstreamer.test.ts: libnice gathers no loopback
 * candidates and an SFU on 127.0.0.1 costs it a 2 s UDP timeout before TCP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GstEvent, type GstPublisher, gstPlay, gstPublish, gstUnavailable } from '../src/gst-whip.ts';
import { deviceToken, publishCamera, sfuStats, until, viewerTokenFor } from '../src/sfu.ts';
import { type Stack, startStack } from '../src/stack.ts';

const missing = gstUnavailable();
const hostIp =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';

let stack: Stack;
const timings: string[] = [];

beforeAll(async () => {
  if (missing) return;
  stack = await startStack({ sfu: true, devicesPerTenant: 4, sfuEnv: { SFU_LISTEN_IP: hostIp } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (timings.length > 0) console.log(`WHEP with webrtcbin, SFU on ${hostIp}:\n${timings.join('\n')}`);
});

const framesOf = (p: GstPublisher) =>
  (p.events.filter((e) => e.event === 'frames').at(-1) as GstEvent | undefined) ?? { video: 0, audio: 0 };

function token(deviceId: string) {
  const tenant = stack.tenants[0]!;
  return viewerTokenFor({
    tenantId: tenant.id,
    userId: randomUUID(),
    deviceId,
    sid: randomBytes(16).toString('hex'),
  });
}

const live = (deviceId: string) =>
  until(async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === deviceId), 10_000, 'live');

describe.skipIf(missing !== null)('GStreamer webrtcbin plays over WHEP', () => {
  for (const trickle of [false, true]) {
    it(`[E1][E8]${trickle ? '[E5]' : ''} VP8 + Opus from the simulator, ${trickle ? 'trickle (PATCH per candidate)' : 'non-trickle'}: decoded frames and audio`, async () => {
      const tenant = stack.tenants[0]!;
      const dev = tenant.devices[trickle ? 1 : 0]!;
      const cam = await publishCamera(stack, tenant.id, dev);
      await cam.connected();
      await live(dev.deviceId);
      const t = token(dev.deviceId);
      const whepUrl = `${stack.sfu!.url}/whep/${dev.deviceId}`;
      const player = gstPlay({ whepUrl, token: t, trickle });
      try {
        const answer = await player.next('answer');
        expect(answer.status, answer.sdp).toBe(201);
        expect(answer.location).toMatch(new RegExp(`^/whep/${dev.deviceId}/`));
        const connected = await player.next('connected', 10_000);
        const first = await player.next('frame', 10_000);
        if (trickle) {
          const patches = player.events.filter((e) => e.event === 'trickle');
          expect(patches.length).toBeGreaterThan(0);
          expect(patches.every((e) => e.status === 204)).toBe(true);
        }
        await until(async () => (framesOf(player).video ?? 0) >= 15, 10_000, '15 decoded video frames');
        await until(async () => (framesOf(player).audio ?? 0) >= 10, 10_000, 'decoded audio');
        timings.push(
          `  ${trickle ? 'trickle    ' : 'non-trickle'} POST→201 ${answer.postMs} ms, 201→connected ${connected.ms} ms, 201→first frame ${first.ms} ms`,
        );
        const del = await fetch(new URL(answer.location!, whepUrl), {
          method: 'DELETE',
          headers: { authorization: `Bearer ${t}` },
        });
        expect(del.status).toBe(200);
        await until(async () => (await sfuStats(stack)).viewers === 0, 3000, 'session closed');
      } finally {
        await player.stop();
        await cam.close();
      }
    }, 60_000);
  }

  it('[E1] H.264 + Opus from a webrtcbin camera to a webrtcbin player (openh264 both ways)', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[2]!;
    const cam = gstPublish({
      whipUrl: `${stack.sfu!.url}/whip/${dev.deviceId}`,
      token: deviceToken(tenant.id, dev.deviceId, 120_000),
      video: 'h264',
    });
    const player = (() => {
      let p: GstPublisher | undefined;
      return {
        start: () => {
          p = gstPlay({
            whepUrl: `${stack.sfu!.url}/whep/${dev.deviceId}`,
            token: token(dev.deviceId),
            video: 'h264',
          });
          return p;
        },
        stop: () => p?.stop(),
      };
    })();
    try {
      expect((await cam.next('answer')).status).toBe(201);
      await cam.next('connected', 10_000);
      await live(dev.deviceId);
      const p = player.start();
      const answer = await p.next('answer');
      expect(answer.status, answer.sdp).toBe(201);
      expect(answer.sdp).toMatch(/H264\/90000/);
      const first = await p.next('frame', 10_000);
      await until(async () => (framesOf(p).video ?? 0) >= 10, 10_000, '10 decoded H.264 frames');
      timings.push(`  H.264      POST→201 ${answer.postMs} ms, 201→first frame ${first.ms} ms`);
    } finally {
      await player.stop();
      await cam.stop();
    }
  }, 60_000);
});
