/**
 * [K1]–[K6] Talkback (issue 16): an operator holds "Sprechen" on a live tile; the microphone of
 * Debian's Chromium (a fake device: a beep) goes through the SFU to the unit's camera, which
 * listens on its own WHEP-style subscription (sim/src/talkback-listener.ts, libwebrtc) and counts
 * the audio packets it got. Who spoke, when and how long is in the audit chain as `talkback`.
 */
import { listenTalkback } from '@lagebild/sim/talkback';
import { type Browser, chromium, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { deviceToken, publishCamera, sfuStats, until, viewerTokenFor } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ sfu: true, devicesPerTenant: 4 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Press: the microphone as a sendonly audio offer to /talkback/<deviceId>; resolves once connected. */
function press(page: Page, url: string, token: string) {
  return page.evaluate(
    async ({ url, token }) => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      (window as unknown as { talk: RTCPeerConnection }).talk = pc;
      pc.addTransceiver(stream.getAudioTracks()[0]!, { direction: 'sendonly', streams: [stream] });
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
      const body = await res.text();
      if (res.status !== 201) {
        pc.close();
        for (const t of stream.getTracks()) t.stop();
        return { status: res.status, body, location: null, state: 'refused' };
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      await new Promise<void>((resolve) => {
        if (pc.connectionState === 'connected') resolve();
        pc.onconnectionstatechange = () => pc.connectionState === 'connected' && resolve();
        setTimeout(resolve, 8000);
      });
      return { status: res.status, body, location: res.headers.get('location'), state: pc.connectionState };
    },
    { url, token },
  );
}

/** Release: DELETE the talkback resource and close the microphone's connection. */
function release(page: Page, location: string, token: string) {
  return page.evaluate(
    async ({ location, token }) => {
      const res = await fetch(location, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      (window as unknown as { talk: RTCPeerConnection }).talk.close();
      return res.status;
    },
    { location, token },
  );
}

const talkRows = async (deviceId: string) =>
  (
    await stack.db.pool.query<{ phase: string; actor: string; duration: string | null; end: string | null }>(
      `SELECT payload->>'phase' AS phase, actor, payload->>'durationMs' AS duration, payload->>'end' AS end
         FROM audit_log WHERE action = 'talkback' AND target = $1 ORDER BY seq`,
      [`device:${deviceId}`],
    )
  ).rows;

describe('talkback', () => {
  it('[K1][K2][K3][K4] an operator speaks to a camera: the camera counts the audio, the audit says who and how long', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[0]!;
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const speaker = await listenTalkback({
      sfuUrl: stack.sfu!.url,
      deviceId: dev.deviceId,
      token: deviceToken(tenant.id, dev.deviceId, 120_000),
    });
    await speaker.connected();
    expect(await speaker.packets()).toBe(0); // nobody speaks yet

    const cookie = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const vt = await fetch(`${stack.url}/api/video/viewer-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ deviceId: dev.deviceId, reason: { kind: 'other', text: 'talkback' } }),
    });
    const { token } = (await vt.json()) as { token: string };
    const page = await browser.newPage();
    await page.goto(`${stack.sfu!.url}/healthz`); // a secure context (localhost) for getUserMedia
    const url = `${stack.sfu!.url}/talkback/${dev.deviceId}`;
    const t0 = Date.now();
    const talk = await press(page, url, token);
    expect(talk.status, talk.body).toBe(201);
    expect(talk.state).toBe('connected');
    expect(talk.location).toMatch(new RegExp(`^/talkback/${dev.deviceId}/`));

    // [K2] the camera hears it: Opus at 50 packets/s
    await until(async () => (await speaker.packets()) >= 40, 5000, 'the camera received the voice');
    // [K4] one speaker at a time: a supervisor pressing meanwhile is told to wait
    const sup = viewerTokenFor({
      tenantId: tenant.id,
      userId: crypto.randomUUID(),
      deviceId: dev.deviceId,
      sid: 'c'.repeat(32),
      role: 'supervisor',
    });
    const busy = await press(
      await browser.newPage().then(async (p) => {
        await p.goto(`${stack.sfu!.url}/healthz`);
        return p;
      }),
      url,
      sup,
    );
    expect(busy.status).toBe(409);

    expect(await release(page, new URL(talk.location!, url).toString(), token)).toBe(200);
    const heldMs = Date.now() - t0;
    const afterRelease = await speaker.packets();
    await new Promise((r) => setTimeout(r, 600));
    expect(await speaker.packets()).toBeLessThanOrEqual(afterRelease + 5); // silence after the release

    // [K3] audited: started and ended, by the operator, with the duration
    await until(async () => (await talkRows(dev.deviceId)).length >= 2, 5000, 'talkback audit rows');
    const rows = await talkRows(dev.deviceId);
    expect(rows.map((r) => r.phase)).toEqual(['started', 'ended']);
    expect(rows.every((r) => r.actor === `${tenant.slug}.operator`)).toBe(true);
    const duration = Number(rows[1]!.duration);
    expect(duration).toBeGreaterThan(300);
    expect(duration).toBeLessThanOrEqual(heldMs);
    expect(rows[1]!.end).toBe('released');

    // [K4] the next speaker after the release is heard on the same subscription
    const again = await press(page, url, sup);
    expect(again.status, again.body).toBe(201);
    const before = await speaker.packets();
    await until(async () => (await speaker.packets()) >= before + 40, 5000, 'the second speaker heard');
    await release(page, new URL(again.location!, url).toString(), sup);

    await speaker.close();
    await cam.close();
    // nobody speaks, listens or records: the camera's relay is released with its DirectTransport
    await until(async () => (await sfuStats(stack)).transports === 0, 5000, 'no transport left');
    expect((await sfuStats(stack)).talkback).toEqual([]);
    await page.close();
  }, 60_000);

  it('[K1][K5] refusals: admin 403, device token 401, unit not live 404, wrong type 415; logout ends speaking', async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[1]!;
    const url = `${stack.sfu!.url}/talkback/${dev.deviceId}`;
    const page = await browser.newPage();
    await page.goto(`${stack.sfu!.url}/healthz`);
    const as = (role: 'admin' | 'operator') =>
      viewerTokenFor({
        tenantId: tenant.id,
        userId: crypto.randomUUID(),
        deviceId: dev.deviceId,
        sid: 'd'.repeat(32),
        role,
      });
    expect((await press(page, url, as('operator'))).status).toBe(404); // not live
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    expect((await press(page, url, as('admin'))).status).toBe(403);
    expect((await press(page, url, deviceToken(tenant.id, dev.deviceId))).status).toBe(401);
    const json = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${as('operator')}` },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const listen = await fetch(`${url}/listen`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${as('operator')}` },
      body: 'v=0\r\n',
    });
    expect(listen.status).toBe(401); // a camera's subscription needs its device token

    // [K5] the operator logs out while holding the button: speaking ends, audited as session_ended
    const cookie = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const vt = await fetch(`${stack.url}/api/video/viewer-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ deviceId: dev.deviceId, reason: { kind: 'other', text: 'talkback logout' } }),
    });
    const { token } = (await vt.json()) as { token: string };
    expect((await press(page, url, token)).status).toBe(201);
    await until(
      async () => (await sfuStats(stack)).talkback.some((t) => t.deviceId === dev.deviceId && t.speaking),
      3000,
      'speaking',
    );
    await fetch(`${stack.url}/api/auth/logout`, { method: 'POST', headers: { cookie } });
    await until(
      async () => !(await sfuStats(stack)).talkback.some((t) => t.deviceId === dev.deviceId && t.speaking),
      3000,
      'speaking ended on logout',
    );
    await until(
      async () => (await talkRows(dev.deviceId)).some((r) => r.end === 'session_ended'),
      5000,
      'audited',
    );
    await cam.close();
    await page.close();
  }, 60_000);

  it("[K1] through the gateway: only the session's own viewer token for the unit, Location on the gateway's path", async () => {
    const tenant = stack.tenants[0]!;
    const dev = tenant.devices[2]!;
    const cam = await publishCamera(stack, tenant.id, dev);
    await cam.connected();
    await until(
      async () => (await sfuStats(stack)).streams.some((s) => s.deviceId === dev.deviceId),
      5000,
      'live',
    );
    const tokenOf = async (cookie: string) => {
      const vt = await fetch(`${stack.url}/api/video/viewer-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ deviceId: dev.deviceId, reason: { kind: 'other', text: 'talkback gateway' } }),
      });
      return ((await vt.json()) as { token: string }).token;
    };
    const operator = await login(stack.url, `${tenant.slug}.operator`, DEMO_PASSWORD);
    const supervisor = await login(stack.url, `${tenant.slug}.supervisor`, DEMO_PASSWORD);
    const operatorToken = await tokenOf(operator);
    const supervisorToken = await tokenOf(supervisor);
    // the operator's page on the gateway's origin, signed in with the operator's cookie
    const context = await browser.newContext();
    const [name, value] = operator.split('=') as [string, string];
    await context.addCookies([{ name, value, url: stack.url }]);
    const page = await context.newPage();
    await page.goto(`${stack.url}/healthz`);
    const url = `${stack.url}/sfu/v1/talkback/${dev.deviceId}`;

    // another user's token (a supervisor may speak, but not with the operator's session)
    expect((await press(page, url, supervisorToken)).status).toBe(403);
    const talk = await press(page, url, operatorToken);
    expect(talk.status, talk.body).toBe(201);
    expect(talk.state).toBe('connected');
    expect(talk.location).toMatch(new RegExp(`^/sfu/v1/talkback/${dev.deviceId}/[A-Za-z0-9_-]{16}$`));
    // only SDP is forwarded to the talkback routes
    const json = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: operator,
        authorization: `Bearer ${operatorToken}`,
      },
      body: '{}',
    });
    expect(json.status).toBe(400);
    expect(await release(page, new URL(talk.location!, url).toString(), operatorToken)).toBe(200);
    await until(
      async () => (await talkRows(dev.deviceId)).some((r) => r.end === 'released'),
      5000,
      'audited as released',
    );
    await cam.close();
    await context.close();
  }, 60_000);
});
