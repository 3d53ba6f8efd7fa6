/**
 * Live video (issue 5) with real parts: PostgreSQL, Redis, gateway and SFU processes with real
 * mediasoup workers; simulated cameras publishing VP8 + Opus over WHIP (libwebrtc via wrtc);
 * viewers with mediasoup-client on libwebrtc through the gateway's /sfu/v1 proxy, decoding frames
 * and reading the sender's wall-clock stamp back. Rule IDs refer to sfu/SPEC.md.
 */
import { readFileSync } from 'node:fs';
import { createWhipVideo, publishWhip, type WhipVideo } from '@lagebild/sim/whip';
import { signToken } from '@lagebild/tokens';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOperator, login, type Operator, until, waitFor } from '../src/clients.ts';
import { deviceToken, sfuStats } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { type NodeViewer, watchStream } from '../src/video-viewer.ts';

let stack: Stack;
let duisburg: Stack['tenants'][number];
let dortmund: Stack['tenants'][number];
let cookieDu: string;
let cookieDo: string;
let opDu: Operator;
let video: WhipVideo;
const videoEvents: Array<{ type: string; deviceId: string; at: number }> = [];

async function viewerToken(cookie: string, deviceId: string): Promise<Response> {
  return fetch(`${stack.url}/api/video/viewer-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ deviceId, reason: { kind: 'situation_assessment', text: 'integration test' } }),
  });
}

async function watch(cookie: string, deviceId: string): Promise<NodeViewer> {
  const res = await viewerToken(cookie, deviceId);
  expect(res.status).toBe(200);
  const { token, signallingUrl } = (await res.json()) as { token: string; signallingUrl: string };
  // the gateway proxies /sfu/v1 for a live role's session only (issue 11): the tile sends its cookie
  return watchStream(`${stack.url}${signallingUrl}`, token, { cookie });
}

beforeAll(async () => {
  stack = await startStack({
    sfu: true,
    devicesPerTenant: 6,
    // --expose-gc: the leak test measures the heap after a full collection
    sfuEnv: { SFU_PEER_TIMEOUT_MS: '3000', NODE_OPTIONS: '--expose-gc' },
  });
  [duisburg, dortmund] = stack.tenants as [typeof duisburg, typeof dortmund];
  cookieDu = await login(stack.url, 'duisburg.operator', DEMO_PASSWORD);
  cookieDo = await login(stack.url, 'dortmund.operator', DEMO_PASSWORD);
  opDu = await connectOperator(stack.url, cookieDu);
  video = createWhipVideo({
    gatewayUrl: stack.url,
    devices: [...duisburg.devices, ...dortmund.devices].map((d) => ({
      deviceId: d.deviceId,
      secret: d.secret,
      label: d.label,
    })),
    fps: 15,
    onVideoEvent: (e) => videoEvents.push({ ...e, at: Date.now() }),
  });
});

afterAll(async () => {
  await video?.close();
  opDu?.close();
  await stack?.stop();
});

describe('a simulated camera in recording publishes over WHIP and a viewer receives it', () => {
  it('[W1][V1][R1][AUD3][D25] shows the stream to its tenant: video event, live list, decoded frames with stamps', async () => {
    const dev = duisburg.devices[0]!;
    video.onEvent({
      type: 'stage',
      deviceId: dev.deviceId,
      from: 'display',
      to: 'recording',
      announced: true,
      unannouncedReason: null,
      manual: true,
    });
    await opDu.waitFor(
      () =>
        opDu.events.some(
          (e) =>
            e.event === 'video' && (e.msg as { type: string; deviceId: string }).deviceId === dev.deviceId,
        ),
      10_000,
      'video producer_up on /control',
    );
    const up = opDu.events.find((e) => e.event === 'video')!.msg as {
      type: string;
      stream: { kinds: string[]; videoCodec: string };
    };
    expect(up.type).toBe('producer_up');
    expect(up.stream.kinds.sort()).toEqual(['audio', 'video']);
    expect(up.stream.videoCodec).toBe('video/VP8');

    const live = await (await fetch(`${stack.url}/api/video/live`, { headers: { cookie: cookieDu } })).json();
    expect(live.streams.map((s: { deviceId: string }) => s.deviceId)).toContain(dev.deviceId);
    const liveDo = await (
      await fetch(`${stack.url}/api/video/live`, { headers: { cookie: cookieDo } })
    ).json();
    expect(liveDo.streams).toEqual([]);

    const t0 = Date.now();
    const viewer = await watch(cookieDu, dev.deviceId);
    await viewer.waitFrames(1, 5000);
    const firstFrameMs = Date.now() - t0;
    await viewer.waitFrames(30, 10_000);
    const stamped = viewer.frames.filter((f) => f.latencyMs !== null);
    expect(stamped.length).toBeGreaterThan(20);
    const lat = stamped.map((f) => f.latencyMs!).sort((a, b) => a - b);
    console.log(
      `first frame ${firstFrameMs} ms after subscribing; latency p50 ${lat[Math.floor(lat.length / 2)]} ms`,
    );
    expect(firstFrameMs).toBeLessThan(2000);
    expect(viewer.consumers.map((c) => c.kind).sort()).toEqual(['audio', 'video']);
    await viewer.close();

    // the watch is in the audit chain: authorised with its reason, started and ended, each once
    const phases = async () =>
      (
        await stack.db.pool.query<{ phase: string; actor: string; reason: string | null }>(
          `SELECT payload->>'phase' AS phase, actor, reason FROM audit_log
            WHERE action = 'live_watch' AND target = $1 ORDER BY seq`,
          [dev.deviceId],
        )
      ).rows;
    let rows = await phases();
    await until(
      async () => {
        rows = await phases();
        return rows.length >= 3;
      },
      10_000,
      'the watch’s three audit phases',
    );
    expect(rows.map((r) => r.phase)).toEqual(['authorised', 'started', 'ended']);
    expect(rows.every((r) => r.actor === 'duisburg.operator')).toBe(true);
    expect(rows[0]!.reason).toBe('situation_assessment: integration test');
  });

  it('[V4] pauses a hidden tile and resumes it with a keyframe', async () => {
    const viewer = await watch(cookieDu, duisburg.devices[0]!.deviceId);
    await viewer.waitFrames(3);
    expect(await viewer.setTile(0, 0)).toMatchObject({ paused: true });
    expect(await viewer.setTile(320, 180)).toMatchObject({ paused: false, spatialLayer: 0 });
    await viewer.waitFrames(5);
    await viewer.close();
  });

  it('[T3][AUD9] refuses a viewer token for another tenant’s unit', async () => {
    const deviceId = duisburg.devices[0]!.deviceId;
    const res = await viewerToken(cookieDo, deviceId);
    // answered like an unknown device, so the id's existence is not revealed (issue 11)
    expect(res.status).toBe(404);
    // the refusal is in the audit chain, under the refused user's tenant (`record` appends async)
    const refused = async () =>
      (
        await stack.db.pool.query(
          `SELECT actor FROM audit_log WHERE action = 'cross_tenant_refused' AND target = $1 AND tenant_id = $2`,
          [`device:${deviceId}`, dortmund.id],
        )
      ).rows;
    await until(async () => (await refused()).length > 0, 5000, 'the cross-tenant refusal in the audit log');
    expect((await refused()).map((r) => r.actor)).toEqual(['dortmund.operator']);
  });

  it('[T2] refuses an evaluator a viewer token', async () => {
    const cookie = await login(stack.url, 'duisburg.evaluator', DEMO_PASSWORD);
    expect((await viewerToken(cookie, duisburg.devices[0]!.deviceId)).status).toBe(403);
  });

  it('[V2] a token for one unit cannot consume another', async () => {
    const other = duisburg.devices[1]!.deviceId;
    const res = await viewerToken(cookieDu, other);
    const { token } = (await res.json()) as { token: string };
    // not live: 404 from consume
    await expect(watchStream(`${stack.url}/sfu/v1`, token, { cookie: cookieDu })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('[W6] a second publish for a live device replaces the first cleanly', async () => {
    const dev = duisburg.devices[0]!;
    const before = video.publisher(dev.deviceId)!;
    const whipUrl = `${stack.sfu!.url}/whip/${dev.deviceId}`;
    const token = deviceToken(duisburg.id, dev.deviceId);
    const second = await publishWhip({ whipUrl, token, label: 'REPLACEMENT', audio: false });
    await second.connected();
    const del = await fetch(before.resourceUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(404); // the old resource is gone
    const viewer = await watch(cookieDu, dev.deviceId);
    await viewer.waitFrames(5);
    expect(viewer.consumers.map((c) => c.kind)).toEqual(['video']);
    await viewer.close();
    await second.close();
    await waitFor(
      () => opDu.events.some((e) => (e.msg as { reason?: string }).reason === 'replaced'),
      3000,
      'replaced',
    );
    await video.stop(dev.deviceId);
  });
});

describe('[W2–W5] WHIP refuses bad input with the right status and a reason', () => {
  const offer = async (): Promise<string> => {
    // A real offer from libwebrtc, then torn down: enough for POSTs that fail before ICE.
    const p = await publishWhip({
      whipUrl: `${stack.sfu!.url}/whip/${duisburg.devices[2]!.deviceId}`,
      token: deviceToken(duisburg.id, duisburg.devices[2]!.deviceId),
      label: 'X',
    });
    const sdp = p.pc.localDescription!.sdp;
    await p.close();
    return sdp;
  };
  const post = (deviceId: string, body: string, headers: Record<string, string>) =>
    fetch(`${stack.sfu!.url}/whip/${deviceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', ...headers },
      body,
    });

  it('400 names the problem of a malformed SDP offer', async () => {
    const d = duisburg.devices[2]!.deviceId;
    const auth = { authorization: `Bearer ${deviceToken(duisburg.id, d)}` };
    const garbage = await post(d, 'hello', auth);
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).error.message).toMatch(/malformed SDP offer: SDP must start with "v=0"/);
    const sdp = await offer();
    const noFp = await post(d, sdp.replace(/a=fingerprint:.*\r\n/g, ''), auth);
    expect(noFp.status).toBe(400);
    expect((await noFp.json()).error.message).toMatch(/fingerprint/);
    const onlyH265 = await post(
      d,
      sdp.replace(/VP8\/90000/g, 'H265/90000').replace(/m=audio[\s\S]*?(?=m=video|$)/, ''),
      auth,
    );
    expect(onlyH265.status).toBe(400);
  });

  it('401 without a token, with an expired one or a forged one', async () => {
    const d = duisburg.devices[2]!.deviceId;
    expect((await post(d, 'v=0\r\n', {})).status).toBe(401);
    const expired = deviceToken(duisburg.id, d, 1000, Date.now() - 10_000);
    const r = await post(d, 'v=0\r\n', { authorization: `Bearer ${expired}` });
    expect(r.status).toBe(401);
    expect((await r.json()).error.message).toMatch(/expired/);
    const forged = signToken(
      'another-secret-another-secret-12345',
      { typ: 'device', tenantId: duisburg.id, deviceId: d },
      60_000,
    ).token;
    expect((await post(d, 'v=0\r\n', { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  it('403 for another device’s endpoint (another tenant’s camera)', async () => {
    const mine = duisburg.devices[2]!.deviceId;
    const theirs = dortmund.devices[0]!.deviceId;
    const r = await post(theirs, 'v=0\r\n', { authorization: `Bearer ${deviceToken(duisburg.id, mine)}` });
    expect(r.status).toBe(403);
  });

  it('413 for an oversized offer, 415 for the wrong content type', async () => {
    const d = duisburg.devices[2]!.deviceId;
    const auth = { authorization: `Bearer ${deviceToken(duisburg.id, d)}` };
    expect((await post(d, `v=0\r\n${'a=x\r\n'.repeat(20_000)}`, auth)).status).toBe(413);
    const r = await fetch(`${stack.sfu!.url}/whip/${d}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'v=0',
    });
    expect(r.status).toBe(415);
  });

  it('[W7] answers CORS preflight with the WHIP methods and headers', async () => {
    const r = await fetch(`${stack.sfu!.url}/whip/${duisburg.devices[2]!.deviceId}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://whip.example', 'access-control-request-method': 'POST' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toMatch(/POST.*PATCH.*DELETE/);
    expect(r.headers.get('accept-post')).toBe('application/sdp');
  });

  it('[W8] device token from the gateway: 401 for a wrong secret', async () => {
    const r = await fetch(`${stack.url}/api/device/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: duisburg.devices[2]!.deviceId, secret: 'wrong-secret-wrong-secret' }),
    });
    expect(r.status).toBe(401);
  });
});

describe('[L1] no leaks', () => {
  it('closes the transport of a publisher that never connects (vanished peer)', async () => {
    const d = duisburg.devices[3]!.deviceId;
    const token = deviceToken(duisburg.id, d);
    const p = await publishWhip({
      whipUrl: `${stack.sfu!.url}/whip/${d}`,
      token,
      label: 'GONE',
      audio: false,
    });
    const sdp = p.pc.localDescription!.sdp;
    await p.close();
    // an offer whose sender vanishes at once: no ICE, no DTLS, no DELETE
    const r = await fetch(`${stack.sfu!.url}/whip/${d}`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
      body: sdp,
    });
    expect(r.status).toBe(201);
    expect((await sfuStats(stack)).publishers).toBe(1);
    await waitFor(() => false, 4500, 'peer timeout').catch(() => {});
    const after = await sfuStats(stack);
    expect(after.publishers).toBe(0);
    expect(after.transports).toBe(0);
  }, 20_000);

  it('1,000 publish/unpublish cycles leave no transport behind and memory flat', async () => {
    const d = duisburg.devices[4]!.deviceId;
    const token = deviceToken(duisburg.id, d, 10 * 60_000);
    const p = await publishWhip({
      whipUrl: `${stack.sfu!.url}/whip/${d}`,
      token,
      label: 'CYCLE',
      audio: true,
    });
    const sdp = p.pc.localDescription!.sdp;
    await p.close();
    const rss = (pid: number) =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    const cycle = async () => {
      const r = await fetch(`${stack.sfu!.url}/whip/${d}`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: sdp,
      });
      expect(r.status).toBe(201);
      await r.text();
      const del = await fetch(new URL(r.headers.get('location')!, stack.sfu!.url), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(del.status).toBe(200);
    };
    const workerRss = async () => {
      let kb = 0;
      for (const w of (await sfuStats(stack)).workers) kb += rss(w.pid);
      return kb;
    };
    // Two rounds of 1,000: the first grows V8's heap and mediasoup's buffers to their working size;
    // a leak keeps growing in the second.
    const round = async () => {
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) await cycle();
      const heapKb = (await sfuStats(stack, { gc: true })).heapUsedKb;
      return { ms: Math.round(performance.now() - t0), node: heapKb, workers: await workerRss() };
    };
    const start = { node: (await sfuStats(stack, { gc: true })).heapUsedKb, workers: await workerRss() };
    const a = await round();
    const b = await round();
    const stats = await sfuStats(stack);
    console.log(
      `2×1000 publish/unpublish: ${a.ms} ms, ${b.ms} ms; SFU heap after GC kB ${start.node} → ${a.node} → ${b.node}; ` +
        `workers RSS kB ${start.workers} → ${a.workers} → ${b.workers}; transports left ${stats.transports}`,
    );
    expect(stats.transports).toBe(0);
    expect(stats.publishers).toBe(0);
    // After a full collection the SFU's heap is flat over the second 1,000 (−0.6 MB in two runs);
    // a leak of 5 kB per cycle (a transport's or producer's objects) would cross this bound.
    expect(b.node - a.node).toBeLessThan(5_000);
    expect(b.workers - a.workers).toBeLessThan(5_000);
  }, 180_000);
});

describe('[F1] fault: the mediasoup worker dies during a live stream', () => {
  it('the stream is back within a few seconds', async () => {
    const dev = duisburg.devices[5]!;
    video.start(dev.deviceId);
    let viewer: NodeViewer | undefined;
    await until(
      async () => {
        viewer = await watch(cookieDu, dev.deviceId).catch(() => undefined);
        return viewer !== undefined;
      },
      15_000,
      'the first watch of the stream',
    );
    if (!viewer) throw new Error('unreachable: until() resolved without a viewer');
    await viewer.waitFrames(5);
    const { workers } = await sfuStats(stack);
    const before = opDu.events.length;
    for (const w of workers) process.kill(w.pid, 'SIGKILL');
    const killedAt = Date.now();
    await opDu.waitFor(
      () => opDu.events.slice(before).some((e) => (e.msg as { type: string }).type === 'router_reset'),
      5000,
      'router_reset',
    );
    await viewer.close();
    // the camera re-publishes on its own; the tile re-subscribes once the unit is live again
    for (;;) {
      try {
        viewer = await watch(cookieDu, dev.deviceId);
        await viewer.waitFrames(3, 1500);
        break;
      } catch {
        await viewer?.close().catch(() => {});
        if (Date.now() - killedAt > 15_000) {
          throw new Error(
            `stream not back within 15 s: ${JSON.stringify(videoEvents.filter((e) => e.at >= killedAt))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const backMs = Date.now() - killedAt;
    console.log(`stream back ${backMs} ms after killing every worker`);
    expect(backMs).toBeLessThan(6000);
    const after = await sfuStats(stack);
    expect(after.workers.map((w) => w.pid)).not.toEqual(workers.map((w) => w.pid));
    await viewer.close();
    await video.stop(dev.deviceId);
  }, 40_000);
});
