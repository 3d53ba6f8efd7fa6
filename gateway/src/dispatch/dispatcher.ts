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

const STATE_TEXT: Record<DispatchState, string> = {
  sent: 'angefordert',
  delivered: 'zugestellt',
  accepted: 'angenommen',
  en_route: 'unterwegs',
  on_scene: 'vor Ort',
  declined: 'abgelehnt',
  timeout: 'keine Antwort',
  cancelled: 'zurückgenommen',
};

interface Tracked {
  requestId: string;
  state: DispatchState;
  subjectDeviceId: string | null;
  location: LatLng | null;
  tenantId: string;
  checkedAt: number;
}

export function createDispatcher(deps: {
  pool: pg.Pool;
  live: LiveStore;
  broadcast: Broadcaster;
  log: Logger;
  estimator: EtaEstimator;
  staleAfterMs: number;
  onSceneRadiusM: number;
  devices: () => DeviceLink;
}) {
  const { pool, live, broadcast, log } = deps;
  /** accepted / en-route requests of devices connected to this gateway, for arrival detection */
  const tracked = new Map<string, Tracked>();

  async function record(db: Queryable, requestId: string, actorId: string | null, suffix = '') {
    const r = await getRequest(db, requestId);
    if (!r) return;
    await addTimeline(db, {
      tenantId: r.tenantId,
      incidentId: r.incidentId,
      kind: 'dispatch',
      actorId,
      text: `${r.callsign}: ${STATE_TEXT[r.state]}${suffix}`,
    });
    void broadcast.request(requestId);
  }

  async function target(incident: DispatchIncident): Promise<LatLng | null> {
    if (incident.deviceId) {
      const subject = await live.get(incident.tenantId, incident.deviceId);
      if (subject?.position) return { lat: subject.position.lat, lng: subject.position.lng };
    }
    return incident.location;
  }

  async function rank(incident: DispatchIncident): Promise<Ranking & { target: LatLng }> {
    const to = await target(incident);
    if (!to)
      throw new AppError(
        'conflict',
        'the incident has no location yet; wait for the unit’s position or open it on the map',
      );
    const [units, busy, troubled] = await Promise.all([
      live.snapshot(incident.tenantId),
      busyUnitIds(pool, incident.tenantId),
      troubledDeviceIds(pool, incident.tenantId, incident.id),
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

  async function deliver(requestId: string): Promise<void> {
    const { rows } = await pool.query(
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
    if (received && (await transitionRequest(pool, requestId, 'delivered')))
      await record(pool, requestId, null);
  }

  return {
    rank,

    async dispatch(
      incident: DispatchIncident,
      userId: string,
      unitIds: string[],
      note: string,
      answerTimeoutS: number,
    ): Promise<DispatchUnitsResponse> {
      if (incident.status !== 'open') throw new AppError('conflict', `incident ${incident.number} is closed`);
      const ranking = await rank(incident);
      const results: DispatchUnitsResponse['results'] = [];
      for (const unitId of [...new Set(unitIds)]) {
        const c = ranking.candidates.find((x) => x.unitId === unitId);
        if (!c) {
          const why = ranking.unavailable.find((x) => x.unitId === unitId);
          results.push(
            why?.reason === 'busy'
              ? {
                  ok: false,
                  unitId,
                  code: 'conflict',
                  message: `${why.callsign} is already requested or busy`,
                }
              : {
                  ok: false,
                  unitId,
                  code: why ? 'unavailable' : 'not_found',
                  message: why ? `${why.callsign}: ${why.reason}` : 'unit not on shift',
                },
          );
          continue;
        }
        const id = await insertRequest(pool, {
          tenantId: incident.tenantId,
          incidentId: incident.id,
          unitId,
          deviceId: c.deviceId,
          requestedBy: userId,
          expiresInS: answerTimeoutS,
          distanceM: c.distanceM,
          etaS: c.etaS,
          mode: c.mode,
          note,
        });
        if (!id) {
          const { rows } = await pool.query(
            `SELECT u.display_name, i.number FROM dispatch_requests d JOIN users u ON u.id = d.requested_by
               JOIN incidents i ON i.id = d.incident_id
              WHERE d.unit_id = $1 AND d.state IN ('sent','delivered','accepted','en_route') LIMIT 1`,
            [unitId],
          );
          const by = rows[0] ? ` by ${rows[0].display_name} for incident ${rows[0].number}` : '';
          results.push({
            ok: false,
            unitId,
            code: 'conflict',
            message: `${c.callsign} was just requested${by}`,
          });
          continue;
        }
        await record(pool, id, userId);
        const request = (await getRequest(pool, id))!;
        const { tenantId: _t, ...view } = request;
        results.push({ ok: true, unitId, request: view });
        deliver(id).catch((err) => log.warn({ err, requestId: id }, 'dispatch delivery failed'));
      }
      return { results };
    },

    async cancel(requestId: string, userId: string): Promise<boolean> {
      const r = await getRequest(pool, requestId);
      if (!r || !(await transitionRequest(pool, requestId, 'cancelled'))) return false;
      await record(pool, requestId, userId);
      deps.devices().cancel(r.deviceId, requestId);
      return true;
    },

    /** A device (re)connected here: deliver what it missed, track what it accepted. */
    async onDeviceConnected(deviceId: string, tenantId: string): Promise<void> {
      for (const r of await activeRequestsForDevice(pool, deviceId)) {
        if (r.state === 'sent') await deliver(r.id);
        if (r.state === 'accepted' || r.state === 'en_route') {
          tracked.set(deviceId, {
            requestId: r.id,
            state: r.state,
            subjectDeviceId: r.subject_device_id,
            location: r.lat === null ? null : { lat: r.lat, lng: r.lng! },
            tenantId,
            checkedAt: 0,
          });
        }
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
      await record(pool, requestId, null, reason ? ` (${reason})` : '');
      if (to === 'accepted') {
        const [r] = (await activeRequestsForDevice(pool, deviceId)).filter((x) => x.id === requestId);
        if (r) {
          tracked.set(deviceId, {
            requestId,
            state: 'accepted',
            subjectDeviceId: r.subject_device_id,
            location: r.lat === null ? null : { lat: r.lat, lng: r.lng! },
            tenantId,
            checkedAt: 0,
          });
        }
      }
      return { ok: true, state: to };
    },

    /** Live state of a device connected here: moves its accepted request to en route / on scene. */
    onLive(unit: UnitLive): void {
      const t = tracked.get(unit.deviceId);
      if (!t || !unit.position || unit.receivedAt - t.checkedAt < 1000) return;
      t.checkedAt = unit.receivedAt;
      const position = unit.position;
      void (async () => {
        if (t.state === 'accepted') {
          if (await transitionRequest(pool, t.requestId, 'en_route')) await record(pool, t.requestId, null);
          t.state = 'en_route';
        }
        const subject = t.subjectDeviceId ? await live.get(t.tenantId, t.subjectDeviceId) : null;
        const to = subject?.position ?? t.location;
        if (to && distanceM(position, to) <= deps.onSceneRadiusM) {
          tracked.delete(unit.deviceId);
          if (await transitionRequest(pool, t.requestId, 'on_scene')) await record(pool, t.requestId, null);
        }
      })().catch((err) => log.warn({ err, deviceId: unit.deviceId }, 'arrival check failed'));
    },

    /** Requests nobody answered in time; safe to run on every gateway at once. */
    async sweep(): Promise<void> {
      for (const r of await expireDueRequests(pool)) {
        await record(pool, r.id, null);
        deps.devices().cancel(r.deviceId, r.id);
      }
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
