/**
 * A seeded world for the fuzzing and authorisation suites: a stack (PostgreSQL, Redis, one gateway
 * process, optionally the SFU), a second gateway built in-process with `buildGateway` against the
 * same stores (for `app.inject()`, fast), a session per role and tenant, device tokens, and in each
 * of the two tenants one row of every kind a route takes an id of: incident, alert, dispatch request,
 * recording, four-eyes approval, baseline period. Everything is seeded through the API, as a user or
 * a device would; only the recording comes from the vault importer (no camera in these tests).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGateway, type Gateway, loadConfig } from '@lagebild/gateway';
import type { Role } from '@lagebild/protocol';
import { makeTestVideo } from '@lagebild/vault';
import pino from 'pino';
import { connectDevice, login, status, type TestDevice } from '../clients.ts';
import { DEMO_PASSWORD, type Stack, startStack, TEST_MEDIA_SECRET } from '../stack.ts';
import { testVault } from '../test-vault.ts';

export const ROLES: readonly Role[] = ['admin', 'supervisor', 'operator', 'evaluator'];
export type City = 'duisburg' | 'dortmund';
export const CITIES: readonly City[] = ['duisburg', 'dortmund'];
export const otherCity = (c: City): City => (c === 'duisburg' ? 'dortmund' : 'duisburg');

/** Ids of one tenant's rows, one of each kind a route addresses by id. */
export interface TenantRows {
  tenantId: string;
  /** the last device is the one the matrix may revoke; the first ones stream statuses */
  deviceIds: string[];
  devices: { deviceId: string; secret: string }[];
  unitIds: string[];
  incidentId: string;
  alertId: string;
  requestId: string;
  recordingId: string;
  approvalId: string;
  baselineId: string;
  /** a media token of the tenant's first device (WHIP) */
  deviceToken: string;
}

/** The ids of a tenant's seeded rows, tenant to recording (approval and baseline not included). */
export const seededRowIds = (r: TenantRows): string[] => [
  r.tenantId,
  ...r.deviceIds,
  ...r.unitIds,
  r.incidentId,
  r.alertId,
  r.requestId,
  r.recordingId,
];

