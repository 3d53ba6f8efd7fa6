/**
 * [E1]–[E8] WHEP egress (issue 16): a unit's live stream leaves the SFU to any standard WHEP player.
 * The player here is Debian's Chromium with nothing but the browser's RTCPeerConnection and fetch
 * (no mediasoup-client, no app code); its viewer token comes
 * from the gateway with a reason and is audited as `live_watch` exactly like a tile. The camera is
 * the simulator (libwebrtc, VP8 + Opus). GStreamer's webrtcbin as a second player:
 * whep-gstreamer.test.ts.
 */
import { type Browser, chromium, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { publishCamera, sfuStats, until, viewerTokenFor } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let browser: Browser;
const firstFrameMs: number[] = [];

beforeAll(async () => {
  stack = await startStack({ sfu: true, devicesPerTenant: 8 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (firstFrameMs.length > 0)
    console.log(`WHEP (Chromium) first decoded frame after the POST: ${firstFrameMs.join(', ')} ms`);
});

interface PlayResult {
  status: number;
  body: string;
  location: string | null;
  etag: string | null;
  link: string | null;
  postMs: number;
  connectedMs: number | null;
  firstFrameMs: number | null;
}

/**
 * A WHEP player in the page: recvonly audio + video (or what `kinds` says), the whole offer after
 * gathering (non-trickle), POST, answer, then connected and the first decoded video frame.
 */
function play(
  page: Page,
  url: string,
  token: string,
  opts: { kinds?: ('audio' | 'video')[]; videoCodec?: string; contentType?: string } = {},
): Promise<PlayResult> {
  return page.evaluate(
    async ({ url, token, kinds, videoCodec, contentType }) => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      for (const kind of kinds) {
        const t = pc.addTransceiver(kind, { direction: 'recvonly' });
        if (kind === 'video' && videoCodec) {
          const caps = RTCRtpReceiver.getCapabilities('video')!.codecs;
          t.setCodecPreferences(caps.filter((c) => c.mimeType === videoCodec));
        }
      }
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, 2000);
      });
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      const body = await res.text();
      const postMs = performance.now() - t0;
      const out = {
        status: res.status,
        body,
        location: res.headers.get('location'),
        etag: res.headers.get('etag'),
        link: res.headers.get('link'),
        postMs,
        connectedMs: null as number | null,
        firstFrameMs: null as number | null,
      };
      if (res.status !== 201) {
        pc.close();
        return out;
      }
      const connected = new Promise<void>((resolve) => {
        pc.onconnectionstatechange = () => {
          if (pc.connectionState === 'connected') {
            out.connectedMs = performance.now() - t0;
            resolve();
          }
        };
      });
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      await Promise.race([connected, new Promise((r) => setTimeout(r, 8000))]);
      const deadline = performance.now() + 8000;
      while (performance.now() < deadline) {
        const stats = await pc.getStats();
        let frames = 0;
        let audioPackets = 0;
        stats.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
          if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += s.packetsReceived ?? 0;
        });
        const done = kinds.includes('video') ? frames > 0 : audioPackets > 0;
        if (done) {
          out.firstFrameMs = performance.now() - t0;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return out;
    },
    {
      url,
      token,
      kinds: opts.kinds ?? ['video', 'audio'],
      videoCodec: opts.videoCodec ?? '',
      contentType: opts.contentType ?? 'application/sdp',
    },
  );
}

/** what the page's player has received so far */
const received = (page: Page) =>
  page.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    const stats = await pc.getStats();
    let frames = 0;
    let audioPackets = 0;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += s.packetsReceived ?? 0;
    });
    return { frames, audioPackets, state: pc.connectionState };
  });

