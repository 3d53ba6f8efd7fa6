/**
 * `npm run soak -- --minutes N [--devices 2000] [--dashboards 5] [--recordings 10]` (issue 14): two
 * gateways and the SFU, `--devices` simulated devices sending one status a second through their
 * outbox (the fault suites' fleet), `--dashboards` dashboards split over both gateways, and
 * `--recordings` cameras that each publish over WHIP for `--record-s`, hang up and start again after
 * `--pause-s` (the SFU records and encrypts every stream into the vault). Every 10 s it samples RSS
 * and open file descriptors of every process (gateways, the SFU with its mediasoup workers and ffmpeg
 * recorders, PostgreSQL with its backends, redis-server, this driver) and each gateway's V8 heap and
 * active resources (/metrics). At the end it asserts that after the warm-up (the first third) nothing
 * grew beyond its bound, that every event was stored exactly once and that every recording was
 * sealed complete, writes test-results/soak-memory.svg and soak.json (`--out DIR` elsewhere), prints
 * `1 passed, 0 failed` or `0 passed, 1 failed` last (.ci/run sums it) and exits 1 if a check failed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { z } from 'zod';
import { parseArgs } from '../bench/args.ts';
import { connectOperator, login, type Operator } from '../src/clients.ts';
import { startFleet } from '../src/faults/fleet.ts';
import { memoryPlot, type Series } from '../src/faults/memory-plot.ts';
import { FAULT_GATEWAY_ENV, gauge, storedCounts, within } from '../src/faults/observe.ts';
import { postmasterPid, sampleProcess } from '../src/faults/process-sample.ts';
import { recordingStates, startRecordingCycles } from '../src/faults/recording-cycles.ts';
import { startRecordingStack } from '../src/recording-stack.ts';
import { DEMO_PASSWORD } from '../src/stack.ts';

const args = parseArgs(
  z.object({
    minutes: z.coerce.number().positive().default(60),
    devices: z.coerce.number().int().min(2).default(2000),
    dashboards: z.coerce.number().int().min(1).default(5),
    recordings: z.coerce.number().int().min(0).default(10),
    'record-s': z.coerce.number().positive().default(30),
    'pause-s': z.coerce.number().positive().default(20),
    'sample-s': z.coerce.number().positive().default(10),
    out: z.string().default(join(REPO_ROOT, 'test-results')),
  }),
  'soak.ts --minutes N [--devices 2000] [--dashboards 5] [--recordings 10] [--record-s 30] [--pause-s 20] [--sample-s 10] [--out DIR]',
);

/**
 * Growth allowed between the floor (lowest sample) of the middle third of the run and that of the
 * last third: a garbage-collected heap saws up and down, a leak lifts its floor. Shares are of the
 * middle third's floor. A group of processes (PostgreSQL's backends, the SFU with its workers and
 * ffmpeg recorders) is judged by its memory without shared memory (PostgreSQL's shared buffers,
 * counted again in every backend that touches them and filling up to `shared_buffers` as the table
 * grows) and by descriptors per process (a backend keeps the relation files it touched open), and the
 * number of processes may grow by `processes` (the connection pools' bounds).
 */
const BOUNDS = { rssMb: 64, rssShare: 0.3, fds: 20, fdShare: 0.25, heapMb: 48, processes: 12 };
/** descriptors a PostgreSQL backend may add after the middle third (see the judgement below) */
const PG_FDS_PER_BACKEND = 40;

