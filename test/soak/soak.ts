/**
 * `npm run soak -- --minutes N [--devices 2000] [--dashboards 5]` (issue 14): two gateways,
 * `--devices` simulated devices sending one status a second through their outbox (the fault suites'
 * fleet), `--dashboards` dashboards split over both gateways. Every 10 s it samples RSS and open
 * file descriptors of every process (gateways, PostgreSQL with its backends, redis-server, this
 * driver) and each gateway's V8 heap and active resources (/metrics). At the end it asserts that
 * after the warm-up (the first third) nothing grew beyond its bound and that every event was stored
 * exactly once, writes test-results/soak-memory.svg and soak.json, and exits 1 if a check failed.
 * Not in it yet: recordings starting and stopping (the SFU), which the issue also asks for.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { z } from 'zod';
import { parseArgs } from '../bench/args.ts';
import { connectOperator, login, type Operator } from '../src/clients.ts';
import { startFleet } from '../src/faults/fleet.ts';
import { memoryPlot, type Series } from '../src/faults/memory-plot.ts';
import { FAULT_GATEWAY_ENV, gauge, storedCounts, within } from '../src/faults/observe.ts';
import { postmasterPid, sampleProcess } from '../src/faults/process-sample.ts';
import { DEMO_PASSWORD, startStack } from '../src/stack.ts';

const args = parseArgs(
  z.object({
    minutes: z.coerce.number().positive().default(60),
    devices: z.coerce.number().int().min(2).default(2000),
    dashboards: z.coerce.number().int().min(1).default(5),
    'sample-s': z.coerce.number().positive().default(10),
  }),
  'soak.ts --minutes N [--devices 2000] [--dashboards 5] [--sample-s 10]',
);

/**
 * Growth allowed between the floor (lowest sample) of the middle third of the run and that of the
 * last third: a garbage-collected heap saws up and down, a leak lifts its floor. Shares are of the
 * middle third's floor (PostgreSQL's backends keep relation files open as they touch them).
 */
const BOUNDS = { rssMb: 64, rssShare: 0.3, fds: 20, fdShare: 0.25, heapMb: 48 };

