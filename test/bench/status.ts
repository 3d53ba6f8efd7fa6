/**
 * `npm run bench:status -- --devices N [--duration 30] [--gateways 1] [--transport websocket|socket.io] [--json] [--url http://host:port --credentials f.json]`
 *
 * Starts embedded PostgreSQL, redis-server and one gateway process (`--gateways 2`: two, behind the
 * one Redis, the devices split between them; or uses --url), provisions N
 * devices, drives them at 1 Hz from a separate driver process (over the plain device WebSocket, or
 * `--transport socket.io`), and watches as a dashboard of the
 * same tenant. Reports sent / acknowledged / delivered counts, lost stage changes (sent by devices,
 * persisted, and seen by the dashboard), device-to-dashboard latency (device clock at send → batch
 * received; same machine, same clock), and the gateway's CPU and RSS sampled from /proc. Then the
 * same driver against a bare ws server that only parses and acknowledges each status
 * (ws-reference.ts; `--skip-reference` leaves it out): the gateway's CPU per status against that
 * floor, and its memory per connected device (issue 17: within 3x, <= 20 KB).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ControlBatch } from '@lagebild/protocol';
import { z } from 'zod';
import { connectOperator, login } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { parseArgs } from './args.ts';
import { provisionFleet } from './fleet.ts';

const Args = z.object({
  devices: z.coerce.number().int().min(1).max(50_000).default(1000),
  duration: z.coerce.number().min(5).max(3600).default(30),
  json: z.boolean().default(false),
  url: z.string().url().optional(),
  credentials: z.string().optional(),
  login: z.string().default(`duisburg.operator:${DEMO_PASSWORD}`),
  'in-flight': z.coerce.number().int().min(1).max(100).default(1),
  /** statuses per device and second (a low rate measures the connection ramp alone) */
  rate: z.coerce.number().positive().max(10).default(1),
  /** gateway processes behind the one Redis; the driver spreads the devices over them */
  gateways: z.coerce.number().int().min(1).max(4).default(1),
  /**
   * the device protocol the driver speaks: the plain WebSocket (`/api/device/v1/ws`) or Socket.IO's
   * `/device`; the reference speaks the same one
   */
  transport: z.enum(['websocket', 'socket.io']).default('websocket'),
  /** leave out the bare ws reference (it doubles the run) */
  'skip-reference': z.boolean().default(false),
});
const args = parseArgs(
  Args.refine((a) => !a.url || a.credentials, {
    message: '--url needs --credentials devices.json',
    path: ['url'],
  }),
  'bench:status -- --devices N [--duration s] [--gateways 1] [--transport websocket|socket.io] [--json] [--url URL --credentials devices.json]',
);
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const round1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

interface DriveResult {
  result: Record<string, number>;
  /** per second while measuring: the server's, the driver's and the machine's CPU */
  cpu: number[];
  driverCpu: number[];
  machineCpu: number[];
  /** per second while measuring: PostgreSQL's (all its processes) and Redis's CPU */
  storesCpu: number[];
  /** the server's RSS (MB) each second while measuring */
  rss: number[];
  /** the server's CPU time per acknowledged status between all devices connected and the end */
  cpuUsPerStatus: number | null;
  /** the server's RSS growth from before the driver started to all devices connected, per device */
  kbPerDevice: number | null;
  /** from the driver's start until every device was connected (or the driver gave up waiting) */
  rampS: number;
  /** devices connected when the driver stopped waiting */
  connectedAtReady: number;
}

const TICKS = 100; // USER_HZ on Linux
async function processJiffies(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(stat[11]) + Number(stat[12]);
}
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}
/** the server's CPU time and RSS: of all its processes together (several gateways) */
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const serverJiffies = async (pids: number[]) => sum(await Promise.all(pids.map(processJiffies)));
const serverRssMb = async (pids: number[]) => sum(await Promise.all(pids.map(rssMb)));
/**
 * The stack's PostgreSQL (its postmaster, found by its data directory, and every backend under it)
 * and its redis-server: their processes now (backends come and go).
 */
