/**
 * `npm run bench:map -- [--sizes 2000,10000] [--seconds 15] [--rate 1] [--json] [--profile DIR] [--screenshot DIR] [--no-worker]`
 *
 * The control room's map under load (issue 17): starts embedded PostgreSQL, redis-server and one
 * gateway serving the built control room (as the Playwright specs do), provisions the units of each
 * size in its own municipality (the first size in Duisburg, the second in Dortmund, each on shift),
 * drives them at 1 Hz (or --rate) through the real gateway with the device driver of bench:status
 * (status-driver.ts, a separate process), and opens the map in Debian's Chromium as that
 * municipality's operator. One size after the other, never both fleets at once. Per size:
 *
 * - main-thread time per status batch, from a Chromium trace of the map standing still: the batches
 *   are the page's `lagebild:batch` User Timing measures (web/src/lib/perf-marks.ts, switched on by
 *   `window.__LAGEBILD_PERF__`); everything the renderer's main thread runs from the task that
 *   received one batch to the task that received the next is charged to it (the store, the canvas
 *   frame's part on the page, React's list frame, GC; and the parsing and validation where the socket
 *   runs on the page), as wall time and as the thread's CPU time (the latter is what a busy machine
 *   disturbs least); plus the handler and the canvas draw alone; and whether the page reconnected
 *   (its snapshots) or lost its batches in the still window;
 * - frames per second while panning (mouse drags) and while zooming (wheel), counted with
 *   requestAnimationFrame in the page, with the longest frame;
 * - the JS heap (used, before and after a forced collection).
 *
 * The goal at 10,000 units: ≤ 8 ms p95 per batch and ≥ 50 fps while panning. A benchmark, never a
 * timed test: everything shares this machine's cores, so absolute figures move with its load; the
 * sizes are compared within the same run. With `--json` the last line of stdout is one JSON object.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Browser, chromium, type Page } from 'playwright';
import { z } from 'zod';
import playwrightConfig from '../playwright.config.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { parseArgs } from './args.ts';
import { provisionFleet } from './fleet.ts';

const Args = z.object({
  sizes: z
    .string()
    .default('2000,10000')
    .transform((s) => s.split(',').map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(1).max(20_000)).min(1).max(2)),
  /** seconds of the map standing still under the batches (the traced window) */
  seconds: z.coerce.number().min(3).max(300).default(15),
  /**
   * status reports per device and second; below 1 the map still holds every unit of the size but
   * receives fewer updates, for a machine whose gateway and driver cannot carry the full rate
   */
  rate: z.coerce.number().positive().max(1).default(1),
  /** seconds of each gesture (panning, zooming) */
  gesture: z.coerce.number().min(2).max(60).default(8),
  json: z.boolean().default(false),
  /** writes a CPU profile (.cpuprofile) and the trace of each size's still window into DIR */
  profile: z.string().optional(),
  /** writes a screenshot of the page at the end of each size's still window into DIR (map-N.png) */
  screenshot: z.string().optional(),
  /**
   * hides OffscreenCanvas from the page, so the map draws its units on the page as a browser without
   * it does (the fallback), instead of in its drawing worker
   */
  'no-worker': z.boolean().default(false),
});
const args = parseArgs(
  Args,
  'bench:map -- [--sizes 2000,10000] [--seconds 15] [--gesture 8] [--rate 1] [--json] [--profile DIR] [--screenshot DIR] [--no-worker]',
);
const log = (m: string) => process.stderr.write(`[bench:map] ${m}\n`);

/** the goal at the largest size (issue 17) */
const GOAL = { batchP95Ms: 8, panFps: 50 };
const TENANTS = ['duisburg', 'dortmund'] as const;
const VIEWPORT = { width: 1600, height: 900 };

interface Percentiles {
  p50: number;
  p95: number;
  max: number;
  n: number;
}
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN);
  return {
    p50: round(at(0.5), 2),
    p95: round(at(0.95), 2),
    max: round(s.at(-1) ?? Number.NaN, 2),
    n: s.length,
  };
}

