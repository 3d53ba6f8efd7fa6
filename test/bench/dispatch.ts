/**
 * `npm run bench:dispatch -- [--devices 5000] [--dashboards 20] [--rounds 30] [--json]`
 *
 * Under the load of the status benchmark (N devices at 1 Hz from a separate driver process), measures
 *  1. emergency pressed on a device → alert shown on each of 20 dashboards (every dashboard counts);
 *  2. dispatch click (HTTP POST) → request received on the device.
 * Starts embedded PostgreSQL, redis-server and one gateway. Goal: p95 under 300 ms for both.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openShifts, provisionDevices } from '@lagebild/db';
import type { Alert, DeviceDispatchRequest, DispatchUnitsResponse } from '@lagebild/protocol';
import { z } from 'zod';
import {
  connectDevice,
  connectOperator,
  login,
  type Operator,
  status,
  type TestDevice,
  waitFor,
} from '../src/clients.ts';
import { DEMO_PASSWORD, startStack } from '../src/stack.ts';
import { parseArgs } from './args.ts';

const Args = z.object({
  devices: z.coerce.number().int().min(0).max(20_000).default(5000),
  dashboards: z.coerce.number().int().min(1).max(200).default(20),
  rounds: z.coerce.number().int().min(1).max(1000).default(30),
  json: z.boolean().default(false),
});
const args = parseArgs(Args, 'bench:dispatch -- [--devices N] [--dashboards 20] [--rounds 30] [--json]');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const SCENE = { lat: 51.4325, lng: 6.7687 };

const work = await mkdtemp(join(tmpdir(), 'lagebild-bench-'));
await chmod(work, 0o755);
log(
  `starting PostgreSQL, Redis and one gateway; ${args.devices} load devices, ${args.dashboards} dashboards`,
);
const stack = await startStack({ gateways: 1, devicesPerTenant: 2, gatewayEnv: { LOG_LEVEL: 'error' } });
const url = stack.url;
const tenant = stack.tenants[0]!;
let driver: ReturnType<typeof spawn> | undefined;
const dashboards: Operator[] = [];
const probes: TestDevice[] = [];

try {
  // the two seeded devices are the probes: one in trouble, one nearby to send
  const [subjectCreds, helperCreds] = tenant.devices as [
    (typeof tenant.devices)[0],
    (typeof tenant.devices)[0],
  ];
  if (args.devices > 0) {
    const labels = Array.from({ length: args.devices }, (_, i) => `LOAD-${String(i + 1).padStart(5, '0')}`);
    const creds = await provisionDevices(stack.db.pool, tenant.id, labels);
    await openShifts(
      stack.db.pool,
      tenant.id,
      creds.map((c, i) => ({ deviceId: c.deviceId, callsign: `Last ${i + 1}`, team: 'Last' })),
    );
    const file = join(work, 'devices.json');
    await writeFile(
      file,
      JSON.stringify(
        creds.map((c) => ({ deviceId: c.deviceId, secret: c.secret, label: c.label, city: 'duisburg' })),
      ),
    );
    driver = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'status-driver.ts'),
        '--url',
        url,
        '--credentials',
        file,
        '--duration',
        '3600',
        '--stage-every',
        '100000',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: driver!.stdout! }).on(
        'line',
        (l) => l.startsWith('{"msg":"ready"') && resolve(),
      );
      driver!.once('exit', (c) => reject(new Error(`load driver exited (${c})`)));
    });
    log('load running');
  }

  const opCookie = await login(url, 'duisburg.operator', DEMO_PASSWORD);
  const supCookie = await login(url, 'duisburg.supervisor', DEMO_PASSWORD);
  // Two dashboards decode everything, as a browser does; the others skip the live unit stream before
  // parsing it (they still receive every frame): twenty full decoders in this one process would
  // measure this process, not the gateway (a control room's screens are separate machines).
  for (let i = 0; i < args.dashboards; i++)
    dashboards.push(
      await connectOperator(url, i % 2 ? supCookie : opCookie, i < 2 ? {} : { onlyEvents: ['alert'] }),
    );

  const subject = await connectDevice(url, subjectCreds, { reconnection: true });
  const helper = await connectDevice(url, helperCreds, { reconnection: true });
  probes.push(subject, helper);
  let seq = 0;
  const send = (d: TestDevice, over: Parameters<typeof status>[1]) =>
    d.send(status(++seq, { at: Date.now(), ...over }));
  // keep both probes on the map and fresh while measuring
  const report1Hz = () =>
    Promise.all([
      send(subject, { position: { ...SCENE, accuracyM: 5 } }),
      send(helper, { position: { lat: SCENE.lat + 0.0005, lng: SCENE.lng, accuracyM: 5 } }),
    ]);
  await report1Hz();
  await waitFor(
    () => dashboards.slice(0, 2).every((d) => d.units.has(helperCreds.deviceId)),
    30_000, // set-up under full load, not a measurement
    'probes on every dashboard',
  );
  const keepAlive = setInterval(() => void report1Hz().catch(() => {}), 1000);

  const alertMs: number[] = [];
  const dispatchMs: number[] = [];
  let missedAlerts = 0;
  for (let r = 0; r < args.rounds; r++) {
    // 1. emergency → alert on every dashboard
    const seen = new Map<Operator, number>();
    let incidentId: string | undefined;
    const t0 = Date.now();
    const listeners = dashboards.map((d) => {
      const fn = (a: Alert) => {
        if (a.kind !== 'emergency' || a.raisedAt < t0 - 1000 || seen.has(d)) return;
        seen.set(d, Date.now());
        incidentId = a.incidentId;
      };
      d.socket.on('alert', fn);
      return () => d.socket.off('alert', fn);
    });
    await send(subject, { emergency: true, position: { ...SCENE, accuracyM: 5 } });
    await waitFor(() => seen.size === dashboards.length, 5000, 'alert on all dashboards').catch(() => {});
    for (const off of listeners) off();
    missedAlerts += dashboards.length - seen.size;
    for (const t of seen.values()) alertMs.push(t - t0);

    // 2. dispatch click → request on the device
    if (!incidentId) continue;
    const incident = { id: incidentId };
    const { candidates, unavailable } = await (
      await fetch(`${url}/api/incidents/${incident.id}/candidates`, { headers: { cookie: supCookie } })
    ).json();
    const target = candidates.find((c: { deviceId: string }) => c.deviceId === helperCreds.deviceId);
    if (target) {
      const got = new Promise<number>((resolve) =>
        helper.socket.once('dispatch_request', (msg: DeviceDispatchRequest, ack: (x: true) => void) => {
          const at = Date.now();
          ack(true);
          void helper.socket.emitWithAck('dispatch_answer', {
            requestId: msg.requestId,
            answer: 'decline',
            reason: 'bench',
          });
          resolve(at);
        }),
      );
      const t1 = Date.now();
      const res = (await (
        await fetch(`${url}/api/incidents/${incident.id}/dispatch`, {
          method: 'POST',
          headers: { cookie: supCookie, 'content-type': 'application/json' },
          body: JSON.stringify({ unitIds: [target.unitId] }),
        })
      ).json()) as DispatchUnitsResponse;
      if (res.results[0]?.ok) dispatchMs.push((await got) - t1);
      else log(`round ${r}: dispatch refused: ${JSON.stringify(res.results[0])}`);
    } else
      log(
        `round ${r}: helper not offered: ${JSON.stringify(unavailable.filter((u: { unitId: string }) => !candidates.some((c: { unitId: string }) => c.unitId === u.unitId)).slice(0, 3))}`,
      );
    // reset for the next round
    await fetch(`${url}/api/incidents/${incident.id}/close`, {
      method: 'POST',
      headers: { cookie: supCookie, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'false_alarm' }),
    });
    await send(subject, { emergency: false, position: { ...SCENE, accuracyM: 5 } });
    await new Promise((r) => setTimeout(r, 300));
  }
  clearInterval(keepAlive);

  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : null;
  };
  const report = {
    bench: 'dispatch',
    loadDevices: args.devices,
    dashboards: args.dashboards,
    rounds: args.rounds,
    emergencyToAlertMs: {
      samples: alertMs.length,
      missed: missedAlerts,
      p50: pct(alertMs, 50),
      p95: pct(alertMs, 95),
      max: pct(alertMs, 100),
    },
    dispatchToDeviceMs: {
      samples: dispatchMs.length,
      p50: pct(dispatchMs, 50),
      p95: pct(dispatchMs, 95),
      max: pct(dispatchMs, 100),
    },
  };
  const rows: Array<[string, string]> = [
    ['load', `${args.devices} devices at 1 Hz, ${args.dashboards} dashboards, ${args.rounds} rounds`],
    [
      'emergency → alert on every dashboard',
      `p50 ${report.emergencyToAlertMs.p50} / p95 ${report.emergencyToAlertMs.p95} / max ${report.emergencyToAlertMs.max} ms (${alertMs.length} samples, ${missedAlerts} missed)`,
    ],
    [
      'dispatch click → request on device',
      `p50 ${report.dispatchToDeviceMs.p50} / p95 ${report.dispatchToDeviceMs.p95} / max ${report.dispatchToDeviceMs.max} ms (${dispatchMs.length} samples)`,
    ],
    ['goal', 'p95 under 300 ms for both'],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nbench:dispatch\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}`);
  if (args.json) console.log(JSON.stringify(report));
} finally {
  for (const d of dashboards) d.close();
  for (const p of probes) p.close();
  driver?.kill('SIGTERM');
  await stack.stop();
  await rm(work, { recursive: true, force: true });
}
