/**
 * Part 5 of `bench:video` (issue 16): the same SFU from three independent WebRTC stacks.
 *  - WHIP answer time (POST → 201, measured by the client) and connect time (201 → ICE+DTLS
 *    connected) for GStreamer's webrtcbin (test/src/gst-whip.py), Chromium (RTCPeerConnection +
 *    fetch, fake camera) and libwebrtc in Node (@roamhq/wrtc, the simulator);
 *  - WHEP first-frame time (POST sent → first decoded video frame) for Chromium and webrtcbin.
 * Each client publishes or plays on its own device of the given tenant, one at a time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { publishWhip } from '@lagebild/sim/whip';
import type { Browser, Page } from '@playwright/test';
import { gstPlay, gstPublish, gstUnavailable } from '../src/gst-whip.ts';
import { deviceToken, viewerTokenFor } from '../src/sfu.ts';
import type { Stack } from '../src/stack.ts';

export interface StackRow {
  stack: string;
  whipAnswerMs: number[];
  connectMs: number[];
  whepFirstFrameMs: number[];
}

const median = (xs: number[]) =>
  xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function formatStacks(rows: StackRow[]): string[] {
  const cell = (xs: number[]) => {
    const m = median(xs);
    return m === null ? '—' : `${Math.round(m)} ms (${xs.length})`;
  };
  return [
    'client stack            WHIP POST → 201    201 → connected    WHEP POST → first frame   (median, n)',
    ...rows.map(
      (r) =>
        `${r.stack.padEnd(22)} ${cell(r.whipAnswerMs).padStart(16)} ${cell(r.connectMs).padStart(18)} ${cell(r.whepFirstFrameMs).padStart(24)}`,
    ),
  ];
}

export async function measureStacks(
  stack: Stack,
  browser: Browser,
  tenant: Stack['tenants'][number],
  rounds: number,
  log: (m: string) => void,
): Promise<StackRow[]> {
  let next = 0;
  const device = () => tenant.devices[next++ % tenant.devices.length]!.deviceId;
  const whipUrl = (d: string) => `${stack.sfu!.url}/whip/${d}`;
  const rows: StackRow[] = [];
  const gst: StackRow = {
    stack: 'GStreamer webrtcbin',
    whipAnswerMs: [],
    connectMs: [],
    whepFirstFrameMs: [],
  };
  const chrome: StackRow = { stack: 'Chromium', whipAnswerMs: [], connectMs: [], whepFirstFrameMs: [] };
  const wrtc: StackRow = { stack: 'libwebrtc (wrtc)', whipAnswerMs: [], connectMs: [], whepFirstFrameMs: [] };

  // a camera for the WHEP players to watch
  const watched = device();
  const camera = await publishWhip({
    whipUrl: whipUrl(watched),
    token: deviceToken(tenant.id, watched, 600_000),
    label: 'WHEP',
    fps: 15,
  });
  await camera.connected();
  const viewerToken = () =>
    viewerTokenFor({
      tenantId: tenant.id,
      userId: randomUUID(),
      deviceId: watched,
      sid: randomBytes(16).toString('hex'),
    });
  await new Promise((r) => setTimeout(r, 500)); // live (announced on its first packet)

  const missing = gstUnavailable();
  if (missing) log(`GStreamer skipped: ${missing}`);
  const page = await browser.newPage();
  await page.goto(`${stack.sfu!.url}/healthz`); // a secure context for getUserMedia
  for (let i = 0; i < rounds; i++) {
    if (!missing) {
      const d = device();
      const p = gstPublish({ whipUrl: whipUrl(d), token: deviceToken(tenant.id, d, 120_000) });
      try {
        const answer = await p.next('answer');
        const connected = await p.next('connected', 10_000);
        gst.whipAnswerMs.push(answer.postMs!);
        gst.connectMs.push(connected.ms!);
      } finally {
        await p.stop();
      }
      const player = gstPlay({ whepUrl: `${stack.sfu!.url}/whep/${watched}`, token: viewerToken() });
      try {
        const answer = await player.next('answer');
        const frame = await player.next('frame', 10_000);
        gst.whepFirstFrameMs.push(answer.postMs! + frame.ms!);
      } finally {
        await player.stop();
      }
    }

    const d = device();
    const pub = await publishWhip({
      whipUrl: whipUrl(d),
      token: deviceToken(tenant.id, d, 120_000),
      label: 'BENCH',
      fps: 15,
    });
    const t0 = performance.now();
    await pub.connected();
    wrtc.whipAnswerMs.push(pub.postMs);
    wrtc.connectMs.push(performance.now() - t0);
    await pub.close();

    const cd = device();
    const c = await chromiumWhip(page, whipUrl(cd), deviceToken(tenant.id, cd, 120_000));
    chrome.whipAnswerMs.push(c.answerMs);
    if (Number.isFinite(c.connectMs)) chrome.connectMs.push(c.connectMs);
    const f = await chromiumWhepFirstFrame(page, `${stack.sfu!.url}/whep/${watched}`, viewerToken());
    if (Number.isFinite(f)) chrome.whepFirstFrameMs.push(f);
    log(`stacks round ${i + 1}/${rounds}`);
  }
  await page.close();
  await camera.close();
  rows.push(gst, chrome, wrtc);
  return rows;
}

/** Chromium publishes its fake camera over WHIP: POST → 201 and 201 → connected, in the page's clock. */
function chromiumWhip(
  page: Page,
  url: string,
  token: string,
): Promise<{ answerMs: number; connectMs: number }> {
  return page.evaluate(
    async ({ url, token }) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 640, height: 360 },
        audio: true,
      });
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      for (const track of stream.getTracks())
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, 2000);
      });
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      const answer = await res.text();
      const answeredAt = performance.now();
      const connected = new Promise<number>((resolve) => {
        pc.onconnectionstatechange = () => pc.connectionState === 'connected' && resolve(performance.now());
      });
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      const at = await Promise.race([
        connected,
        new Promise<number>((r) => setTimeout(() => r(Number.NaN), 8000)),
      ]);
      await fetch(new URL(res.headers.get('location')!, url), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      pc.close();
      for (const t of stream.getTracks()) t.stop();
      return { answerMs: answeredAt - t0, connectMs: at - answeredAt };
    },
    { url, token },
  );
}

/** A plain RTCPeerConnection plays over WHEP: POST sent → first decoded video frame (getStats). */
function chromiumWhepFirstFrame(page: Page, url: string, token: string): Promise<number> {
  return page.evaluate(
    async ({ url, token }) => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, 2000);
      });
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      let firstMs = Number.NaN;
      while (performance.now() - t0 < 8000) {
        let frames = 0;
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
        });
        if (frames > 0) {
          firstMs = performance.now() - t0;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await fetch(new URL(res.headers.get('location')!, url), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      pc.close();
      return firstMs;
    },
    { url, token },
  );
}