async function storePids(dataDir: string, redisPid: number): Promise<number[]> {
  const procs = await Promise.all(
    (await readdir('/proc'))
      .filter((d) => /^\d+$/.test(d))
      .map(async (d) => {
        try {
          const [stat, cmd] = await Promise.all([
            readFile(`/proc/${d}/stat`, 'utf8'),
            readFile(`/proc/${d}/cmdline`, 'utf8'),
          ]);
          return { pid: Number(d), ppid: Number(stat.split(') ')[1]!.split(' ')[1]), cmd: cmd.split('\0') };
        } catch {
          return null; // gone meanwhile
        }
      }),
  );
  const live = procs.filter((p) => p !== null);
  const master = live.find((p) => p.cmd.includes('-D') && p.cmd[p.cmd.indexOf('-D') + 1] === dataDir);
  return [
    redisPid,
    ...(master ? [master.pid, ...live.filter((p) => p.ppid === master.pid).map((p) => p.pid)] : []),
  ];
}
const storesJiffies = async (o: { dataDir: string; redisPid: number }) => {
  const pids = await storePids(o.dataDir, o.redisPid);
  return sum(await Promise.all(pids.map((p) => processJiffies(p).catch(() => 0))));
};

async function machineJiffies() {
  const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { busy: f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!, cores: cpus().length };
}

/**
 * Runs the device driver (its own process) against `urls` (devices spread over them) and samples
 * the server's processes from /proc once a second while measuring (all devices connected): whether
 * the server or the machine is the limit.
 */
async function driveServer(o: {
  urls: string[];
  credentialsFile: string;
  serverPids: number[];
  /** the stack's PostgreSQL data directory and Redis pid, when the bench started them */
  stores?: { dataDir: string; redisPid: number };
  onReady?: () => void;
}): Promise<DriveResult> {
  const { serverPids } = o;
  const watchServer = serverPids.length > 0;
  const rssBefore = watchServer ? await serverRssMb(serverPids) : null;
  const driverStarted = Date.now();
  let rampS = Number.NaN;
  let connectedAtReady = 0;
  const driver = spawn(
    process.execPath,
    [
      join(import.meta.dirname, 'status-driver.ts'),
      '--url',
      o.urls.join(','),
      '--credentials',
      o.credentialsFile,
      '--duration',
      String(args.duration),
      '--in-flight',
      String(args['in-flight']),
      '--rate',
      String(args.rate),
      '--transport',
      args.transport,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // e.g. --cpu-prof for a profile of the driver (as LB_BENCH_GATEWAY_NODE_OPTIONS for the gateway)
      env: { ...process.env, NODE_OPTIONS: process.env.LB_BENCH_DRIVER_NODE_OPTIONS ?? '' },
    },
  );
  let result: Record<string, number> = {};
  let measuring = false;
  let atReady: { jiffies: number; acked: number; rss: number } | null = null;
  let atEnd: { jiffies: number; acked: number } | null = null;
  const done = new Promise<void>((resolve) => {
    createInterface({ input: driver.stdout! }).on('line', async (line) => {
      if (line.startsWith('{"msg":"ready"')) {
        const ready = JSON.parse(line) as { connected: number; acked: number };
        rampS = (Date.now() - driverStarted) / 1000;
        connectedAtReady = ready.connected;
        measuring = true;
        o.onReady?.();
        log(`devices connected: ${ready.connected} after ${rampS.toFixed(1)} s; measuring`);
        if (watchServer)
          atReady = {
            jiffies: await serverJiffies(serverPids),
            acked: ready.acked,
            rss: await serverRssMb(serverPids),
          };
      }
      if (line.startsWith('{"msg":"result"')) {
        result = JSON.parse(line);
        if (watchServer) atEnd = { jiffies: await serverJiffies(serverPids), acked: result.acked ?? 0 };
        log(`driver: ${line}`);
      }
    });
    driver.on('exit', () => resolve());
  });
  const cpu: number[] = [];
  const driverCpu: number[] = [];
  const machineCpu: number[] = [];
  const storesCpu: number[] = [];
  const rss: number[] = [];
  let last: { t: number; server: number; driver: number; busy: number; stores: number } | undefined;
  const sampler = setInterval(async () => {
    if (!watchServer || !measuring || !driver.pid) return;
    try {
      const [server, drv, m, stores] = await Promise.all([
        serverJiffies(serverPids),
        processJiffies(driver.pid),
        machineJiffies(),
        o.stores ? storesJiffies(o.stores) : 0,
      ]);
      const t = Date.now();
      if (last) {
        const share = (j: number) => Math.round((j / TICKS / ((t - last!.t) / 1000)) * 100);
        cpu.push(share(server - last.server));
        driverCpu.push(share(drv - last.driver));
        machineCpu.push(share(m.busy - last.busy) / m.cores);
        // a backend that ended between two samples takes its time with it: a lower bound
        if (o.stores) storesCpu.push(Math.max(0, share(stores - last.stores)));
      }
      last = { t, server, driver: drv, busy: m.busy, stores };
      rss.push(await serverRssMb(serverPids));
    } catch {}
  }, 1000);
  await done;
  await new Promise((r) => setTimeout(r, 50)); // the result line's own /proc read
  clearInterval(sampler);
  const ready = atReady as { jiffies: number; acked: number; rss: number } | null;
  const end = atEnd as { jiffies: number; acked: number } | null;
  const acked = ready && end ? end.acked - ready.acked : 0;
  return {
    result,
    cpu,
    driverCpu,
    machineCpu,
    storesCpu,
    rss,
    rampS,
    connectedAtReady,
    cpuUsPerStatus: ready && end && acked > 0 ? ((end.jiffies - ready.jiffies) / TICKS / acked) * 1e6 : null,
    kbPerDevice:
      ready && rssBefore !== null && result.devices
        ? ((ready.rss - rssBefore) * 1024) / result.devices
        : null,
  };
}

