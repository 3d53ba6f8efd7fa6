/**
 * Incidents, alerts and dispatch across two gateway processes with real PostgreSQL and Redis:
 * the emergency comes in on one gateway, supervisors sit on both, devices on either; every
 * dashboard must see the same sequence.
 */
import type {
  Alert,
  DeviceDispatchRequest,
  DispatchRequest,
  DispatchUnitsResponse,
  Incident,
} from '@lagebild/protocol';
import { startSimulation } from '@lagebild/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectDevice,
  connectOperator,
  login,
  type Operator,
  status,
  type TestDevice,
  waitFor,
} from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let A: string;
let B: string;
let op: Operator; // operator on A
let sup: Operator; // supervisor on B
let sup2cookie: string; // second supervisor, on A
let tenant: Stack['tenants'][number];
const devices: TestDevice[] = [];
const seqs = new Map<string, number>();
const SUBJECT = { lat: 51.4325, lng: 6.7687 }; // König-Heinrich-Platz

async function place(d: TestDevice, deviceId: string, dLat: number, over: Parameters<typeof status>[1] = {}) {
  const seq = (seqs.get(deviceId) ?? 0) + 1;
  seqs.set(deviceId, seq);
  const ack = await d.send(
    status(seq, {
      position: { lat: SUBJECT.lat + dLat, lng: SUBJECT.lng, accuracyM: 5 },
      speedMps: 1,
      at: Date.now(),
      ...over,
    }),
  );
  expect(ack.ok).toBe(true);
}