interface SizeResult {
  units: number;
  /** what the unit list said at the end ("N von M Einheiten") */
  unitsInList: string;
  devicesConnected: number;
  batchesPerSecond: number;
  /** unit updates the page received per second, and per batch */
  unitsPerSecond: number;
  unitsPerBatch: Percentiles;
  /** main-thread time from one batch's task to the next's, wall clock */
  perBatchWallMs: Percentiles;
  /** the same, the main thread's own CPU time */
  perBatchCpuMs: Percentiles;
  /** the page's batch handler (`lagebild:batch`): the store, and validation where the socket is on the page */
  handlerMs: Percentiles;
  /** the units canvas redraw on the main thread (`lagebild:units-draw`) */
  drawMs: Percentiles;
  /** the drawing worker's part of a redraw (`lagebild:units-raster`); n = 0 when drawn on the page */
  rasterMs: Percentiles;
  /** share of the wall time the main thread was busy in the still window */
  mainThreadBusy: number;
  /** snapshots the page applied (one per (re)connect) since it opened, and in the still window */
  snapshots: number;
  snapshotsStill: number;
  /** the connection indicator's state at the end of the still window, and how long since a batch */
  endOfStill: string;
  pan: Fps;
  zoom: Fps;
  heapUsedMb: number;
  heapUsedAfterGcMb: number;
}
interface Fps {
  fps: number;
  /** longest frame, ms */
  worstFrameMs: number;
  /** frames longer than 20 ms (below 50 fps) */
  slowFrames: number;
  frames: number;
}

const work = await mkdtemp(join(tmpdir(), 'lagebild-bench-map-'));
await chmod(work, 0o755);
let stack: Stack | undefined;
let browser: Browser | undefined;
let driver: ChildProcess | undefined;
const results: SizeResult[] = [];

try {
  log('starting PostgreSQL, Redis and one gateway serving the built control room');
  stack = await startStack({ gateways: 1, devicesPerTenant: 1, serveWeb: true, logLevel: 'error' });
  const launch = playwrightConfig.use?.launchOptions ?? {};
  browser = await chromium.launch({ ...launch, headless: true });
  if (args.profile) await mkdir(args.profile, { recursive: true });
  if (args.screenshot) await mkdir(args.screenshot, { recursive: true });

  for (const [i, size] of args.sizes.entries()) {
    const slug = TENANTS[i]!;
    const tenant = stack.tenants.find((t) => t.slug === slug)!;
    log(`${size} units in ${slug}: provisioning and opening shifts`);
    const credentialsFile = join(work, `devices-${slug}.json`);
    await provisionFleet(stack, tenant, {
      count: size,
      labelPrefix: 'MAP',
      callsign: 'Karte',
      teams: 12,
      credentialsFile,
    });

    // the page first: under a fleet's connection ramp a loaded machine's gateway answers HTTP slowly
    log(`opening the map as ${slug}.operator`);
    const opened = await openMap(browser, stack.url, slug);
    log(`driving ${size} devices at ${args.rate} Hz (status-driver.ts); waiting for the ramp`);
    const drv = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'status-driver.ts'),
        '--url',
        stack.url,
        '--credentials',
        credentialsFile,
        '--duration',
        '3600',
        '--rate',
        String(args.rate),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    driver = drv;
    const exited = new Promise<void>((resolve) => drv.on('exit', () => resolve()));
    const connected = await new Promise<number>((resolve, reject) => {
      createInterface({ input: drv.stdout! }).on('line', (line) => {
        if (line.startsWith('{"msg":"ready"')) resolve(JSON.parse(line).connected as number);
      });
      drv.on('exit', (code) => reject(new Error(`the device driver exited (${code}) before it was ready`)));
    });
    log(`${connected} of ${size} devices connected; measuring`);

    const result = await measureMap(opened, size, connected);
    results.push(result);
    log(
      `${size}: per batch p95 ${result.perBatchWallMs.p95} ms wall / ${result.perBatchCpuMs.p95} ms CPU, pan ${result.pan.fps} fps, zoom ${result.zoom.fps} fps`,
    );

    drv.kill('SIGTERM');
    await exited;
    driver = undefined;
    // let the gateway mark the fleet offline before the next size starts
    await new Promise((r) => setTimeout(r, 5000));
  }
} finally {
  if (driver) driver.kill('SIGKILL');
  await browser?.close().catch(() => {});
  await stack?.stop().catch(() => {});
  await rm(work, { recursive: true, force: true });
}

printReport(results);

