/**
 * Dispatch of backup: ranks available units for an incident, sends requests to their devices,
 * follows each request through the state machine (delivered, answered, timed out, en route, on
 * scene) and tells every dashboard. Requests are rows in PostgreSQL; any gateway may run any step.
 */
import {
  DeviceDispatchAnswer,
  type DeviceDispatchRequest,
  type DispatchAnswerAck,
  type DispatchState,
  type DispatchUnitsResponse,
  describeIssues,
  type LatLng,
  type UnitLive,
} from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { LiveStore } from '../live/live-store.ts';
import type { Logger } from '../logger.ts';
import type { Broadcaster } from './broadcast.ts';
import { distanceM, type EtaEstimator } from './eta.ts';
import { type Ranking, rankCandidates } from './ranking.ts';
import {
  activeRequestsForDevice,
  addTimeline,
  busyUnitIds,
  expireDueRequests,
  getRequest,
  insertRequest,
  type Queryable,
  transitionRequest,
  troubledDeviceIds,
} from './store.ts';
import { dispatchEntry } from './timeline.ts';

/** How requests reach devices: through the /device namespace on whichever gateway holds them. */
export interface DeviceLink {
  /** resolves true when a connected device confirmed receipt */
  send(deviceId: string, msg: DeviceDispatchRequest): Promise<boolean>;
  cancel(deviceId: string, requestId: string): void;
}

export interface DispatchIncident {
  id: string;
  tenantId: string;
  number: string;
  status: 'open' | 'closed';
  priority: number;
  deviceId: string | null;
  callsign: string | null;
  location: LatLng | null;
}

export interface DispatcherDeps {
  pool: pg.Pool;
  live: LiveStore;
  broadcast: Broadcaster;
  log: Logger;
  estimator: EtaEstimator;
  staleAfterMs: number;
  onSceneRadiusM: number;
  devices: () => DeviceLink;
}

/** An accepted / en-route request of a device connected to this gateway, watched for arrival. */
export interface Tracked {
  requestId: string;
  state: DispatchState;
  subjectDeviceId: string | null;
  location: LatLng | null;
  tenantId: string;
  /** receivedAt of the live update last checked, so a chatty device is checked once a second */
  checkedAt: number;
}

type ActiveRequestRow = Awaited<ReturnType<typeof activeRequestsForDevice>>[number];

/** Arrival watching starts from the request's row: head for the unit in trouble, else the incident. */
export function trackedOf(
  r: Pick<ActiveRequestRow, 'id' | 'state' | 'subject_device_id' | 'lat' | 'lng'>,
  tenantId: string,
): Tracked {
  return {
    requestId: r.id,
    state: r.state,
    subjectDeviceId: r.subject_device_id,
    location: r.lat === null || r.lng === null ? null : { lat: r.lat, lng: r.lng },
    tenantId,
    checkedAt: 0,
  };
}

/** Why a unit that is not a candidate of the ranking cannot be requested. */
export function refusalOf(
  unitId: string,
  ranking: Pick<Ranking, 'unavailable'>,
): Extract<DispatchUnitsResponse['results'][number], { ok: false }> {
  const why = ranking.unavailable.find((x) => x.unitId === unitId);
  if (!why) return { ok: false, unitId, code: 'not_found', message: 'unit not on shift' };
  if (why.reason === 'busy')
    return { ok: false, unitId, code: 'conflict', message: `${why.callsign} is already requested or busy` };
  return { ok: false, unitId, code: 'unavailable', message: `${why.callsign}: ${why.reason}` };
}

/** Whether a live update is due for an arrival check (at most one a second per device). */
export function arrivalCheckDue(t: Tracked, unit: UnitLive): boolean {
  return unit.position !== null && unit.receivedAt - t.checkedAt >= 1000;
}

/** The request's timeline entry for its current state, and every dashboard hears of it. */
async function record(
  deps: DispatcherDeps,
  db: Queryable,
  requestId: string,
  actorId: string | null,
  reason: string | null = null,
): Promise<void> {
  const r = await getRequest(db, requestId);
  if (!r) return;
  await addTimeline(db, {
    ...dispatchEntry(r, reason),
    tenantId: r.tenantId,
    incidentId: r.incidentId,
    actorId,
  });
  void deps.broadcast.request(requestId);
}

