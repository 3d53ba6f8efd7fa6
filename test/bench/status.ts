/**
 * `npm run bench:status -- --devices N [--duration 30] [--json] [--url http://host:port --credentials f.json]`
 *
 * Starts embedded PostgreSQL, redis-server and ONE gateway process (or uses --url), provisions N
 * devices, drives them at 1 Hz from a separate driver process, and watches as a dashboard of the
 * same tenant. Reports sent / acknowledged / delivered counts, lost stage changes (sent by devices,
 * persisted, and seen by the dashboard), device-to-dashboard latency (device clock at send → batch
 * received; same machine, same clock), and the gateway's CPU and RSS sampled from /proc.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openShifts, provisionDevices } from '@lagebild/db';
import type { ControlBatch } from '@lagebild/protocol';
import { z } from 'zod';
import { connectOperator, login } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { parseArgs } from './args.ts';

const Args = z.object({
  devices: z.coerce.number().int().min(1).max(50_000).default(1000),
  duration: z.coerce.number().min(5).max(3600).default(30),
  json: z.boolean().default(false),
  url: z.string().url().optional(),
  credentials: z.string().optional(),
  login: z.string().default(`duisburg.operator:${DEMO_PASSWORD}`),
  'in-flight': z.coerce.number().int().min(1).max(100).default(1),
});
const args = parseArgs(
  Args.refine((a) => !a.url || a.credentials, {
    message: '--url needs --credentials devices.json',
    path: ['url'],
  }),
  'bench:status -- --devices N [--duration s] [--json] [--url URL --credentials devices.json]',
);
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

const work = await mkdtemp(join(tmpdir(), 'lagebild-bench-'));
await chmod(work, 0o755);
let stack: Stack | undefined;
let url = args.url;
let credentialsFile = args.credentials;
let gatewayPid: number | undefined;

try {
  if (!url) {
    log(`starting PostgreSQL, Redis and one gateway; provisioning ${args.devices} devices`);
    stack = await startStack({
      gateways: 1,
      devicesPerTenant: 1,
      gatewayEnv: { LOG_LEVEL: 'error', NODE_OPTIONS: process.env.LB_BENCH_GATEWAY_NODE_OPTIONS ?? '' },
    });
    url = stack.url;
    gatewayPid = stack.gateways[0]!.child.pid;
    const tenant = stack.tenants[0]!;
    const labels = Array.from({ length: args.devices }, (_, i) => `BENCH-${String(i + 1).padStart(5, '0')}`);
    const creds = await provisionDevices(stack.db.pool, tenant.id, labels);
    await openShifts(
      stack.db.pool,
      tenant.id,
      creds.map((c, i) => ({
        deviceId: c.deviceId,
        callsign: `Bench ${i + 1}`,
        team: `Team ${(i % 10) + 1}`,
      })),
    );
    credentialsFile = join(work, 'devices.json');
    await writeFile(
      credentialsFile,
      JSON.stringify(
        creds.map((c) => ({ deviceId: c.deviceId, secret: c.secret, label: c.label, city: tenant.slug })),
      ),
    );
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

  log(`driving ${benchDevices.size} devices at 1 Hz for ${args.duration} s`);
  const driver = spawn(
    process.execPath,
    [
      join(import.meta.dirname, 'status-driver.ts'),
      '--url',
      url,
      '--credentials',
      credentialsFile!,
      '--duration',
      String(args.duration),
      '--in-flight',
      String(args['in-flight']),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let result: Record<string, number> = {};
  const driverDone = new Promise<void>((resolve) => {
    createInterface({ input: driver.stdout! }).on('line', (line) => {
      if (line.startsWith('{"msg":"ready"')) {
        measuring = true;
        log(`all devices connected (${JSON.parse(line).connected}); measuring`);
      }
      if (line.startsWith('{"msg":"result"')) {
        result = JSON.parse(line);
        log(`driver: ${line}`);
      }
    });
    driver.on('exit', () => resolve());
  });

  // CPU of the gateway, of the driver and of the whole machine, and the gateway's memory, from
  // /proc once a second: whether the gateway or the machine (driver, PostgreSQL, Redis) is the limit
  const cpu: number[] = [];
  const driverCpu: number[] = [];
  const machineCpu: number[] = [];
  const rss: number[] = [];
  const ticks = 100; // USER_HZ on Linux
  const processJiffies = async (pid: number) => {
    const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return Number(stat[11]) + Number(stat[12]);
  };
  const machineJiffies = async () => {
    const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!, cores: cpus().length };
  };
  let last: { t: number; gateway: number; driver: number; busy: number } | undefined;
  const sampler = setInterval(async () => {
    if (!gatewayPid || !measuring || !driver.pid) return;
    try {
      const [gateway, drv, m] = await Promise.all([
        processJiffies(gatewayPid),
        processJiffies(driver.pid),
        machineJiffies(),
      ]);
      const t = Date.now();
      if (last) {
        const share = (j: number) => Math.round((j / ticks / ((t - last!.t) / 1000)) * 100);
        cpu.push(share(gateway - last.gateway));
        driverCpu.push(share(drv - last.driver));
        machineCpu.push(share(m.busy - last.busy) / m.cores);
      }
      last = { t, gateway, driver: drv, busy: m.busy };
      const status = await readFile(`/proc/${gatewayPid}/status`, 'utf8');
      rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
    } catch {}
  }, 1000);

  await driverDone;
  if (result.sent === undefined)
    throw new Error('the device driver ended without a result (see its error above)');
  await new Promise((r) => setTimeout(r, 500)); // last batches
  clearInterval(sampler);
  op.close();

  const gatewayMetrics = adminCookie
    ? ((await (await fetch(`${url}/api/metrics`, { headers: { cookie: adminCookie } })).json()) as {
        eventLoopDelayMs: { p50: number; p99: number; max: number };
      })
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
    durationS: args.duration,
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
    gatewayEventLoopDelayMs: gatewayMetrics?.eventLoopDelayMs ?? null,
    gatewayRssMb: { avg: Math.round(avg(rss)), max: Math.round(Math.max(...rss, 0)) },
  };
  const rows: Array<[string, string]> = [
    ['devices', String(report.devices)],
    ['duration', `${report.durationS} s`],
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
    ['machine CPU avg (all processes)', `${report.machineCpuPct} % of all ${cpus().length} cores`],
    [
      'gateway event-loop delay p50 / p99 / max',
      report.gatewayEventLoopDelayMs
        ? `${report.gatewayEventLoopDelayMs.p50} / ${report.gatewayEventLoopDelayMs.p99} / ${report.gatewayEventLoopDelayMs.max} ms`
        : 'n/a',
    ],
    ['gateway RSS avg / max', `${report.gatewayRssMb.avg} / ${report.gatewayRssMb.max} MB`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nbench:status\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}`);
  if (args.json) console.log(JSON.stringify(report));
} finally {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
}