const post = (base: string, path: string, cookie: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const get = (base: string, path: string, cookie: string) => fetch(`${base}${path}`, { headers: { cookie } });

const eventsOf = <T>(o: Operator, name: string) =>
  o.events.filter((e) => e.event === name).map((e) => e.msg as T);

beforeAll(async () => {
  stack = await startStack({ gateways: 2, devicesPerTenant: 6, gatewayEnv: { SWEEP_INTERVAL_MS: '200' } });
  [A, B] = stack.gateways.map((g) => g.url) as [string, string];
  tenant = stack.tenants[0]!;
  await stack.db.pool.query('UPDATE tenants SET dispatch_answer_timeout_s = 5, alert_escalate_after_s = 5');
  op = await connectOperator(A, await login(A, 'duisburg.operator', DEMO_PASSWORD));
  sup = await connectOperator(B, await login(B, 'duisburg.supervisor', DEMO_PASSWORD));
  sup2cookie = await login(A, 'duisburg.admin', DEMO_PASSWORD);
  // subject on A; helpers on B at increasing distance; one helper recording
  for (const [i, d] of tenant.devices.entries()) {
    const dev = await connectDevice(i === 0 ? A : B, d);
    devices.push(dev);
  }
  const [subject, h1, h2, h3, h4, rec] = devices as [
    TestDevice,
    TestDevice,
    TestDevice,
    TestDevice,
    TestDevice,
    TestDevice,
  ];
  const id = (i: number) => tenant.devices[i]!.deviceId;
  await place(subject, id(0), 0);
  await place(h1, id(1), 0.002); // ~220 m
  await place(h2, id(2), 0.004);
  await place(h3, id(3), 0.006);
  await place(h4, id(4), 0.008);
  await place(rec, id(5), 0.001, { stage: 'recording', announced: true });
  await waitFor(() => sup.units.size >= 6, 5000, 'all six units on the supervisor screen');
});

afterAll(async () => {
  for (const d of devices) d.close();
  op?.close();
  sup?.close();
  await stack?.stop();
});

/**
 * The states a screen saw, repeats folded. Each broadcast sends the request as read after its commit,
 * so when the next transition follows at once (a device confirms receipt within milliseconds) a
 * screen may see the later state twice and the earlier one not at all; what every screen must see is
 * the lifecycle in order, ending where the request is.
 */
function seenStates(states: string[]): string[] {
  return states.filter((s, i) => s !== states[i - 1]);
}
const LIFECYCLE = ['sent', 'delivered', 'accepted', 'en_route', 'on_scene'];
function expectLifecycle(states: string[], endsWith: string[]): void {
  const seen = seenStates(states);
  const order = seen.map((s) => LIFECYCLE.indexOf(s));
  expect(
    order.every((o, i) => o >= 0 && (i === 0 || o > order[i - 1]!)),
    `in order: ${seen.join(' → ')}`,
  ).toBe(true);
  expect(seen.slice(-endsWith.length)).toEqual(endsWith);
}

describe('emergency → incident → alert → acknowledgement', () => {
  let incident: Incident;
  let alert: Alert;

  it('[DSP1][DSP2][D22] opens an incident with a priority-1 alert on every screen when a unit presses emergency', async () => {
    await place(devices[0]!, tenant.devices[0]!.deviceId, 0, { emergency: true });
    await waitFor(
      () => eventsOf<Alert>(op, 'alert').some((a) => a.kind === 'emergency'),
      5000,
      'alert on operator (A)',
    );
    await waitFor(
      () => eventsOf<Alert>(sup, 'alert').some((a) => a.kind === 'emergency'),
      5000,
      'alert on supervisor (B)',
    );
    alert = eventsOf<Alert>(sup, 'alert').find((a) => a.kind === 'emergency')!;
    incident = eventsOf<Incident>(sup, 'incident').find((i) => i.id === alert.incidentId)!;
    expect(incident).toMatchObject({
      kind: 'emergency',
      status: 'open',
      priority: 1,
      callsign: expect.stringMatching(/^KOD/),
    });
    expect(incident.number).toMatch(/^\d{4}-\d{4}$/);
  });

  it('[DSP3] shows the first acknowledgement to everyone and refuses the second with who was faster', async () => {
    const first = await post(A, `/api/alerts/${alert.id}/ack`, op.cookie);
    expect(first.status).toBe(200);
    const second = await post(B, `/api/alerts/${alert.id}/ack`, sup.cookie);
    expect(second.status).toBe(409);
    expect((await second.json()).error.message).toMatch(/already acknowledged by Leitstelle Duisburg/);
    await waitFor(
      () =>
        eventsOf<Alert>(sup, 'alert').some(
          (a) => a.id === alert.id && a.acknowledgedBy === 'Leitstelle Duisburg',
        ),
      5000,
      'ack on B',
    );
  });

  describe('dispatch', () => {
    const requestsFor = (o: Operator, unitId: string) =>
      eventsOf<DispatchRequest>(o, 'dispatch')
        .filter((r) => r.unitId === unitId)
        .map((r) => r.state);

    it('[DSP5] ranks available units by arrival and explains who is not available', async () => {
      const res = await get(B, `/api/incidents/${incident.id}/candidates`, sup.cookie);
      expect(res.status).toBe(200);
      const { candidates, unavailable } = await res.json();
      const callsignOf = async (i: number) =>
        (
          await stack.db.pool.query(
            'SELECT u.callsign FROM shifts s JOIN units u ON u.id = s.unit_id WHERE s.device_id = $1 AND s.ended_at IS NULL',
            [tenant.devices[i]!.deviceId],
          )
        ).rows[0].callsign;
      expect(candidates.map((c: { callsign: string }) => c.callsign)).toEqual([
        await callsignOf(1),
        await callsignOf(2),
        await callsignOf(3),
        await callsignOf(4),
      ]);
      expect(candidates[0].distanceM).toBeGreaterThan(200);
      expect(candidates[0].distanceM).toBeLessThan(240);
      const reasons = Object.fromEntries(
        unavailable.map((u: { callsign: string; reason: string }) => [u.callsign, u.reason]),
      );
      expect(reasons[await callsignOf(0)]).toBe('subject');
      expect(reasons[await callsignOf(5)]).toBe('recording');
    });

    it('[DSP7][DSP8] lets exactly one of two supervisors dispatching the same unit at once win', async () => {
      const { candidates } = await (
        await get(B, `/api/incidents/${incident.id}/candidates`, sup.cookie)
      ).json();
      const nearest = candidates[0].unitId;
      const received = new Promise<DeviceDispatchRequest>((resolve) =>
        devices[1]!.socket.once('dispatch_request', (msg: DeviceDispatchRequest, ack: (x: true) => void) => {
          ack(true);
          resolve(msg);
        }),
      );
      const [r1, r2] = await Promise.all([
        post(B, `/api/incidents/${incident.id}/dispatch`, sup.cookie, { unitIds: [nearest] }),
        post(A, `/api/incidents/${incident.id}/dispatch`, sup2cookie, { unitIds: [nearest] }),
      ]);
      const results = [
        (await r1.json()) as DispatchUnitsResponse,
        (await r2.json()) as DispatchUnitsResponse,
      ].map((r) => r.results[0]!);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const loser = results.find((r) => !r.ok)!;
      expect(loser).toMatchObject({ ok: false, code: 'conflict' });
      expect(!loser.ok && loser.message).toMatch(/requested/);
      const msg = await received;
      expect(msg).toMatchObject({
        incidentId: incident.id,
        priority: 1,
        subjectDeviceId: tenant.devices[0]!.deviceId,
      });
      await waitFor(() => requestsFor(op, nearest).includes('delivered'), 5000, 'delivered on A');
    });

    it('[DSP6][DSP10] follows an accepted request to en route and on scene, the same on every screen', async () => {
      const unitId = eventsOf<DispatchRequest>(sup, 'dispatch')[0]!.unitId;
      const requestId = eventsOf<DispatchRequest>(sup, 'dispatch')[0]!.id;
      const ack = await devices[1]!.socket.emitWithAck('dispatch_answer', { requestId, answer: 'accept' });
      expect(ack).toEqual({ ok: true, state: 'accepted' });
      await place(devices[1]!, tenant.devices[1]!.deviceId, 0.001); // moving: en route
      await waitFor(() => requestsFor(sup, unitId).includes('en_route'), 5000, 'en route');
      await new Promise((r) => setTimeout(r, 1100)); // arrival is checked at most once a second
      await place(devices[1]!, tenant.devices[1]!.deviceId, 0.0002); // ~22 m from the subject
      await waitFor(() => requestsFor(sup, unitId).includes('on_scene'), 5000, 'on scene');
      // every screen gets the same updates, each over its own socket: wait for the other one too
      await waitFor(
        () => requestsFor(op, unitId).includes('on_scene'),
        5000,
        'on scene on the second screen',
      );
      expect(requestsFor(op, unitId)).toEqual(requestsFor(sup, unitId));
      expectLifecycle(requestsFor(sup, unitId), ['delivered', 'accepted', 'en_route', 'on_scene']);
    });

    it('[DSP8] records a decline with its reason', async () => {
      const unitId = (await (await get(B, `/api/incidents/${incident.id}/candidates`, sup.cookie)).json())
        .candidates[0].unitId;
      devices[2]!.socket.once('dispatch_request', (msg: DeviceDispatchRequest, ack: (x: true) => void) => {
        ack(true);
        void devices[2]!.socket.emitWithAck('dispatch_answer', {
          requestId: msg.requestId,
          answer: 'decline',
          reason: 'selbst im Einsatz',
        });
      });
      const res = (await (
        await post(B, `/api/incidents/${incident.id}/dispatch`, sup.cookie, { unitIds: [unitId] })
      ).json()) as DispatchUnitsResponse;
      expect(res.results[0]!.ok).toBe(true);
      await waitFor(() => requestsFor(op, unitId).includes('declined'), 5000, 'declined');
      const last = eventsOf<DispatchRequest>(op, 'dispatch')
        .filter((r) => r.unitId === unitId)
        .at(-1)!;
      expect(last.declineReason).toBe('selbst im Einsatz');
    });

    it('[DSP9] times out a request whose device disconnected', async () => {
      const { candidates } = await (
        await get(B, `/api/incidents/${incident.id}/candidates`, sup.cookie)
      ).json();
      const unitId = candidates.find(
        (c: { deviceId: string }) => c.deviceId === tenant.devices[3]!.deviceId,
      ).unitId;
      devices[3]!.close(); // gone mid-request (but still fresh: not yet offline for the ranking)
      const res = (await (
        await post(B, `/api/incidents/${incident.id}/dispatch`, sup.cookie, { unitIds: [unitId] })
      ).json()) as DispatchUnitsResponse;
      if (!res.results[0]!.ok) {
        // the disconnect reached the live view first: the unit is offline and cannot be dispatched
        expect(res.results[0]).toMatchObject({ code: 'unavailable' });
        return;
      }
      await waitFor(() => requestsFor(sup, unitId).includes('timeout'), 10_000, 'timeout');
      expect(requestsFor(sup, unitId)).toEqual(['sent', 'timeout']);
    });

    it('[DSP11] refuses dispatch by an operator, from another tenant, and to a closed incident', async () => {
      const { candidates } = await (
        await get(B, `/api/incidents/${incident.id}/candidates`, sup.cookie)
      ).json();
      const unitIds = [candidates[0].unitId];
      expect((await post(A, `/api/incidents/${incident.id}/dispatch`, op.cookie, { unitIds })).status).toBe(
        403,
      );
      // another tenant's incident answers like an unknown one (issue 11)
      const dortmund = await login(A, 'dortmund.supervisor', DEMO_PASSWORD);
      expect((await post(A, `/api/incidents/${incident.id}/dispatch`, dortmund, { unitIds })).status).toBe(
        404,
      );
      expect((await get(A, `/api/incidents/${incident.id}`, dortmund)).status).toBe(404);
      expect((await get(A, '/api/incidents/00000000-0000-4000-8000-000000000000', sup.cookie)).status).toBe(
        404,
      );
      expect(
        (await post(A, `/api/incidents/${incident.id}/dispatch`, sup.cookie, { unitIds: [] })).status,
      ).toBe(400);
      const closed = await post(B, `/api/incidents/${incident.id}/close`, sup.cookie, {
        outcome: 'resolved',
        note: 'Lage beruhigt',
      });
      expect(closed.status).toBe(200);
      const again = await post(B, `/api/incidents/${incident.id}/dispatch`, sup.cookie, { unitIds });
      expect(again.status).toBe(409);
      await waitFor(
        () => eventsOf<Incident>(op, 'incident').some((i) => i.id === incident.id && i.status === 'closed'),
        5000,
        'closed on A',
      );
      const detail = await (await get(A, `/api/incidents/${incident.id}`, op.cookie)).json();
      const kinds = detail.timeline.map((t: { kind: string }) => t.kind);
      expect(kinds[0]).toBe('opened');
      expect(kinds).toContain('alert_acknowledged');
      expect(kinds).toContain('dispatch');
      expect(kinds.at(-1)).toBe('closed');
    });
  });
});

describe('alerts nobody acknowledges', () => {
  it('[DSP4] escalate after the tenant period, once per period', async () => {
    await place(devices[4]!, tenant.devices[4]!.deviceId, 0.008, { stage: 'recording', announced: true });
    const alertOf = () =>
      eventsOf<Alert>(sup, 'alert').filter((a) => a.kind === 'recording' && a.callsign !== null);
    await waitFor(() => alertOf().some((a) => a.escalationLevel === 1), 9000, 'escalation level 1');
    const incidentId = alertOf().find((a) => a.escalationLevel === 1)!.incidentId;
    const levels = alertOf()
      .filter((a) => a.incidentId === incidentId)
      .map((a) => a.escalationLevel);
    expect(levels).toEqual([0, 1]);
  });
});

describe('manual incidents', () => {
  it('[DSP12] tell every screen, already acknowledged by whoever opened it, and take a new priority', async () => {
    const res = await post(A, '/api/incidents', op.cookie, {
      location: { lat: 51.43, lng: 6.76 },
      priority: 3,
      summary: 'Ruhestörung',
    });
    expect(res.status).toBe(201);
    const { incident } = await res.json();
    await waitFor(
      () => eventsOf<Alert>(sup, 'alert').some((a) => a.incidentId === incident.id),
      5000,
      'alert on B',
    );
    expect(eventsOf<Alert>(sup, 'alert').find((a) => a.incidentId === incident.id)).toMatchObject({
      kind: 'manual',
      acknowledgedBy: 'Leitstelle Duisburg',
    });
    expect((await post(A, `/api/incidents/${incident.id}/priority`, op.cookie, { priority: 1 })).status).toBe(
      403,
    );
    expect(
      (await post(B, `/api/incidents/${incident.id}/priority`, sup.cookie, { priority: 7 })).status,
    ).toBe(400);
    const up = await post(B, `/api/incidents/${incident.id}/priority`, sup.cookie, { priority: 1 });
    expect(up.status).toBe(200);
    await waitFor(
      () => eventsOf<Incident>(op, 'incident').some((i) => i.id === incident.id && i.priority === 1),
      5000,
      'priority 1 on A',
    );
    const detail = await (await get(A, `/api/incidents/${incident.id}`, op.cookie)).json();
    expect(detail.timeline.map((e: { kind: string; params: unknown }) => [e.kind, e.params])).toContainEqual([
      'priority',
      { from: 3, to: 1 },
    ]);
  });
});

describe('the simulator as the other side', () => {
  // over the plain WebSocket (the raw Socket.IO clients above cover /device): a request from a
  // supervisor on gateway A reaches the camera on gateway B, which confirms and answers
  it('[DSP8][DSP10][D23][D31] confirms receipt, accepts and heads for the incident', async () => {
    const dortmund = stack.tenants[1]!;
    const sim = startSimulation({
      url: B,
      transport: 'websocket',
      devices: dortmund.devices.map((d) => ({
        deviceId: d.deviceId,
        secret: d.secret,
        label: d.label,
        city: 'dortmund' as const,
      })),
      behaviour: 'steady',
      seed: 11,
      response: { acceptRate: 1, minAnswerMs: 200, maxAnswerMs: 400 },
    });
    try {
      const cookie = await login(A, 'dortmund.supervisor', DEMO_PASSWORD);
      const supDo = await connectOperator(A, cookie);
      await waitFor(
        () =>
          sim.stats().connected === dortmund.devices.length && supDo.units.size === dortmund.devices.length,
        15_000,
        'fleet up',
      );
      const subject = sim.devices[0]!;
      subject.setEmergency(true);
      await waitFor(() => eventsOf<Incident>(supDo, 'incident').length > 0, 5000, 'incident');
      const incident = eventsOf<Incident>(supDo, 'incident')[0]!;
      const { candidates } = await (await get(A, `/api/incidents/${incident.id}/candidates`, cookie)).json();
      expect(candidates.length).toBeGreaterThan(0);
      const res = (await (
        await post(A, `/api/incidents/${incident.id}/dispatch`, cookie, { unitIds: [candidates[0].unitId] })
      ).json()) as DispatchUnitsResponse;
      expect(res.results[0]!.ok).toBe(true);
      const states = () => eventsOf<DispatchRequest>(supDo, 'dispatch').map((r) => r.state);
      await waitFor(() => states().includes('en_route'), 10_000, 'en route');
      // the screens follow it (en route may follow the acceptance at once, and the unit may already be
      // on scene: the lifecycle is checked up to en route); the incident's timeline holds every step
      const upToEnRoute = states().slice(0, states().indexOf('en_route') + 1);
      expectLifecycle(upToEnRoute, ['en_route']);
      expect(seenStates(states())).toContain('delivered');
      const timeline = await stack.db.pool.query<{ state: string }>(
        `SELECT params->>'state' AS state FROM incident_events WHERE incident_id = $1 AND kind = 'dispatch'`,
        [incident.id],
      );
      expect(timeline.rows.map((r) => r.state)).toEqual(
        expect.arrayContaining(['sent', 'delivered', 'accepted', 'en_route']),
      );
      // hurrying toward the scene, unless its patrol happened to start right there
      const helper = sim.device(candidates[0].deviceId).state;
      const scene = incident.location!;
      const metres = Math.hypot(
        (helper.truePosition.lat - scene.lat) * 111_195,
        (helper.truePosition.lng - scene.lng) * 111_195 * Math.cos((scene.lat * Math.PI) / 180),
      );
      expect(helper.speedMps > 2 || metres < 10).toBe(true);
      supDo.close();
    } finally {
      await sim.stop();
    }
  });
});
