/**
 * `npm run bench:video -- [--seconds 10] [--capacity 5x15,10x15,20x15] [--capacity-seconds 30] [--json]`
 *
 * Live video on loopback with real parts (PostgreSQL, Redis, gateway serving the control room, SFU
 * with mediasoup workers, simulated cameras publishing VP8 over WHIP with libwebrtc):
 *  1. glass-to-glass latency in Chromium: the sender draws Date.now() into each frame
 *     (whip-test-picture.ts); the control room's tile reads it back from the decoded frame in
 *     requestVideoFrameCallback; p50/p95;
 *  2. the same test picture straight to Chromium over one peer connection, in the same page and at
 *     the same time as 1.: the SFU's share of the delay is the difference of the two;
 *  3. WHIP POST → 201; stage change to 'recording' → first decoded frame in the operator's tile;
 *  4. capacity (issue 17, video-capacity.ts; `--capacity-only` runs just this part): publishers ×
 *     viewers in steps with a cheap load generator (one VP8 encoder teed into many GStreamer WHIP
 *     publishers); receivers (`--capacity-receivers plain,whep`, each kind its own steps) either
 *     SRTP PlainTransport consumers on the tenant's router counted from the RTP header (`plain`;
 *     the SFU runs with its bench seam SFU_BENCH_PLAIN_CONSUMERS=on) or WHEP players that count RTP
 *     without decoding (`whep`, steps `--capacity-whep`, default 5x15,10x15); SFU CPU (Node + workers,
 *     /proc) per forwarded stream, the share of packets every stream got, the generator's own CPU;
 *  5. per client stack (issue 16, video-stacks.ts): WHIP answer and connect time for GStreamer,
 *     Chromium and libwebrtc, WHEP first-frame time for Chromium and GStreamer (`--stacks-only`
 *     runs just this part). The SFU listens on a host address: libnice (GStreamer) gathers no
 *     loopback candidates (sfu/SPEC.md W14).
 * The load generator runs on the same 2 cores as the SFU: part 4 reports its CPU and each side's UDP
 * drops, to tell a limit of the SFU from one of the generator.
 */
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { startSimulation } from '@lagebild/sim';
import { createTestPicture, createWhipVideo, PICTURE_HEIGHT, PICTURE_WIDTH } from '@lagebild/sim/whip';
import { chromium, type Page } from '@playwright/test';
import { z } from 'zod';
import { DEMO_PASSWORD, startStack } from '../src/stack.ts';
import { parseArgs } from './args.ts';
import {
  type CapacityRow,
  formatCapacity,
  measureCapacity,
  parseSteps,
  type ReceiverKind,
} from './video-capacity.ts';
import {
  type FrameTiming,
  formatBreakdown,
  KEEP_PEER_CONNECTIONS,
  type PathBreakdown,
  type PathSummary,
  pct,
  receiverSnapshot,
  type StatsPc,
  senderSnapshot,
  summarize,
} from './video-latency-probe.ts';
import { formatStacks, measureStacks, type StackRow } from './video-stacks.ts';

const Args = z.object({
  seconds: z.coerce.number().int().min(3).max(120).default(10),
  capacity: z
    .string()
    .regex(/^\d+x\d+(,\d+x\d+)*$/)
    .default('5x15,10x15,20x15'),
  'capacity-seconds': z.coerce.number().int().min(5).max(300).default(30),
  'capacity-receivers': z
    .string()
    .regex(/^(plain|whep)(,(plain|whep))?$/)
    .default('plain,whep'),
  /** the WHEP players' steps: 300 webrtcbin players need more than this machine's 2 cores (benchmarks.md) */
  'capacity-whep': z
    .string()
    .regex(/^\d+x\d+(,\d+x\d+)*$/)
    .default('5x15,10x15'),
  'capacity-only': z.boolean().default(false),
  'latency-only': z.boolean().default(false),
  json: z.boolean().default(false),
  rounds: z.coerce.number().int().min(1).max(20).default(3),
  'stacks-only': z.boolean().default(false),
});
const args = parseArgs(
  Args,
  'bench:video -- [--seconds 10] [--capacity 5x15,10x15,20x15] [--capacity-seconds 30] [--capacity-receivers plain,whep] [--capacity-whep 5x15,10x15] [--rounds 3] [--stacks-only] [--capacity-only] [--latency-only] [--json]',
);
const capacityReceivers = args['capacity-receivers'].split(',') as ReceiverKind[];
const stepsOf = (kind: ReceiverKind) => parseSteps(kind === 'whep' ? args['capacity-whep'] : args.capacity);
const capacitySteps = capacityReceivers.flatMap(stepsOf);
/** the SFU's RTC address: a host address (see 5. above) */
const hostIp =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const FPS = 15;