/** Opens the control room as the tenant's operator, with the page's measures switched on. */
async function openMap(browser: Browser, url: string, slug: string) {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
  });
  const page = await context.newPage();
  if (args['no-worker']) {
    await page.addInitScript(() => {
      delete (window as { OffscreenCanvas?: unknown }).OffscreenCanvas;
    });
  }
  await page.addInitScript(() => {
    const w = window as unknown as {
      __LAGEBILD_PERF__: boolean;
      __bench: {
        batch: number[];
        units: number[];
        draw: number[];
        raster: number[];
        snapshots: number[];
        lastBatchAt: number;
      };
    };
    w.__LAGEBILD_PERF__ = true;
    w.__bench = { batch: [], units: [], draw: [], raster: [], snapshots: [], lastBatchAt: 0 };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.name === 'lagebild:batch') {
          w.__bench.lastBatchAt = e.startTime;
          w.__bench.batch.push(e.duration);
          w.__bench.units.push((e as PerformanceMeasure).detail?.units ?? 0);
        } else if (e.name === 'lagebild:snapshot') w.__bench.snapshots.push(e.startTime);
        else if (e.name === 'lagebild:units-draw') w.__bench.draw.push(e.duration);
        else if (e.name === 'lagebild:units-raster') w.__bench.raster.push(e.duration);
      }
      performance.clearMeasures(); // a long run must not fill the timeline
    }).observe({ type: 'measure' });
  });
  await page.goto(`${url}/login/`, { timeout: 120_000 });
  await page.getByLabel(/Benutzername|Username/).fill(`${slug}.operator`);
  await page.getByLabel(/Passwort|Password/).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /Anmelden|Sign in|Log in/ }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 120_000 });
  await page.locator('canvas.unit-canvas').waitFor({ state: 'attached', timeout: 120_000 });
  return { browser, context, page };
}