/** Where backup should go: the unit in trouble's live position, else the incident's location. */
async function targetOf(deps: DispatcherDeps, incident: DispatchIncident): Promise<LatLng | null> {
  if (incident.deviceId) {
    const subject = await deps.live.get(incident.tenantId, incident.deviceId);
    if (subject?.position) return { lat: subject.position.lat, lng: subject.position.lng };
  }
  return incident.location;
}

export async function rankFor(
  deps: DispatcherDeps,
  incident: DispatchIncident,
): Promise<Ranking & { target: LatLng }> {
  const to = await targetOf(deps, incident);
  if (!to)
    throw new AppError(
      'conflict',
      'the incident has no location yet; wait for the unit’s position or open it on the map',
    );
  const [units, busy, troubled] = await Promise.all([
    deps.live.snapshot(incident.tenantId),
    busyUnitIds(deps.pool, incident.tenantId),
    troubledDeviceIds(deps.pool, incident.tenantId, incident.id),
  ]);
  return {
    target: to,
    ...rankCandidates({
      target: to,
      units,
      subjectDeviceId: incident.deviceId,
      busyUnitIds: busy,
      troubledDeviceIds: troubled,
      nowMs: Date.now(),
      staleAfterMs: deps.staleAfterMs,
      estimator: deps.estimator,
    }),
  };
}

/** Sends a request still `sent` to its device; delivered once the device confirms receipt. */
async function deliver(deps: DispatcherDeps, requestId: string): Promise<void> {
  const { rows } = await deps.pool.query(
    `SELECT d.id, d.device_id, d.expires_at, d.note, d.incident_id, i.number, i.priority, i.lat, i.lng,
            i.device_id AS subject_device_id, u.callsign AS subject_callsign
       FROM dispatch_requests d JOIN incidents i ON i.id = d.incident_id LEFT JOIN units u ON u.id = i.unit_id
      WHERE d.id = $1 AND d.state = 'sent'`,
    [requestId],
  );
  const r = rows[0];
  if (!r) return;
  const received = await deps.devices().send(r.device_id, {
    requestId: r.id,
    incidentId: r.incident_id,
    incidentNumber: r.number,
    priority: r.priority,
    location: r.lat === null ? null : { lat: r.lat, lng: r.lng },
    subjectDeviceId: r.subject_device_id,
    callsign: r.subject_callsign,
    note: r.note,
    expiresAt: r.expires_at.getTime(),
  });
  if (received && (await transitionRequest(deps.pool, requestId, 'delivered')))
    await record(deps, deps.pool, requestId, null);
}

/** A unit that lost the race for a request: who requested it first, and for which incident. */
async function lostRaceResult(
  deps: DispatcherDeps,
  unitId: string,
  callsign: string,
): Promise<DispatchUnitsResponse['results'][number]> {
  const { rows } = await deps.pool.query(
    `SELECT u.display_name, i.number FROM dispatch_requests d JOIN users u ON u.id = d.requested_by
       JOIN incidents i ON i.id = d.incident_id
      WHERE d.unit_id = $1 AND d.state IN ('sent','delivered','accepted','en_route') LIMIT 1`,
    [unitId],
  );
  const by = rows[0] ? ` by ${rows[0].display_name} for incident ${rows[0].number}` : '';
  return { ok: false, unitId, code: 'conflict', message: `${callsign} was just requested${by}` };
}

export interface DispatchOrder {
  userId: string;
  unitIds: string[];
  note: string;
  answerTimeoutS: number;
}

/** Requests units for an incident: each one the ranking still offers gets a request and a delivery. */
export async function dispatchUnits(
  deps: DispatcherDeps,
  incident: DispatchIncident,
  order: DispatchOrder,
): Promise<DispatchUnitsResponse> {
  if (incident.status !== 'open') throw new AppError('conflict', `incident ${incident.number} is closed`);
  const ranking = await rankFor(deps, incident);
  const results: DispatchUnitsResponse['results'] = [];
  for (const unitId of [...new Set(order.unitIds)]) {
    const c = ranking.candidates.find((x) => x.unitId === unitId);
    if (!c) {
      results.push(refusalOf(unitId, ranking));
      continue;
    }
    const id = await insertRequest(deps.pool, {
      tenantId: incident.tenantId,
      incidentId: incident.id,
      unitId,
      deviceId: c.deviceId,
      requestedBy: order.userId,
      expiresInS: order.answerTimeoutS,
      distanceM: c.distanceM,
      etaS: c.etaS,
      mode: c.mode,
      note: order.note,
    });
    if (!id) {
      results.push(await lostRaceResult(deps, unitId, c.callsign));
      continue;
    }
    await record(deps, deps.pool, id, order.userId);
    const { tenantId: _t, ...view } = (await getRequest(deps.pool, id))!;
    results.push({ ok: true, unitId, request: view });
    deliver(deps, id).catch((err) => deps.log.warn({ err, requestId: id }, 'dispatch delivery failed'));
  }
  return { results };
}