const round = (x: number | null, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

/**
 * In the page: reads the sender's stamp from each decoded frame of `video` (same arithmetic as
 * readFrameStamp); with the moment the frame's last packet arrived (video-latency-probe.ts).
 */
async function collectLatency(page: Page, selector: string, seconds: number): Promise<FrameTiming[]> {
  return page.evaluate(
    async ({ selector, ms, w, h }) => {
      const video = document.querySelector<HTMLVideoElement>(selector);
      if (!video) throw new Error(`no video at ${selector}`);
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      const out: FrameTiming[] = [];
      const read = (now: number): number | null => {
        ctx.drawImage(video, 0, 0, w, 32, 0, 0, w, 32);
        const px = ctx.getImageData(0, 0, w, 32).data;
        const luma = (x: number, y: number) => {
          const i = (y * w + x) * 4;
          return 0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!;
        };
        let v = 0;
        for (let i = 0; i < 40; i++) {
          const a = luma(i * 16 + 8, 8);
          const b = luma(i * 16 + 8, 24);
          const bit = a > 128 ? 1 : 0;
          if ((b > 128 ? 1 : 0) === bit || Math.abs(a - b) < 60) return null;
          v = v * 2 + bit;
        }
        const mod = 2 ** 40;
        let full = Math.floor(now / mod) * mod + v;
        if (full > now + mod / 2) full -= mod;
        return full;
      };
      const until = performance.now() + ms;
      await new Promise<void>((resolve) => {
        const onFrame = (_t: number, meta: VideoFrameCallbackMetadata) => {
          // the frame's presentation time on the wall clock (same clock as the sender: one machine)
          const shown = performance.timeOrigin + (meta.expectedDisplayTime ?? performance.now());
          const stamp = read(Date.now());
          // the last packet of the frame (WebRTC sources), on the same clock
          const received = meta.receiveTime !== undefined ? performance.timeOrigin + meta.receiveTime : null;
          if (stamp !== null)
            out.push({
              g2g: shown - stamp,
              toReceive: received === null ? null : received - stamp,
              afterReceive: received === null ? null : shown - received,
            });
          if (performance.now() < until) video.requestVideoFrameCallback(onFrame);
          else resolve();
        };
        video.requestVideoFrameCallback(onFrame);
      });
      return out;
    },
    { selector, ms: seconds * 1000, w: PICTURE_WIDTH, h: PICTURE_HEIGHT },
  );
}

/**
 * The same test picture straight from libwebrtc in Node to Chromium over one peer connection,
 * playing in `#p2p` until `close`.
 */
async function openDirectPeer(page: Page): Promise<{ pc: StatsPc; close(): void }> {
  const w = createRequire(import.meta.url)('@roamhq/wrtc');
  const pc = new w.RTCPeerConnection();
  const source = new w.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  pc.addTransceiver(track, { direction: 'sendonly' });
  const picture = createTestPicture('P2P');
  const timer = setInterval(
    () => source.onFrame({ width: PICTURE_WIDTH, height: PICTURE_HEIGHT, data: picture.frame(Date.now()) }),
    Math.round(1000 / FPS),
  );
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => setTimeout(r, 500)); // host candidates on loopback come at once
  const answer = await page.evaluate(async (sdp) => {
    const peer = new RTCPeerConnection();
    const video = document.createElement('video');
    video.id = 'p2p';
    // on screen beside the tile (an off-screen video may be throttled), about a tile's size
    video.style.cssText = 'position:fixed;right:8px;bottom:8px;width:480px;height:270px;z-index:10000';
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    peer.ontrack = (e) => {
      video.srcObject = new MediaStream([e.track]);
    };
    await peer.setRemoteDescription({ type: 'offer', sdp });
    await peer.setLocalDescription(await peer.createAnswer());
    await new Promise((r) => setTimeout(r, 500));
    (window as unknown as { p2p: RTCPeerConnection }).p2p = peer;
    return peer.localDescription!.sdp;
  }, pc.localDescription.sdp as string);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await page.waitForFunction(
    () => ((document.getElementById('p2p') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.3,
  );
  return {
    pc,
    close() {
      clearInterval(timer);
      track.stop();
      pc.close();
    },
  };
}

/** One window of glass-to-glass frames of a path, with its receiver's and sender's counters around it. */
async function measurePath(
  page: Page,
  selector: string,
  sender: StatsPc | undefined,
  seconds: number,
): Promise<PathBreakdown> {
  const snap = () => Promise.all([receiverSnapshot(page, selector), sender ? senderSnapshot(sender) : null]);
  const [rx0, tx0] = await snap();
  const frames = await collectLatency(page, selector, seconds);
  const [rx1, tx1] = await snap();
  return {
    frames,
    receiver: rx0 && rx1 ? { before: rx0, after: rx1 } : null,
    sender: tx0 && tx1 ? { before: tx0, after: tx1 } : null,
  };
}

const stack = await startStack({
  sfu: true,
  serveWeb: true,
  devicesPerTenant: Math.max(20, ...capacitySteps.map((s) => s.publishers)),
  // part 4 watches up to 300 streams in one tenant: above a control room's caps (SPEC V6)
  sfuEnv: {
    SFU_MAX_VIEWERS_PER_USER: '1000',
    SFU_MAX_VIEWERS_PER_TENANT: '1000',
    SFU_LISTEN_IP: hostIp,
    // part 4's plain receivers: the SFU's benchmark seam (sfu/src/bench-plain-consumers.ts)
    ...(capacityReceivers.includes('plain') ? { SFU_BENCH_PLAIN_CONSUMERS: 'on' } : {}),
  },
});
const result: Record<string, unknown> = {};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
  ],
});
try {
  // ---- 5 first, on the other tenant's devices, while nothing else runs
  const dortmund = stack.tenants.find((t) => t.slug !== 'duisburg')!;
  if (!args['capacity-only'] && !args['latency-only'])
    result.stacks = await measureStacks(stack, browser, dortmund, args.rounds, log);
  if (args['stacks-only']) {
    console.log(formatStacks(result.stacks as StackRow[]).join('\n'));
    if (args.json) console.log(JSON.stringify(result));
    await browser.close();
    await stack.stop();
    process.exit(0);
  }
  // ---- 4 next, on the same tenant's devices, while nothing else runs
  if (!args['latency-only']) {
    const capacity: CapacityRow[] = [];
    const sustained: Partial<Record<ReceiverKind, string>> = {};
    for (const kind of capacityReceivers) {
      const rows = await measureCapacity(stack, dortmund, stepsOf(kind), args['capacity-seconds'], log, kind);
      capacity.push(...rows);
      const held = rows.filter((c) => c.holds);
      sustained[kind] =
        held.length > 0 ? `${held.at(-1)!.publishers}×${held.at(-1)!.viewersPerPublisher}` : 'none';
    }
    result.capacity = capacity;
    // the largest step that held, per kind of receiver
    result.sustained = sustained;
  }
  if (args['capacity-only']) {
    console.log(formatCapacity(result.capacity as CapacityRow[]).join('\n'));
    if (args.json) console.log(JSON.stringify(result));
    await browser.close();
    await stack.stop();
    process.exit(0);
  }
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const postMs: number[] = [];
  const video = createWhipVideo({
    gatewayUrl: stack.url,
    devices: duisburg.devices,
    fps: FPS,
    audio: false,
    onVideoEvent: (e) => e.type === 'publishing' && postMs.push(e.postMs),
  });
  const sim = await startSimulation({
    url: stack.url,
    devices: duisburg.devices.map((d) => ({
      deviceId: d.deviceId,
      secret: d.secret,
      label: d.label,
      city: 'duisburg' as const,
    })),
    behaviour: 'steady',
    rateHz: 1,
    seed: 5,
    onEvent: (e) => video.onEvent(e),
  });

  // ---- 1–3: the control room in Chromium
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'de-DE' });
  await context.addInitScript(KEEP_PEER_CONNECTIONS);
  const page = await context.newPage();
  await page.goto(`${stack.url}/login/`);
  await page.getByLabel(/Benutzername/).fill('duisburg.operator');
  await page.getByLabel(/Passwort/).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /Anmelden/ }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

  const firstFrameMs: number[] = [];
  for (const d of duisburg.devices.slice(0, 3)) {
    const t0 = Date.now();
    sim.device(d.deviceId).setStage('recording', { announced: true });
    const sel = `article[data-device-id="${d.deviceId}"] video`;
    await page.waitForSelector(sel, { timeout: 10_000 });
    const shownAt = await page.evaluate(
      (s) =>
        new Promise<number>((resolve) => {
          const v = document.querySelector<HTMLVideoElement>(s)!;
          v.requestVideoFrameCallback(() => resolve(Date.now()));
        }),
      sel,
    );
    firstFrameMs.push(shownAt - t0);
  }
  // both paths at once in the same control-room page: same load, same renderer, same moment
  const watched = duisburg.devices[0]!.deviceId;
  const direct = await openDirectPeer(page);
  const [viaSfu, viaDirect] = await Promise.all([
    measurePath(
      page,
      `article[data-device-id="${watched}"] video`,
      video.publisher(watched)?.pc as StatsPc | undefined,
      args.seconds,
    ),
    measurePath(page, '#p2p', direct.pc, args.seconds),
  ]);
  direct.close();
  await context.close();
  const g2g = viaSfu.frames.map((f) => f.g2g);
  const p2p = viaDirect.frames.map((f) => f.g2g);
  result.breakdown = { sfu: summarize(viaSfu, args.seconds), direct: summarize(viaDirect, args.seconds) };
  for (const d of duisburg.devices.slice(0, 3)) sim.device(d.deviceId).setStage('standby');
  await new Promise((r) => setTimeout(r, 1500));

  result.glassToGlassMs = { p50: round(pct(g2g, 50)), p95: round(pct(g2g, 95)), frames: g2g.length };
  result.directPeerMs = { p50: round(pct(p2p, 50)), p95: round(pct(p2p, 95)), frames: p2p.length };
  result.sfuAddedMs = {
    p50: round((pct(g2g, 50) ?? 0) - (pct(p2p, 50) ?? 0)),
    p95: round((pct(g2g, 95) ?? 0) - (pct(p2p, 95) ?? 0)),
  };
  result.stageToFirstFrameMs = {
    p50: round(pct(firstFrameMs, 50), 0),
    max: round(Math.max(...firstFrameMs), 0),
  };

  result.whipPostMs = { p50: round(pct(postMs, 50)), p95: round(pct(postMs, 95)), n: postMs.length };
  await video.close();
  await sim.stop();
} finally {
  await browser.close();
  await stack.stop();
}