/** Measures one size on the open map once its fleet is connected. */
async function measureMap(
  { browser, context, page }: Awaited<ReturnType<typeof openMap>>,
  size: number,
  connected: number,
): Promise<SizeResult> {
  // the snapshot and a few seconds of batches before anything is measured
  await page.waitForFunction(
    () => (window as unknown as { __bench: { batch: number[] } }).__bench.batch.length >= 30,
    undefined,
    { timeout: 120_000 },
  );
  await page.waitForTimeout(3000);
  const cdp = await context.newCDPSession(page);

  // 1. the map standing still, batches arriving: a trace (and optionally a CPU profile)
  await page.evaluate(() => {
    const b = (
      window as unknown as { __bench: { batch: number[]; units: number[]; draw: number[]; raster: number[] } }
    ).__bench;
    b.batch.length = 0;
    b.units.length = 0;
    b.draw.length = 0;
    b.raster.length = 0;
  });
  if (args.profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  await browser.startTracing(page, {
    categories: [
      'toplevel',
      'devtools.timeline',
      'disabled-by-default-devtools.timeline',
      'blink.user_timing',
    ],
  });
  const traceStart = Date.now();
  const stillFrom = await page.evaluate(() => performance.now());
  await page.waitForTimeout(args.seconds * 1000);
  const traceBuffer = await browser.stopTracing();
  const traceSeconds = (Date.now() - traceStart) / 1000;
  if (args.profile) {
    const { profile } = await cdp.send('Profiler.stop');
    await writeFile(join(args.profile, `map-${size}.cpuprofile`), JSON.stringify(profile));
    await writeFile(join(args.profile, `map-${size}.trace.json`), traceBuffer);
  }
  const inPage = await page.evaluate(() => {
    const b = (
      window as unknown as { __bench: { batch: number[]; units: number[]; draw: number[]; raster: number[] } }
    ).__bench;
    return { batch: [...b.batch], units: [...b.units], draw: [...b.draw], raster: [...b.raster] };
  });
  const { snapshots, sinceBatchS, connection } = await page.evaluate(() => {
    const b = (window as unknown as { __bench: { snapshots: number[]; lastBatchAt: number } }).__bench;
    return {
      snapshots: b.snapshots,
      sinceBatchS: (performance.now() - b.lastBatchAt) / 1000,
      // the connection indicator's state (connection-live, -reconnecting, …)
      connection: document.querySelector('.connection')?.className.replace('connection ', '') ?? '?',
    };
  });
  const perBatch = mainThreadPerBatch(JSON.parse(traceBuffer.toString('utf8')));
  if (args.screenshot) await page.screenshot({ path: join(args.screenshot, `map-${size}.png`) });

  // 2. panning: mouse drags across the map, batches still arriving
  const map = page.locator('.live-map-canvas');
  const box = (await map.boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const pan = await countFrames(page, async () => {
    const end = Date.now() + args.gesture * 1000;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    let t = 0;
    while (Date.now() < end) {
      // a slow figure of eight around the centre, 250 px across: the map follows the pointer
      t += 0.05;
      await page.mouse.move(cx + 250 * Math.sin(t), cy + 120 * Math.sin(2 * t));
    }
    await page.mouse.up();
  });

  // 3. zooming: the wheel in and out around the centre, one step every 350 ms
  const zoom = await countFrames(page, async () => {
    const end = Date.now() + args.gesture * 1000;
    await page.mouse.move(cx, cy);
    let step = 0;
    while (Date.now() < end) {
      await page.mouse.wheel(0, step % 4 < 2 ? -120 : 120);
      step += 1;
      await page.waitForTimeout(350);
    }
  });

  // 4. heap: as it is, then after a full collection
  const before = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.send('HeapProfiler.collectGarbage');
  const after = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };

  const unitsInList =
    (await page
      .locator('#units-title')
      .locator('xpath=following-sibling::span[1]')
      .textContent()
      .catch(() => null)) ?? '?';
  await context.close();

  return {
    units: size,
    unitsInList: unitsInList.trim(),
    devicesConnected: connected,
    batchesPerSecond: round(inPage.batch.length / traceSeconds, 1),
    unitsPerSecond: Math.round(inPage.units.reduce((a, b) => a + b, 0) / traceSeconds),
    unitsPerBatch: percentiles(inPage.units),
    perBatchWallMs: percentiles(perBatch.wall),
    perBatchCpuMs: percentiles(perBatch.cpu),
    handlerMs: percentiles(inPage.batch),
    drawMs: percentiles(inPage.draw),
    rasterMs: percentiles(inPage.raster),
    mainThreadBusy: round(perBatch.busyShare, 3),
    snapshots: snapshots.length,
    snapshotsStill: snapshots.filter((t) => t >= stillFrom).length,
    endOfStill: `${connection}, last batch ${round(sinceBatchS, 1)} s before`,
    pan,
    zoom,
    heapUsedMb: round(before.usedSize / 2 ** 20, 1),
    heapUsedAfterGcMb: round(after.usedSize / 2 ** 20, 1),
  };
}

/** Counts requestAnimationFrame callbacks while `gesture` runs. */
async function countFrames(page: Page, gesture: () => Promise<void>): Promise<Fps> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: { times: number[]; on: boolean } };
    w.__frames = { times: [], on: true };
    const loop = (t: number) => {
      if (!w.__frames.on) return;
      w.__frames.times.push(t);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  await gesture();
  const times = await page.evaluate(() => {
    const w = window as unknown as { __frames: { times: number[]; on: boolean } };
    w.__frames.on = false;
    return w.__frames.times;
  });
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
  return {
    fps: span > 0 ? round((gaps.length / span) * 1000, 1) : 0,
    worstFrameMs: round(Math.max(0, ...gaps), 1),
    slowFrames: gaps.filter((g) => g > 20).length,
    frames: gaps.length,
  };
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * From a Chromium trace: the renderer main thread that logged the `lagebild:batch` measures, its
 * top-level tasks, and for each batch the time of every task from the one that received it up to
 * the one that received the next.
 */
function mainThreadPerBatch(trace: { traceEvents: TraceEvent[] } | TraceEvent[]): {
  wall: number[];
  cpu: number[];
  busyShare: number;
} {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const marks = events.filter(
    (e) => e.name === 'lagebild:batch' && (e.ph === 'b' || e.ph === 'R' || e.ph === 'X'),
  );
  if (marks.length < 2) {
    // a main thread too busy to flush its trace in time: say so rather than invent figures
    log(`the trace holds ${marks.length} batch measures: no per-batch figures for this size`);
    return { wall: [], cpu: [], busyShare: Number.NaN };
  }
  const pid = marks[0]!.pid;
  const main = events.find(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === pid && e.args?.name === 'CrRendererMain',
  );
  if (!main) {
    log('no CrRendererMain thread in the trace: no per-batch figures for this size');
    return { wall: [], cpu: [], busyShare: Number.NaN };
  }
  const taskName = events.some((e) => e.name === 'RunTask' && e.pid === pid && e.tid === main.tid)
    ? 'RunTask'
    : 'ThreadControllerImpl::RunTask';
  const tasks = events
    .filter((e) => e.ph === 'X' && e.name === taskName && e.pid === pid && e.tid === main.tid)
    .sort((a, b) => a.ts - b.ts);
  // top level only (a nested run loop logs tasks inside a task)
  const top: TraceEvent[] = [];
  for (const t of tasks) {
    const last = top.at(-1);
    if (last && t.ts < last.ts + (last.dur ?? 0)) continue;
    top.push(t);
  }
  // each batch's window starts with the task that received it
  const starts: number[] = [];
  let k = 0;
  for (const ts of marks.map((m) => m.ts).sort((a, b) => a - b)) {
    while (k + 1 < top.length && top[k + 1]!.ts <= ts) k++;
    const task = top[k];
    const start = task && task.ts <= ts ? task.ts : ts;
    if (starts.at(-1) !== start) starts.push(start);
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  let j = 0;
  for (let b = 0; b + 1 < starts.length; b++) {
    let w = 0;
    let c = 0;
    while (j < top.length && top[j]!.ts < starts[b]!) j++;
    while (j < top.length && top[j]!.ts < starts[b + 1]!) {
      w += top[j]!.dur ?? 0;
      c += top[j]!.tdur ?? top[j]!.dur ?? 0;
      j++;
    }
    wall.push(w / 1000);
    cpu.push(c / 1000);
  }
  const windowUs = starts.at(-1)! - starts[0]!;
  const busy = wall.reduce((a, b) => a + b, 0) * 1000;
  return { wall, cpu, busyShare: windowUs > 0 ? busy / windowUs : 0 };
}

function printReport(rs: SizeResult[]): void {
  const fmt = (p: Percentiles) => `${p.p50} / ${p.p95} ms`;
  const rows: Array<[string, (r: SizeResult) => string]> = [
    ['devices connected', (r) => `${r.devicesConnected}`],
    ['unit list', (r) => r.unitsInList],
    ['batches per second', (r) => `${r.batchesPerSecond}`],
    ['unit updates received per second', (r) => `${r.unitsPerSecond}`],
    ['units per batch p50 / p95', (r) => `${r.unitsPerBatch.p50} / ${r.unitsPerBatch.p95}`],
    ['main thread per batch, wall p50 / p95', (r) => fmt(r.perBatchWallMs)],
    ['main thread per batch, CPU p50 / p95', (r) => fmt(r.perBatchCpuMs)],
    ['  batch handler on the page p50 / p95', (r) => fmt(r.handlerMs)],
    ['  units canvas redraw (main thread) p50 / p95', (r) => fmt(r.drawMs)],
    [
      'units drawn in the worker p50 / p95',
      (r) => (r.rasterMs.n > 0 ? fmt(r.rasterMs) : 'no worker: drawn on the page'),
    ],
    ['main thread busy (still map)', (r) => `${Math.round(r.mainThreadBusy * 100)} %`],
    ['snapshots (connections) since open · in still window', (r) => `${r.snapshots} · ${r.snapshotsStill}`],
    ['end of the still window: connection, last batch', (r) => r.endOfStill],
    ['fps panning (worst frame)', (r) => `${r.pan.fps} (${r.pan.worstFrameMs} ms)`],
    ['fps zooming (worst frame)', (r) => `${r.zoom.fps} (${r.zoom.worstFrameMs} ms)`],
    ['JS heap used / after GC', (r) => `${r.heapUsedMb} / ${r.heapUsedAfterGcMb} MB`],
  ];
  const head = ['measure', ...rs.map((r) => `${r.units.toLocaleString('en')} units`)];
  const table = [head, ...rows.map(([name, f]) => [name, ...rs.map(f)])];
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  console.log(line(table[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
  const largest = rs.reduce((a, b) => (b.units > a.units ? b : a));
  const met = {
    batchP95: largest.perBatchWallMs.p95 <= GOAL.batchP95Ms,
    panFps: largest.pan.fps >= GOAL.panFps,
  };
  console.log(
    `goal at ${largest.units.toLocaleString('en')} units${args.rate < 1 ? ` (each at ${args.rate} Hz)` : ''}: per batch p95 ≤ ${GOAL.batchP95Ms} ms (${largest.perBatchWallMs.p95} ms wall: ${met.batchP95 ? 'met' : 'not met'}), ≥ ${GOAL.panFps} fps panning (${largest.pan.fps}: ${met.panFps ? 'met' : 'not met'}); shared machine, figures move with its load`,
  );
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'map',
        date: new Date().toISOString(),
        rate: args.rate,
        drawing: args['no-worker'] ? 'page' : 'worker',
        goal: GOAL,
        met,
        results: rs,
      }),
    );
  }
}