export function createDispatcher(deps: DispatcherDeps) {
  const { pool, live, log } = deps;
  /** accepted / en-route requests of devices connected to this gateway, for arrival detection */
  const tracked = new Map<string, Tracked>();

  /** Moves a watched request on: en route at its first movement, on scene within the radius. */
  async function checkArrival(deviceId: string, t: Tracked, position: LatLng): Promise<void> {
    if (t.state === 'accepted') {
      if (await transitionRequest(pool, t.requestId, 'en_route')) await record(deps, pool, t.requestId, null);
      t.state = 'en_route';
    }
    const subject = t.subjectDeviceId ? await live.get(t.tenantId, t.subjectDeviceId) : null;
    const to = subject?.position ?? t.location;
    if (to && distanceM(position, to) <= deps.onSceneRadiusM) {
      tracked.delete(deviceId);
      if (await transitionRequest(pool, t.requestId, 'on_scene')) await record(deps, pool, t.requestId, null);
    }
  }

  return {
    rank: (incident: DispatchIncident) => rankFor(deps, incident),

    dispatch: (
      incident: DispatchIncident,
      userId: string,
      unitIds: string[],
      note: string,
      answerTimeoutS: number,
    ): Promise<DispatchUnitsResponse> =>
      dispatchUnits(deps, incident, { userId, unitIds, note, answerTimeoutS }),

    async cancel(requestId: string, userId: string): Promise<boolean> {
      const r = await getRequest(pool, requestId);
      if (!r || !(await transitionRequest(pool, requestId, 'cancelled'))) return false;
      await record(deps, pool, requestId, userId);
      deps.devices().cancel(r.deviceId, requestId);
      return true;
    },

    /** A device (re)connected here: deliver what it missed, track what it accepted. */
    async onDeviceConnected(deviceId: string, tenantId: string): Promise<void> {
      for (const r of await activeRequestsForDevice(pool, deviceId)) {
        if (r.state === 'sent') await deliver(deps, r.id);
        if (r.state === 'accepted' || r.state === 'en_route') tracked.set(deviceId, trackedOf(r, tenantId));
      }
    },

    onDeviceDisconnected(deviceId: string): void {
      tracked.delete(deviceId);
    },

    async answer(deviceId: string, tenantId: string, raw: unknown): Promise<DispatchAnswerAck> {
      const parsed = DeviceDispatchAnswer.safeParse(raw);
      if (!parsed.success)
        return { ok: false, code: 'bad_request', message: describeIssues(parsed.error).join('; ') };
      const { requestId, answer, reason } = parsed.data;
      const to: DispatchState = answer === 'accept' ? 'accepted' : 'declined';
      const moved = await transitionRequest(pool, requestId, to, {
        deviceId,
        unexpiredOnly: true,
        declineReason: reason,
      });
      if (!moved)
        return {
          ok: false,
          code: 'conflict',
          message: 'this request is no longer open (timed out, cancelled or answered)',
        };
      await record(deps, pool, requestId, null, reason || null);
      if (to === 'accepted') {
        const [r] = (await activeRequestsForDevice(pool, deviceId)).filter((x) => x.id === requestId);
        if (r) tracked.set(deviceId, { ...trackedOf(r, tenantId), state: 'accepted' });
      }
      return { ok: true, state: to };
    },

    /** Live state of a device connected here: moves its accepted request to en route / on scene. */
    onLive(unit: UnitLive): void {
      const t = tracked.get(unit.deviceId);
      if (!t || !unit.position || !arrivalCheckDue(t, unit)) return;
      t.checkedAt = unit.receivedAt;
      checkArrival(unit.deviceId, t, unit.position).catch((err) =>
        log.warn({ err, deviceId: unit.deviceId }, 'arrival check failed'),
      );
    },

    /** Requests nobody answered in time; safe to run on every gateway at once. */
    async sweep(): Promise<void> {
      for (const r of await expireDueRequests(pool)) {
        await record(deps, pool, r.id, null);
        deps.devices().cancel(r.deviceId, r.id);
      }
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