export interface World {
  stack: Stack;
  gw: Gateway;
  cookies: Record<City, Record<Role, string>>;
  rows: Record<City, TenantRows>;
  /** every id of every seeded row, both tenants: path parameters the fuzzers pick from */
  knownIds: string[];
  devices: TestDevice[];
  /** logs a new session in (for cells that end it, such as logout) */
  freshCookie(city: City, role: Role): Promise<string>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  sfu?: boolean;
  /** seed incidents, alerts, requests, recordings… (the socket fuzzer needs only sessions) */
  rows?: boolean;
}

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-fuzz-'));
  const vault = await testVault(dir);
  const stack = await startStack({
    devicesPerTenant: 4,
    sfu: opts.sfu ?? false,
    gatewayEnv: {
      ...vault.env,
      RETENTION_SWEEP_MS: '0',
      EPISODE_BUILD_MS: '0',
      MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET,
    },
  });
  await vault.addTenants(stack);
  const gw = await buildGateway(
    loadConfig({
      DATABASE_URL: stack.appUrl,
      REDIS_URL: stack.redis.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'fuzz',
      MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET,
      // without the SFU the proxy has somewhere to fail to (a closed port): 503, never a hang
      SFU_URL: stack.sfu?.url ?? 'http://127.0.0.1:9',
      SFU_WHIP_URL: stack.sfu ? `${stack.sfu.url}/whip` : '',
      RETENTION_SWEEP_MS: '0',
      EPISODE_BUILD_MS: '0',
      AUDIT_PRUNE_MS: '0',
      ...vault.env,
    }),
    { log: pino({ level: 'silent' }) },
  );
  await gw.app.ready();

  const cookies = {} as World['cookies'];
  for (const city of CITIES) {
    cookies[city] = {} as Record<Role, string>;
    for (const role of ROLES) cookies[city][role] = await login(stack.url, `${city}.${role}`, DEMO_PASSWORD);
  }
  const devices: TestDevice[] = [];
  const rows = {} as World['rows'];
  for (const city of CITIES) {
    const t = stack.tenants.find((x) => x.slug === city)!;
    const api = (path: string, role: Role, body?: unknown) =>
      fetch(`${stack.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          cookie: cookies[city][role],
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const units = await json<{ units: { id: string; deviceId: string }[] }>(
      await api('/api/units', 'admin'),
      'units',
    );
    const unitOf = (deviceId: string) => units.units.find((u) => u.deviceId === deviceId)!.id;
    const token = await json<{ token: string }>(
      await fetch(`${stack.url}/api/device/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: t.devices[0]!.deviceId, secret: t.devices[0]!.secret }),
      }),
      'device token',
    );
    const r: TenantRows = {
      tenantId: t.id,
      deviceIds: t.devices.map((d) => d.deviceId),
      devices: t.devices.map((d) => ({ deviceId: d.deviceId, secret: d.secret })),
      unitIds: units.units.map((u) => u.id),
      incidentId: '',
      alertId: '',
      requestId: '',
      recordingId: '',
      approvalId: '',
      baselineId: '',
      deviceToken: token.token,
    };
    rows[city] = r;
    if (opts.rows === false) continue;

    // Nothing may change by itself while a fuzzer compares fingerprints: alerts escalate only after
    // an hour, and the dispatch request below is answered at once instead of timing out.
    const policies = await fetch(`${stack.url}/api/admin/policies`, {
      method: 'PUT',
      headers: { cookie: cookies[city].admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        alertEscalateAfterS: 3600,
        dispatchAnswerTimeoutS: 600,
        reason: 'Testwelt ohne Eskalation',
      }),
    });
    await json(policies, 'policies');

    // an emergency opens an incident with an alert; a second unit nearby can be dispatched to it
    const center = { lat: 51.43 + (city === 'dortmund' ? 0.08 : 0), lng: 6.76 };
    const [subject, helper] = [t.devices[0]!, t.devices[1]!];
    for (const [i, d] of [subject, helper].entries()) {
      const dev = await connectDevice(stack.url, d);
      devices.push(dev);
      const ack = await dev.send(
        status(1, {
          at: Date.now(),
          position: { lat: center.lat + i * 0.002, lng: center.lng, accuracyM: 5 },
          emergency: i === 0,
        }),
      );
      if (!ack.ok) throw new Error(`status of ${d.label}: ${JSON.stringify(ack)}`);
    }
    let snap: { incidents: { id: string }[]; alerts: { id: string }[] } = { incidents: [], alerts: [] };
    for (let i = 0; i < 100 && snap.alerts.length === 0; i++) {
      snap = await json(await api('/api/incidents', 'supervisor'), 'incidents');
      if (snap.alerts.length === 0) await new Promise((res) => setTimeout(res, 100));
    }
    if (snap.alerts.length === 0) throw new Error(`${city}: the emergency opened no alert`);
    r.alertId = snap.alerts[0]!.id;
    r.incidentId = snap.incidents[0]!.id;
    const dispatched = await json<{ results: Array<{ ok: boolean; request?: { id: string } }> }>(
      await api(`/api/incidents/${r.incidentId}/dispatch`, 'supervisor', {
        unitIds: [unitOf(helper.deviceId)],
      }),
      'dispatch',
    );
    if (!dispatched.results[0]?.ok) throw new Error(`${city}: dispatch failed ${JSON.stringify(dispatched)}`);
    r.requestId = dispatched.results[0].request!.id;
    const answer = await devices
      .at(-1)!
      .socket.timeout(5000)
      .emitWithAck('dispatch_answer', { requestId: r.requestId, answer: 'accept' });
    if (!answer.ok) throw new Error(`${city}: the helper could not accept ${JSON.stringify(answer)}`);

    r.recordingId = await vault.importRecording(stack, {
      tenantId: t.id,
      deviceId: subject.deviceId,
      file: await testVideo(dir),
    });
    r.approvalId = (
      await json<{ id: string }>(
        await api(`/api/recordings/${r.recordingId}/approvals`, 'operator', {
          action: 'extension',
          reason: 'Beschwerdeverfahren anhängig',
          extendDays: 30,
        }),
        'approval',
      )
    ).id;
    r.baselineId = (
      await json<{ id: string }>(
        await api('/api/baselines', 'evaluator', {
          label: 'Vorjahr ohne Kameras',
          startsOn: '2024-01-01',
          endsOn: '2024-12-31',
          officerHours: 12_000,
          assaults: 14,
        }),
        'baseline',
      )
    ).id;
  }

  const knownIds = CITIES.flatMap((c) => {
    const r = rows[c];
    return [...seededRowIds(r), r.approvalId, r.baselineId].filter(Boolean);
  });

  return {
    stack,
    gw,
    cookies,
    rows,
    knownIds,
    devices,
    freshCookie: (city, role) => login(stack.url, `${city}.${role}`, DEMO_PASSWORD),
    async stop() {
      for (const d of devices) d.close();
      await gw.close();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let video: Promise<string> | undefined;
function testVideo(dir: string): Promise<string> {
  video ??= (async () => {
    const path = join(dir, 'source.webm');
    await makeTestVideo(path, { seconds: 2 });
    return path;
  })();
  return video;
}