const durationMs = args.minutes * 60_000;
const events = Math.ceil(durationMs / 1000);
console.log(
  `soak: ${args.devices} devices at 1 Hz, ${args.dashboards} dashboards, 2 gateways, ${args.minutes} min`,
);
const stack = await startStack({
  gateways: 2,
  devicesPerTenant: Math.ceil(args.devices / 2),
  gatewayEnv: FAULT_GATEWAY_ENV,
});
const results = join(REPO_ROOT, 'test-results');
await mkdir(results, { recursive: true });
let exitCode = 0;
try {
  const urls = stack.gateways.map((g) => g.url);
  const devices = stack.tenants.flatMap((t) => t.devices).slice(0, args.devices);
  const ops: Operator[] = [];
  for (let i = 0; i < args.dashboards; i++) {
    const u = urls[i % urls.length]!;
    ops.push(
      await connectOperator(u, await login(u, 'duisburg.operator', DEMO_PASSWORD), { onlyEvents: [] }),
    );
  }
  const pgPid = await postmasterPid(stack.pg.dataDir);
  const procs: Array<{ name: string; pid: number; children: boolean; metricsUrl?: string }> = [
    ...stack.gateways.map((g, i) => ({
      name: `gateway ${i + 1}`,
      pid: g.child.pid!,
      children: false,
      metricsUrl: g.url,
    })),
    ...(pgPid ? [{ name: 'postgresql (all backends)', pid: pgPid, children: true }] : []),
    { name: 'redis-server', pid: stack.redis.pid, children: false },
    { name: 'soak driver (devices, dashboards)', pid: process.pid, children: false },
  ];
  type Row = { tS: number; name: string; rssMb: number; fds: number; heapMb?: number; resources?: number };
  const rows: Row[] = [];
  const start = Date.now();
  const sample = async () => {
    const tS = Math.round((Date.now() - start) / 1000);
    for (const p of procs) {
      const s = await sampleProcess(p.pid, p.children);
      if (!s) continue;
      const row: Row = { tS, name: p.name, rssMb: s.rssMb, fds: s.fds };
      if (p.metricsUrl) {
        row.heapMb =
          Math.round(
            ((await gauge(p.metricsUrl, 'lagebild_process_heap_bytes{').catch(() => 0)) ?? 0) / 1e5,
          ) / 10;
        row.resources = (await gauge(p.metricsUrl, 'lagebild_process_active_resources{').catch(() => 0)) ?? 0;
      }
      if (p.pid === process.pid) row.heapMb = Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
      rows.push(row);
    }
    const last = rows.filter((r) => r.tS === tS);
    console.log(
      `t=${tS}s ${last.map((r) => `${r.name.split(' ')[0]}${r.name.match(/\d/)?.[0] ?? ''}=${r.rssMb}MB/${r.fds}fd`).join(' ')}`,
    );
  };
  const fleet = startFleet({ devices, urls: () => urls, events, intervalMs: 1000, ackTimeoutMs: 10_000 });
  await sample();
  const timer = setInterval(() => void sample(), args['sample-s'] * 1000);
  await within(() => fleet.done(), durationMs + 120_000, 'every device sent and stored its events', 1000);
  clearInterval(timer);
  await sample();
  await fleet.stop();
  for (const op of ops) op.close();

  // no lost events, nothing stored twice
  const stored = await storedCounts(
    stack.db.pool,
    devices.map((d) => d.deviceId),
  );
  let lost = 0;
  let duplicated = 0;
  for (const d of devices) {
    const c = stored.get(d.deviceId);
    lost += events - (c?.distinct ?? 0);
    duplicated += (c?.rows ?? 0) - (c?.distinct ?? 0);
  }
  // growth after the warm-up
  const verdicts: string[] = [];
  const endS = (Date.now() - start) / 1000;
  for (const p of procs) {
    const mine = rows.filter((r) => r.name === p.name);
    const middle = mine.filter((r) => r.tS >= endS / 3 && r.tS < (endS * 2) / 3);
    const lastThird = mine.filter((r) => r.tS >= (endS * 2) / 3);
    if (middle.length === 0 || lastThird.length === 0) continue;
    const grow = (f: (r: Row) => number | undefined) => {
      const base = Math.min(...middle.map((r) => f(r) ?? 0));
      return { base, growth: Math.min(...lastThird.map((r) => f(r) ?? 0)) - base };
    };
    const rss = grow((r) => r.rssMb);
    const fds = grow((r) => r.fds);
    const heap = grow((r) => r.heapMb);
    const rssBound = Math.max(BOUNDS.rssMb, rss.base * BOUNDS.rssShare);
    const fdBound = Math.max(BOUNDS.fds, Math.round(fds.base * BOUNDS.fdShare));
    const ok = rss.growth <= rssBound && fds.growth <= fdBound && heap.growth <= BOUNDS.heapMb;
    if (!ok) exitCode = 1;
    const signed = (n: number, digits = 1) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
    verdicts.push(
      `${ok ? 'ok  ' : 'GREW'} ${p.name}: RSS ${signed(rss.growth)} MB (bound ${rssBound.toFixed(0)}), fds ${signed(fds.growth, 0)} (bound ${fdBound}), heap ${signed(heap.growth)} MB (bound ${BOUNDS.heapMb})`,
    );
  }
  if (lost > 0 || duplicated > 0) exitCode = 1;
  const series: Series[] = procs.map((p) => ({
    name: p.name,
    points: rows.filter((r) => r.name === p.name).map((r) => ({ tS: r.tS, mb: r.rssMb })),
  }));
  await writeFile(
    join(results, 'soak-memory.svg'),
    memoryPlot(`Soak: ${args.devices} devices at 1 Hz, 2 gateways, ${args.minutes} min: RSS`, series),
  );
  await writeFile(
    join(results, 'soak.json'),
    JSON.stringify({ args, lost, duplicated, verdicts, rows }, null, 2),
  );
  console.log(`\nsoak: ${fleet.ackedTotal()} events acknowledged, lost ${lost}, duplicated ${duplicated}`);
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`plot: test-results/soak-memory.svg; samples: test-results/soak.json`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);