const g = result.glassToGlassMs as { p50: number; p95: number };
const d = result.directPeerMs as { p50: number; p95: number };
const s = result.sfuAddedMs as { p50: number; p95: number };
const w = result.whipPostMs as { p50: number; p95: number };
const f = result.stageToFirstFrameMs as { p50: number; max: number };
const lines = [
  'live video (loopback, 2 cores)                 p50        p95     goal',
  `glass-to-glass via SFU (Chromium)       ${String(g.p50).padStart(8)} ms ${String(g.p95).padStart(7)} ms   < 80 / 150 ms`,
  `direct peer connection, same sender     ${String(d.p50).padStart(8)} ms ${String(d.p95).padStart(7)} ms`,
  `delay the SFU adds                      ${String(s.p50).padStart(8)} ms ${String(s.p95).padStart(7)} ms   p95 < 10 ms`,
  `WHIP POST → 201                         ${String(w.p50).padStart(8)} ms ${String(w.p95).padStart(7)} ms`,
  `stage change → first frame in the tile  ${String(f.p50).padStart(8)} ms ${String(f.max).padStart(7)} ms (max)   < 1000 ms`,
  '',
  ...formatBreakdown(
    (result.breakdown as { sfu: PathSummary }).sfu,
    (result.breakdown as { direct: PathSummary }).direct,
  ),
  ...(result.capacity ? ['', ...formatCapacity(result.capacity as CapacityRow[])] : []),
  ...(result.stacks ? ['', ...formatStacks(result.stacks as StackRow[])] : []),
];
console.log(lines.join('\n'));
if (args.json) console.log(JSON.stringify(result));
process.exit(0);