async function gatewayViewerToken(cookie: string, deviceId: string, text: string) {
  const res = await fetch(`${stack.url}/api/video/viewer-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ deviceId, reason: { kind: 'other', text } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { token: string; whepUrl: string | null; watchId: string };
}

const watchPhases = async (deviceId: string) =>
  (
    await stack.db.pool.query<{ phase: string; actor: string; reason: string | null; watch: string }>(
      `SELECT payload->>'phase' AS phase, actor, reason, payload->>'watchId' AS watch FROM audit_log
        WHERE action = 'live_watch' AND target = $1 ORDER BY seq`,
      [deviceId],
    )
  ).rows;

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  // the SFU's origin: Chromium refuses a fetch to a loopback port from another origin's page
  // (Private Network Access, CSP of the gateway's pages); CORS itself is checked with its preflight
  await page.goto(`${stack.sfu!.url}/healthz`);
  return page;
}

describe('WHEP egress', () => {
  it('[E1][E2][E3] Chromium plays a unit over WHEP with a gateway viewer token; the watch is audited like a tile', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[0]!;
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    const cookie = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const vt = await gatewayViewerToken(cookie, dev.deviceId, 'WHEP interop');
    expect(vt.whepUrl).toBe(`${stack.sfu!.url}/whep/${dev.deviceId}`);

    const page = await newPage();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const r = await play(page, vt.whepUrl!, vt.token);
    expect(r.status, r.body).toBe(201);
    expect(r.location).toMatch(new RegExp(`^/whep/${dev.deviceId}/[A-Za-z0-9_-]+$`));
    expect(r.etag).toMatch(/^"/);
    expect(r.body).toMatch(/a=sendonly/);
    expect(r.body).toMatch(/VP8\/90000/);
    expect(r.firstFrameMs, 'a decoded frame').not.toBeNull();
    firstFrameMs.push(Math.round(r.firstFrameMs!));
    await until(async () => (await received(page)).frames >= 15, 10_000, '15 decoded frames');
    expect((await received(page)).audioPackets).toBeGreaterThan(10);

    // [E3] the watch: authorised (gateway, with the reason), started and ended (SFU events), one watchId
    await until(async () => (await watchPhases(dev.deviceId)).length >= 2, 5000, 'authorised + started');
    const location = new URL(r.location!, vt.whepUrl!).toString();
    const del = await page.evaluate(
      async ({ location, token }) =>
        (await fetch(location, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status,
      { location, token: vt.token },
    );
    expect(del).toBe(200);
    await until(async () => (await watchPhases(dev.deviceId)).length >= 3, 5000, 'ended');
    const rows = await watchPhases(dev.deviceId);
    expect(rows.map((x) => x.phase)).toEqual(['authorised', 'started', 'ended']);
    expect(new Set(rows.map((x) => x.watch))).toEqual(new Set([vt.watchId]));
    expect(rows[0]!.reason).toBe('other: WHEP interop');
    expect(rows.every((x) => x.actor === `${tenant.slug}.operator`)).toBe(true);
    // [E4] the resource is gone, and so is everything the session held in the SFU
    const again = await fetch(location, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${vt.token}` },
    });
    expect(again.status).toBe(404);
    await until(async () => (await sfuStats(stack)).viewers === 0, 3000, 'session closed');
    await cam.close();
    await until(async () => (await sfuStats(stack)).transports === 0, 5000, 'no transport left (pipes too)');
    await page.close();
  }, 60_000);

  it('[E2][E7] refuses with the documented codes: 401, 403, 404, 405, 415, 422', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[1]!;
    const other = tenant.devices[2]!;
    const cam = await publishCamera(stack, tenant.id, dev, { audio: false });
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const page = await newPage();
    const token = viewerTokenFor({
      tenantId: tenant.id,
      userId: crypto.randomUUID(),
      deviceId: dev.deviceId,
      sid: 'a'.repeat(32),
    });
    const url = `${stack.sfu!.url}/whep/${dev.deviceId}`;

    const noToken = await play(page, url, '');
    expect(noToken.status).toBe(401);
    // one signature character in the middle changed (all its 6 bits count; the last two characters
    // could already read "AA", 1 token in ~1,000, and then the "forged" token would be the real one)
    const at = token.length - 10;
    const forged = await play(
      page,
      url,
      `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`,
    );
    expect(forged.status).toBe(401);
    const foreign = await play(page, `${stack.sfu!.url}/whep/${other.deviceId}`, token);
    expect(foreign.status).toBe(403);
    const otherToken = viewerTokenFor({
      tenantId: tenant.id,
      userId: crypto.randomUUID(),
      deviceId: other.deviceId,
      sid: 'a'.repeat(32),
    });
    const notLive = await play(page, `${stack.sfu!.url}/whep/${other.deviceId}`, otherToken);
    expect(notLive.status).toBe(404);
    expect(JSON.parse(notLive.body).error.message).toMatch(/not live/);
    const json = await play(page, url, token, { contentType: 'application/json' });
    expect(json.status).toBe(415);
    // the unit sends VP8 and no audio: an H.264-only, video-only player can receive nothing
    const h264 = await play(page, url, token, { kinds: ['video'], videoCodec: 'video/H264' });
    expect(h264.status, h264.body).toBe(422);
    expect(JSON.parse(h264.body).error.message).toMatch(/video\/VP8, not offered/);
    const get = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(405);
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://vms.example' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('accept-post')).toBe('application/sdp');
    expect(preflight.headers.get('access-control-expose-headers')).toMatch(/location/);

    // an audio offer too: the video section is answered, the audio one rejected (port 0) with it
    const both = await play(page, url, token);
    expect(both.status, both.body).toBe(201);
    expect(both.body).toMatch(/m=audio 0 /);
    expect(both.firstFrameMs).not.toBeNull();
    await cam.close();
    await until(async () => (await sfuStats(stack)).viewers === 0, 5000, 'the session ends with the stream');
    await page.close();
  }, 60_000);

  it('[E5] PATCH: trickle 204, ICE restart 200 with a new ETag, stale If-Match 412; media keeps flowing', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[3]!;
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const token = viewerTokenFor({
      tenantId: tenant.id,
      userId: crypto.randomUUID(),
      deviceId: dev.deviceId,
      sid: 'b'.repeat(32),
    });
    const url = `${stack.sfu!.url}/whep/${dev.deviceId}`;
    const page = await newPage();
    const r = await play(page, url, token);
    expect(r.status).toBe(201);
    const location = new URL(r.location!, url).toString();
    const result = await page.evaluate(
      async ({ location, token, etag }) => {
        const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
        const sdp = pc.localDescription!.sdp;
        const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)![1];
        const pwd = /a=ice-pwd:(\S+)/.exec(sdp)![1];
        const mid = /a=mid:(\S+)/.exec(sdp)![1];
        const patch = (body: string, ifMatch: string) =>
          fetch(location, {
            method: 'PATCH',
            headers: {
              'content-type': 'application/trickle-ice-sdpfrag',
              authorization: `Bearer ${token}`,
              'if-match': ifMatch,
            },
            body,
          });
        const trickle = await patch(
          `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\na=end-of-candidates\r\n`,
          etag,
        );
        // ICE restart: new local credentials, sent as a fragment; the answer's go into a new remote description
        pc.restartIce();
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        const nufrag = /a=ice-ufrag:(\S+)/.exec(offer.sdp!)![1];
        const npwd = /a=ice-pwd:(\S+)/.exec(offer.sdp!)![1];
        const restart = await patch(
          `a=ice-ufrag:${nufrag}\r\na=ice-pwd:${npwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n`,
          etag,
        );
        const frag = await restart.text();
        const newEtag = restart.headers.get('etag');
        const rufrag = /a=ice-ufrag:(\S+)/.exec(frag)![1]!;
        const rpwd = /a=ice-pwd:(\S+)/.exec(frag)![1]!;
        const answer = pc
          .remoteDescription!.sdp.replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${rufrag}`)
          .replace(/a=ice-pwd:\S+/g, `a=ice-pwd:${rpwd}`);
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        const stale = await patch(`a=ice-ufrag:${nufrag}\r\na=ice-pwd:${npwd}\r\n`, etag);
        return { trickle: trickle.status, restart: restart.status, newEtag, stale: stale.status, rufrag };
      },
      { location, token, etag: r.etag! },
    );
    expect(result.trickle).toBe(204);
    expect(result.restart).toBe(200);
    expect(result.newEtag).not.toBe(r.etag);
    expect(result.stale).toBe(412);
    const before = (await received(page)).frames;
    await until(
      async () => (await received(page)).frames > before + 10,
      10_000,
      'frames after the ICE restart',
    );
    expect((await received(page)).state).toBe('connected');
    await cam.close();
    await page.close();
  }, 60_000);

  it('[E3][E6] a second POST with the same token replaces the first; a replaced stream (W6) closes the session', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[5]!;
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const token = viewerTokenFor({
      tenantId: tenant.id,
      userId: crypto.randomUUID(),
      deviceId: dev.deviceId,
      sid: 'e'.repeat(32),
      watchId: crypto.randomUUID(),
    });
    const url = `${stack.sfu!.url}/whep/${dev.deviceId}`;
    const first = await newPage();
    const second = await newPage();
    const a = await play(first, url, token);
    expect(a.status).toBe(201);
    const b = await play(second, url, token);
    expect(b.status).toBe(201);
    expect(b.firstFrameMs).not.toBeNull();
    expect((await sfuStats(stack)).viewers).toBe(1); // one watch, one session (V6)
    const oldDelete = await fetch(new URL(a.location!, url), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(oldDelete.status).toBe(404);

    // the camera publishes again: its old stream is replaced, the WHEP session on it ends
    const again = await publishCamera(stack, tenant.id, dev);
    await again.connected();
    await until(async () => (await sfuStats(stack)).viewers === 0, 5000, 'the session ends with its stream');
    // a new POST plays the new stream
    const c = await play(first, url, token);
    expect(c.status).toBe(201);
    expect(c.firstFrameMs).not.toBeNull();
    await again.close();
    await cam.close();
    await first.close();
    await second.close();
  }, 60_000);

  it('[E6] logging out ends the WHEP session; revoking the device ends the stream and with it the session', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[4]!;
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const page = await newPage();

    const operator = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const vt = await gatewayViewerToken(operator, dev.deviceId, 'revocation');
    expect((await play(page, vt.whepUrl!, vt.token)).status).toBe(201);
    expect((await sfuStats(stack)).viewers).toBe(1);
    const logout = await fetch(`${stack.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: operator },
    });
    expect(logout.status).toBeLessThan(300);
    await until(async () => (await sfuStats(stack)).viewers === 0, 3000, 'WHEP session closed on logout');
    // its token is refused from now on
    expect((await play(page, vt.whepUrl!, vt.token)).status).toBe(401);

    const supervisor = await login(stack.url, `${tenant.slug}.supervisor`, DEMO_PASSWORD);
    const vt2 = await gatewayViewerToken(supervisor, dev.deviceId, 'revocation 2');
    expect((await play(page, vt2.whepUrl!, vt2.token)).status).toBe(201);
    const admin = await login(stack.url, `${tenant.slug}.admin`, DEMO_PASSWORD);
    const revoked = await fetch(`${stack.url}/api/devices/${dev.deviceId}/revoke`, {
      method: 'POST',
      headers: { cookie: admin },
    });
    expect(revoked.status).toBe(200);
    await until(async () => (await sfuStats(stack)).viewers === 0, 3000, 'WHEP session closed on revoke');
    await until(async () => (await sfuStats(stack)).transports === 0, 5000, 'no transport left');
    await cam.close();
    await page.close();
  }, 60_000);
});