/** The same driver against the bare ws server of ws-reference.ts, in this run. */
async function driveReference(credentialsFile: string): Promise<DriveResult> {
  log('reference: the same driver against a bare ws server that parses and acknowledges each status');
  const ref = spawn(process.execPath, [join(import.meta.dirname, 'ws-reference.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
      ref.once('exit', (code) => reject(new Error(`the ws reference exited (${code}) before it listened`)));
      createInterface({ input: ref.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
    });
    return await driveServer({ urls: [ready.url], credentialsFile, serverPids: [ready.pid] });
  } finally {
    ref.kill('SIGTERM');
  }
}

const work = await mkdtemp(join(tmpdir(), 'lagebild-bench-'));
await chmod(work, 0o755);
let stack: Stack | undefined;
let url = args.url;
let credentialsFile = args.credentials;
let gatewayPids: number[] = [];
let gatewayUrls: string[] = args.url ? [args.url] : [];

try {
  if (!url) {
    log(
      `starting PostgreSQL, Redis and ${args.gateways === 1 ? 'one gateway' : `${args.gateways} gateways`}; provisioning ${args.devices} devices`,
    );
    stack = await startStack({
      gateways: args.gateways,
      devicesPerTenant: 1,
      gatewayEnv: { LOG_LEVEL: 'error', NODE_OPTIONS: process.env.LB_BENCH_GATEWAY_NODE_OPTIONS ?? '' },
    });
    url = stack.url;
    gatewayPids = stack.gateways.map((g) => g.child.pid!);
    gatewayUrls = stack.gateways.map((g) => g.url);
    const tenant = stack.tenants[0]!;
    credentialsFile = join(work, 'devices.json');
    await provisionFleet(stack, tenant, {
      count: args.devices,
      labelPrefix: 'BENCH',
      callsign: 'Bench',
      teams: 10,
      credentialsFile,
    });
  }
  const [user, password] = args.login.split(':') as [string, string];
  const adminCookie = stack ? await login(url, 'duisburg.admin', DEMO_PASSWORD) : null;
  const op = await connectOperator(url, await login(url, user, password));
  const benchDevices = new Set(
    (JSON.parse(await readFile(credentialsFile!, 'utf8')) as Array<{ deviceId: string }>).map(
      (d) => d.deviceId,
    ),
  );

  const latencies: number[] = [];
  const toGateway: number[] = []; // device clock → gateway receipt
  const fanOut: number[] = []; // gateway receipt → dashboard (coalescing tick + delivery)
  let delivered = 0;
  let stageChangesSeen = 0;
  let measuring = false;
  op.socket.on('batch', (b: ControlBatch) => {
    const now = Date.now();
    if (!measuring) return;
    for (const u of b.units) {
      if (!benchDevices.has(u.deviceId) || !u.online) continue;
      delivered++;
      latencies.push(now - u.at);
      toGateway.push(u.receivedAt - u.at);
      fanOut.push(now - u.receivedAt);
    }
    stageChangesSeen += b.stageChanges.filter((c) => benchDevices.has(c.deviceId)).length;
  });

  /** the gateway's own view of its memory (GET /api/metrics): heap, Buffers and the rest of its RSS */
  type Memory = { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  // a gateway at its limit may not accept the request in time: its own figures are then missing
  // (n/a), the run goes on
  const gatewayMemory = async (): Promise<Memory | null> =>
    adminCookie
      ? fetch(`${url}/api/metrics`, { headers: { cookie: adminCookie } })
          .then((r) => r.json() as Promise<{ memoryMb: Memory }>)
          .then((m) => m.memoryMb)
          .catch(() => null)
      : null;
  const memoryBefore = await gatewayMemory();
  let memoryReady: Promise<Memory | null> = Promise.resolve(null);

  // PostgreSQL's and Redis's CPU beside the gateway's and the driver's (when this bench started them)
  const storesOf = stack
    ? {
        dataDir: (await stack.db.pool.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!
          .data_directory,
        redisPid: stack.redis.pid,
      }
    : undefined;
  log(`driving ${benchDevices.size} devices at ${args.rate} Hz for ${args.duration} s`);
  const run = await driveServer({
    urls: gatewayUrls,
    credentialsFile: credentialsFile!,
    serverPids: gatewayPids,
    stores: storesOf,
    onReady: () => {
      measuring = true;
      memoryReady = gatewayMemory();
    },
  });
  const { result, cpu, driverCpu, machineCpu, storesCpu, rss } = run;
  if (result.sent === undefined)
    throw new Error('the device driver ended without a result (see its error above)');
  await new Promise((r) => setTimeout(r, 500)); // last batches
  // the reference in the same run: the same driver against a bare ws server (ws-reference.ts)
  const reference = stack && !args['skip-reference'] ? await driveReference(credentialsFile!) : null;
  op.close();

  const gatewayMetrics = adminCookie
    ? await fetch(`${url}/api/metrics`, { headers: { cookie: adminCookie } })
        .then((r) => r.json() as Promise<{ eventLoopDelayMs: { p50: number; p99: number; max: number } }>)
        .catch(() => null)
    : null;
  let stageChangesPersisted: number | null = null;
  if (stack) {
    const { rows } = await stack.db.pool.query(
      "SELECT count(*)::int AS n FROM stage_changes WHERE device_id = ANY($1::uuid[]) AND to_stage IN ('display','standby')",
      [[...benchDevices]],
    );
    stageChangesPersisted = rows[0].n;
  }

  for (const xs of [latencies, toGateway, fanOut]) xs.sort((a, b) => a - b);
  const pctOf = (xs: number[], p: number) =>
    xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN;
  const pct = (p: number) => pctOf(latencies, p);
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const report = {
    bench: 'status',
    devices: benchDevices.size,
    gateways: gatewayUrls.length,
    transport: args.transport,
    rateHz: args.rate,
    durationS: args.duration,
    connectionRamp: { devicesConnected: run.connectedAtReady, seconds: round1(run.rampS) },
    sent: result.sent ?? 0,
    acknowledged: result.acked ?? 0,
    rejected: result.rejected ?? 0,
    unacknowledgedAtEnd: result.buffered ?? 0,
    delivered,
    stageChangesSent: result.stageChangesSent ?? 0,
    stageChangesPersisted,
    stageChangesDelivered: stageChangesSeen,
    lostStageChanges:
      stageChangesPersisted === null ? null : Math.max(0, stageChangesPersisted - stageChangesSeen),
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) ?? NaN },
    deviceToGatewayMs: { p50: pctOf(toGateway, 50), p95: pctOf(toGateway, 95), p99: pctOf(toGateway, 99) },
    gatewayToDashboardMs: { p50: pctOf(fanOut, 50), p95: pctOf(fanOut, 95), p99: pctOf(fanOut, 99) },
    gatewayCpuPct: { avg: Math.round(avg(cpu)), max: Math.round(Math.max(...cpu, 0)) },
    driverCpuPct: Math.round(avg(driverCpu)),
    machineCpuPct: Math.round(avg(machineCpu)),
    /** PostgreSQL's and Redis's CPU together (null with --url) */
    storesCpuPct: storesCpu.length ? Math.round(avg(storesCpu)) : null,
    gatewayEventLoopDelayMs: gatewayMetrics?.eventLoopDelayMs ?? null,
    gatewayRssMb: { avg: Math.round(avg(rss)), max: Math.round(Math.max(...rss, 0)) },
    // issue 17's goals: CPU per status within 3x of the bare ws reference, <= 20 KB per device
    gatewayCpuUsPerStatus: round1(run.cpuUsPerStatus),
    gatewayKbPerDevice: round1(run.kbPerDevice),
    /** the same growth (before the driver → all devices connected) by kind, KB per device */
    gatewayMemoryKbPerDevice: await (async () => {
      const ready = await memoryReady;
      // one gateway's own figures: with several, only the RSS of all of them (above) counts
      if (!ready || !memoryBefore || gatewayUrls.length > 1) return null;
      const per = (k: keyof Memory) => round1(((ready[k] - memoryBefore[k]) * 1000) / benchDevices.size);
      return {
        rss: per('rss'),
        heapUsed: per('heapUsed'),
        heapTotal: per('heapTotal'),
        external: per('external'),
      };
    })(),
    reference: reference
      ? {
          acknowledged: reference.result.acked ?? 0,
          connectionRamp: { devicesConnected: reference.connectedAtReady, seconds: round1(reference.rampS) },
          cpuUsPerStatus: round1(reference.cpuUsPerStatus),
          kbPerDevice: round1(reference.kbPerDevice),
          cpuPct: Math.round(avg(reference.cpu)),
          driverCpuPct: Math.round(avg(reference.driverCpu)),
        }
      : null,
    cpuPerStatusVsReference:
      reference?.cpuUsPerStatus && run.cpuUsPerStatus
        ? Math.round((run.cpuUsPerStatus / reference.cpuUsPerStatus) * 100) / 100
        : null,
  };
  const rows: Array<[string, string]> = [
    ['devices', String(report.devices)],
    ['gateway processes (CPU and memory below: all of them together)', String(report.gateways)],
    ['device transport (the reference speaks the same)', report.transport],
    ['duration', `${report.durationS} s`],
    [
      'connection ramp (driver opens 500/s)',
      `${report.connectionRamp.devicesConnected} connected after ${report.connectionRamp.seconds} s` +
        (report.reference
          ? `; reference: ${report.reference.connectionRamp.devicesConnected} after ${report.reference.connectionRamp.seconds} s`
          : ''),
    ],
    [
      'status sent / acknowledged',
      `${report.sent} / ${report.acknowledged} (rejected ${report.rejected}, unacked ${report.unacknowledgedAtEnd})`,
    ],
    ['unit updates delivered to dashboard', String(report.delivered)],
    [
      'stage changes sent / persisted / delivered',
      `${report.stageChangesSent} / ${report.stageChangesPersisted ?? 'n/a'} / ${report.stageChangesDelivered}`,
    ],
    ['lost stage changes', String(report.lostStageChanges ?? 'n/a')],
    [
      'device → dashboard latency p50 / p95 / p99',
      `${report.latencyMs.p50} / ${report.latencyMs.p95} / ${report.latencyMs.p99} ms`,
    ],
    [
      '  of which device → gateway',
      `${report.deviceToGatewayMs.p50} / ${report.deviceToGatewayMs.p95} / ${report.deviceToGatewayMs.p99} ms`,
    ],
    [
      '  of which gateway → dashboard',
      `${report.gatewayToDashboardMs.p50} / ${report.gatewayToDashboardMs.p95} / ${report.gatewayToDashboardMs.p99} ms`,
    ],
    ['gateway CPU avg / max', `${report.gatewayCpuPct.avg} / ${report.gatewayCpuPct.max} % of one core`],
    ['device driver CPU avg', `${report.driverCpuPct} % of one core`],
    [
      'PostgreSQL + Redis CPU avg',
      report.storesCpuPct === null ? 'n/a' : `${report.storesCpuPct} % of one core`,
    ],
    ['machine CPU avg (all processes)', `${report.machineCpuPct} % of all ${cpus().length} cores`],
    [
      'gateway event-loop delay p50 / p99 / max',
      report.gatewayEventLoopDelayMs
        ? `${report.gatewayEventLoopDelayMs.p50} / ${report.gatewayEventLoopDelayMs.p99} / ${report.gatewayEventLoopDelayMs.max} ms`
        : 'n/a',
    ],
    ['gateway RSS avg / max', `${report.gatewayRssMb.avg} / ${report.gatewayRssMb.max} MB`],
    [
      'gateway CPU per status / memory per device',
      `${report.gatewayCpuUsPerStatus ?? 'n/a'} µs / ${report.gatewayKbPerDevice ?? 'n/a'} KB (goal <= 20 KB)`,
    ],
    [
      '  growth per device: RSS / heap used / heap total / external',
      report.gatewayMemoryKbPerDevice && report.gateways === 1
        ? `${report.gatewayMemoryKbPerDevice.rss} / ${report.gatewayMemoryKbPerDevice.heapUsed} / ${report.gatewayMemoryKbPerDevice.heapTotal} / ${report.gatewayMemoryKbPerDevice.external} KB (the gateway's own figures)`
        : 'n/a',
    ],
    [
      'reference (bare ws): CPU per status / memory per device',
      report.reference
        ? `${report.reference.cpuUsPerStatus ?? 'n/a'} µs / ${report.reference.kbPerDevice ?? 'n/a'} KB (${report.reference.acknowledged} acknowledged, its CPU ${report.reference.cpuPct} %, driver ${report.reference.driverCpuPct} %)`
        : 'not run',
    ],
    [
      'gateway CPU per status vs reference',
      report.cpuPerStatusVsReference === null ? 'n/a' : `${report.cpuPerStatusVsReference}x (goal <= 3x)`,
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nbench:status\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}`);
  if (args.json) console.log(JSON.stringify(report));
} finally {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
}