const durationMs = args.minutes * 60_000;
const events = Math.ceil(durationMs / 1000);
console.log(
  `soak: ${args.devices} devices at 1 Hz, ${args.dashboards} dashboards, 2 gateways, ` +
    `${args.recordings} cameras recording ${args['record-s']} s with ${args['pause-s']} s pauses, ${args.minutes} min`,
);
const startedAt = Date.now();
/** the SFU's warnings and errors (pino levels 40, 50, 60): why a recording was cut, if one was */
const sfuWarnings: string[] = [];
const rs = await startRecordingStack('soak', {
  gateways: 2,
  onSfuLine: (line) => {
    if (/^\{"level":(4|5|6)0/.test(line)) sfuWarnings.push(line);
  },
  devicesPerTenant: Math.ceil(args.devices / 2),
  gatewayEnv: { ...FAULT_GATEWAY_ENV, RETENTION_SWEEP_MS: '0' },
});
const stack = rs.stack;
const results = resolve(args.out);
await mkdir(results, { recursive: true });
let exitCode = 0;
/** what runs until the end; stopped in `finally` also when the soak failed half-way */
const running: Array<{ stop(): Promise<void> | void }> = [];
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
    { name: 'sfu (workers, ffmpeg)', pid: stack.sfu!.child.pid!, children: true },
    ...(pgPid ? [{ name: 'postgresql (all backends)', pid: pgPid, children: true }] : []),
    { name: 'redis-server', pid: stack.redis.pid, children: false },
    { name: 'soak driver (devices, dashboards)', pid: process.pid, children: false },
  ];
  type Row = {
    tS: number;
    name: string;
    rssMb: number;
    /** what is judged: RSS, or for a group of processes RSS without shared memory */
    memMb: number;
    fds: number;
    processes: number;
    heapMb?: number;
    resources?: number;
  };
  const rows: Row[] = [];
  const start = Date.now();
  const sample = async () => {
    const t0 = Date.now();
    const tS = Math.round((t0 - start) / 1000);
    const sampled = await Promise.all(
      procs.map(async (p) => {
        const s = await sampleProcess(p.pid, p.children);
        if (!s) return null;
        const row: Row = {
          tS,
          name: p.name,
          rssMb: s.rssMb,
          memMb: p.children ? Math.round((s.rssMb - s.shmemMb) * 10) / 10 : s.rssMb,
          fds: s.fds,
          processes: s.processes,
        };
        if (p.metricsUrl) {
          // a scrape that times out under load is a missing sample, not a heap of 0 MB
          const heap = await gauge(p.metricsUrl, 'lagebild_process_heap_bytes{').catch(() => null);
          if (heap !== null) row.heapMb = Math.round(heap / 1e5) / 10;
          const resources = await gauge(p.metricsUrl, 'lagebild_process_active_resources{').catch(() => null);
          if (resources !== null) row.resources = resources;
        }
        if (p.pid === process.pid) row.heapMb = Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
        return row;
      }),
    );
    for (const row of sampled) if (row) rows.push(row);
    const last = rows.filter((r) => r.tS === tS);
    console.log(
      `t=${tS}s (${((Date.now() - t0) / 1000).toFixed(1)} s) ${last.map((r) => `${r.name.split(' ')[0]}${r.name.match(/\d/)?.[0] ?? ''}=${r.memMb}MB/${r.fds}fd`).join(' ')}`,
    );
  };
  const fleet = startFleet({
    devices,
    urls: () => urls,
    events,
    intervalMs: 1000,
    ackTimeoutMs: 10_000,
    history: false,
  });
  running.push(fleet);
  const camerasTenant = stack.tenants[0]!;
  const cameras = camerasTenant.devices.slice(0, args.recordings);
  const recordings = startRecordingCycles({
    stack,
    tenantId: camerasTenant.id,
    cameras,
    recordMs: args['record-s'] * 1000,
    pauseMs: args['pause-s'] * 1000,
  });
  running.push(recordings);
  await sample();
  const timer = setInterval(() => void sample(), args['sample-s'] * 1000);
  running.push({ stop: () => clearInterval(timer) });
  // the events still in the devices' outboxes then were not lost, but the system did not keep up
  const drainMs = 120_000;
  const drained = await within(() => fleet.done(), durationMs + drainMs, 'outboxes drained', 1000).then(
    () => true,
    () => false,
  );
  const waiting = fleet.outboxTotal();
  if (!drained) exitCode = 1;
  clearInterval(timer);
  await sample();
  await recordings.stop();
  await fleet.stop();
  for (const op of ops) op.close();

  // every recording sealed: none left recording (ffmpeg finishes its container after the hang-up),
  // none incomplete (a cut), at least one per connected publish
  const cameraIds = cameras.map((c) => c.deviceId);
  await within(
    async () => !(await recordingStates(stack.db.pool, cameraIds)).recording,
    60_000,
    'every recording sealed after its camera hung up',
    1000,
  ).catch(() => {});
  const recordingsByState = await recordingStates(stack.db.pool, cameraIds);
  const sealedComplete = recordingsByState.complete ?? 0;
  const notComplete = Object.entries(recordingsByState).filter(([state]) => state !== 'complete');
  if (notComplete.length > 0 || sealedComplete < recordings.started) exitCode = 1;
  if (args.recordings > 0 && recordings.started === 0) exitCode = 1;

  // no lost events, nothing stored twice
  const stored = await storedCounts(
    stack.db.pool,
    devices.map((d) => d.deviceId),
  );
  let lost = 0;
  let duplicated = 0;
  for (const d of fleet.devices) {
    const c = stored.get(d.deviceId);
    // acks come in seq order (each device sends its oldest waiting event): 1..ackedCount were acked
    lost += Math.max(0, d.ackedCount - (c?.distinct ?? 0));
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
      const floor = (rs: Row[]) => {
        const xs = rs.map(f).filter((x): x is number => x !== undefined);
        return xs.length > 0 ? Math.min(...xs) : 0;
      };
      const base = floor(middle);
      return { base, growth: floor(lastThird) - base };
    };
    const rss = grow((r) => r.memMb);
    const fds = p.children ? grow((r) => Math.round(r.fds / r.processes)) : grow((r) => r.fds);
    const heap = grow((r) => r.heapMb);
    const processes = grow((r) => r.processes);
    const rssBound = Math.max(BOUNDS.rssMb, rss.base * BOUNDS.rssShare);
    // a PostgreSQL backend opens the files of the relations its queries touch and keeps them (its
    // own cache, capped by max_files_per_process): a short run still sees that warm-up (+22 per
    // backend in a 5-minute CI run, -10 over an hour), so its allowance per backend is larger
    const fdBound = p.name.startsWith('postgresql')
      ? Math.max(PG_FDS_PER_BACKEND, Math.round(fds.base * BOUNDS.fdShare))
      : Math.max(BOUNDS.fds, Math.round(fds.base * BOUNDS.fdShare));
    const ok =
      rss.growth <= rssBound &&
      fds.growth <= fdBound &&
      heap.growth <= BOUNDS.heapMb &&
      processes.growth <= BOUNDS.processes;
    if (!ok) exitCode = 1;
    const signed = (n: number, digits = 1) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
    verdicts.push(
      `${ok ? 'ok  ' : 'GREW'} ${p.name}: ${p.children ? 'memory without shared' : 'RSS'} ${signed(rss.growth)} MB (bound ${rssBound.toFixed(0)}), fds${p.children ? ' per process' : ''} ${signed(fds.growth, 0)} (bound ${fdBound}), heap ${signed(heap.growth)} MB (bound ${BOUNDS.heapMb})${p.children ? `, processes ${signed(processes.growth, 0)} (bound ${BOUNDS.processes})` : ''}`,
    );
  }
  if (lost > 0 || duplicated > 0) exitCode = 1;
  const series: Series[] = procs.map((p) => ({
    name: p.name,
    points: rows.filter((r) => r.name === p.name).map((r) => ({ tS: r.tS, mb: r.memMb })),
  }));
  await writeFile(
    join(results, 'soak-memory.svg'),
    memoryPlot(
      `Soak: ${args.devices} devices at 1 Hz, 2 gateways, ${args.recordings} cameras recording on and off, ${args.minutes} min: RSS (PostgreSQL, SFU: without shared memory)`,
      series,
    ),
  );
  const recordingFigures = {
    started: recordings.started,
    failedToStart: recordings.failedToStart,
    byState: recordingsByState,
  };
  await writeFile(join(results, 'sfu-warnings.log'), sfuWarnings.map((l) => `${l}\n`).join(''));
  await writeFile(
    join(results, 'soak.json'),
    JSON.stringify(
      { args, lost, duplicated, drained, waiting, recordings: recordingFigures, verdicts, rows },
      null,
      2,
    ),
  );
  console.log(`\nsoak: ${fleet.ackedTotal()} events acknowledged, lost ${lost}, duplicated ${duplicated}`);
  if (!drained)
    console.log(
      `soak: did not keep up: ${waiting} events still in the devices' outboxes ${drainMs / 1000} s after the last was made`,
    );
  console.log(
    `soak: recordings started ${recordings.started} (${recordings.failedToStart} publishes did not connect), ` +
      `sealed ${JSON.stringify(recordingsByState)}`,
  );
  console.log(`soak: the SFU logged ${sfuWarnings.length} warnings or errors (sfu-warnings.log)`);
  for (const l of sfuWarnings.slice(0, 3)) console.log(`  ${l.slice(0, 300)}`);
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`plot: ${join(results, 'soak-memory.svg')}; samples: ${join(results, 'soak.json')}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  for (const r of running.reverse()) await r.stop();
  await rs.stop();
}
console.log(`soak: ${((Date.now() - startedAt) / 60_000).toFixed(1)} min in all`);
// the closing line .ci/run sums with the other suites': the soak counts as one test
console.log(exitCode === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed');
process.exit(exitCode);
