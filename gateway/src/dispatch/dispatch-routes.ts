/**
 * Incidents, alerts and dispatch over HTTP. Every route checks the session, the role and the
 * tenant of the entity; a cross-tenant id is answered like an unknown one (404, logged and audited).
 */
import type { Db } from '@lagebild/db';
import {
  AlertResponse,
  CandidatesResponse,
  CloseIncidentRequest,
  DispatchRequestResponse,
  DispatchUnitsRequest,
  DispatchUnitsResponse,
  IncidentDetailResponse,
  IncidentNoteRequest,
  IncidentResponse,
  IncidentsResponse,
  LIVE_ROLES,
  OpenIncidentRequest,
  type Role,
  SetPriorityRequest,
  TimelineEntryResponse,
} from '@lagebild/protocol';
import type { FastifyRequest } from 'fastify';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import type { SessionUser } from '../http/session.ts';
import { notFound } from '../http/tenant-guard.ts';
import type { LiveStore } from '../live/live-store.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { IncidentService } from './incident-service.ts';
import { alertsOf, getAlert, getIncident, getRequest, requestsOf, timelineOf } from './store.ts';

const DISPATCH_ROLES: readonly Role[] = ['admin', 'supervisor'];

export interface DispatchRouteDeps extends HttpDeps {
  db: Db;
  live: LiveStore;
  audit: AuditLog;
  incidents: IncidentService;
  dispatcher: Dispatcher;
}

const incidentParams = idParams('incident');

export function registerDispatchRoutes({
  route,
  db,
  sameTenant,
  live,
  audit,
  incidents,
  dispatcher,
}: DispatchRouteDeps): void {
  const pool = db.pool;

  /** the incident addressed by the path, if it is the caller's tenant's */
  async function loadIncident(req: FastifyRequest, user: SessionUser, id: string) {
    const incident = await getIncident(pool, id);
    if (!incident) throw notFound('incident');
    sameTenant(user, incident.tenantId, 'incident', id, req);
    return incident;
  }
  /** an incident route: `:id` is the incident, loaded and tenant-checked before the handler */
  const onIncident = (method: 'GET' | 'POST', path: string, access: readonly Role[], summary: string) => ({
    method,
    url: `/api/incidents/:id${path}`,
    access,
    summary,
    params: incidentParams,
  });

  route(
    {
      method: 'GET',
      url: '/api/incidents',
      access: LIVE_ROLES,
      summary: "The tenant's open incidents with their alerts and requests",
      response: IncidentsResponse,
    },
    async ({ user }) => incidents.snapshot(user.tenant.id),
  );

  route(
    {
      ...onIncident('GET', '', LIVE_ROLES, 'One incident with alerts, requests and timeline'),
      response: IncidentDetailResponse,
    },
    async ({ req, user, params }) => {
      const incident = await loadIncident(req, user, params.id);
      const [alerts, requests, timeline] = await Promise.all([
        alertsOf(pool, { incidentId: incident.id }),
        requestsOf(pool, { incidentId: incident.id }),
        timelineOf(pool, incident.id),
      ]);
      const { tenantId: _t, ...view } = incident;
      return { incident: view, alerts, requests, timeline };
    },
  );

  const open = {
    method: 'POST',
    url: '/api/incidents',
    access: LIVE_ROLES,
    summary: 'Opens an incident by hand, at a unit or a location',
    body: OpenIncidentRequest,
    response: IncidentResponse,
    status: 201,
  } as const;
  route(open, async ({ req, user, body }) => {
    let unitId: string | null = null;
    let deviceId: string | null = null;
    let location = 'location' in body ? body.location : null;
    if ('unitId' in body) {
      const unit = await db.prisma.unit.findUnique({
        where: { id: body.unitId },
        include: { shifts: { where: { endedAt: null } } },
      });
      if (!unit) throw notFound('unit');
      sameTenant(user, unit.tenantId, 'unit', unit.id, req);
      unitId = unit.id;
      deviceId = unit.shifts[0]?.deviceId ?? null;
      const l = deviceId ? await live.get(user.tenant.id, deviceId) : null;
      location = l?.position ? { lat: l.position.lat, lng: l.position.lng } : null;
    }
    const id = await incidents.openManual(
      {
        tenantId: user.tenant.id,
        userId: user.id,
        unitId,
        deviceId,
        location,
        priority: body.priority,
        summary: body.summary,
      },
      (c, id) =>
        audit.appendIn(c, [
          {
            tenantId: user.tenant.id,
            actor: actorOf(user),
            action: 'incident_opened',
            target: `incident:${id}`,
          },
        ]),
    );
    const { tenantId: _t, ...incident } = (await getIncident(pool, id))!;
    return { incident };
  });

  route(
    {
      ...onIncident('POST', '/notes', LIVE_ROLES, 'Adds a note to an open incident'),
      body: IncidentNoteRequest,
      response: TimelineEntryResponse,
      status: 201,
    },
    async ({ req, user, params, body: { text } }) => {
      const incident = await loadIncident(req, user, params.id);
      if (incident.status !== 'open') throw new AppError('conflict', `incident ${incident.number} is closed`);
      // the note's text stays in the timeline; the audit entry records who wrote one, and when
      const entry = await incidents.note(incident.tenantId, incident.id, user.id, text, (c) =>
        audit.appendIn(c, [
          {
            tenantId: user.tenant.id,
            actor: actorOf(user),
            action: 'incident_note',
            target: `incident:${incident.id}`,
            payload: { chars: text.length },
          },
        ]),
      );
      return { entry };
    },
  );

  route(
    {
      ...onIncident('POST', '/close', DISPATCH_ROLES, 'Closes an incident; its open requests are cancelled'),
      body: CloseIncidentRequest,
      response: IncidentResponse,
    },
    async ({ req, user, params, body: { outcome, note } }) => {
      const incident = await loadIncident(req, user, params.id);
      const r = await incidents.close(incident.tenantId, incident.id, user.id, outcome, note, (c) =>
        audit.appendIn(c, [
          {
            tenantId: user.tenant.id,
            actor: actorOf(user),
            action: 'incident_closed',
            target: `incident:${incident.id}`,
            payload: { outcome },
          },
        ]),
      );
      if (!r.closed) throw new AppError('conflict', `incident ${incident.number} is already closed`);
      for (const c of r.cancelled) await dispatcher.cancel(c.id, user.id).catch(() => false);
      const { tenantId: _t, ...view } = (await getIncident(pool, incident.id))!;
      return { incident: view };
    },
  );

  route(
    {
      ...onIncident('POST', '/priority', DISPATCH_ROLES, "Changes an open incident's priority"),
      body: SetPriorityRequest,
      response: IncidentResponse,
    },
    async ({ req, user, params, body: { priority } }) => {
      const incident = await loadIncident(req, user, params.id);
      if (incident.status !== 'open') throw new AppError('conflict', `incident ${incident.number} is closed`);
      await incidents.setPriority(incident.tenantId, incident.id, user.id, incident.priority, priority, (c) =>
        audit.appendIn(c, [
          {
            tenantId: user.tenant.id,
            actor: actorOf(user),
            action: 'incident_priority_changed',
            target: `incident:${incident.id}`,
            payload: { from: incident.priority, to: priority },
          },
        ]),
      );
      const { tenantId: _t, ...view } = (await getIncident(pool, incident.id))!;
      return { incident: view };
    },
  );

  const ack = {
    method: 'POST',
    url: '/api/alerts/:id/ack',
    access: LIVE_ROLES,
    summary: 'Acknowledges an alert (the first one wins, the others get 409)',
    params: idParams('alert'),
    response: AlertResponse,
  } as const;
  route(ack, async ({ req, user, params: { id } }) => {
    const alert = await getAlert(pool, id);
    if (!alert) throw notFound('alert');
    sameTenant(user, alert.tenantId, 'alert', id, req);
    const won = await incidents.acknowledge(alert.tenantId, alert.incidentId, id, user.id, (c) =>
      audit.appendIn(c, [
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'alert_acknowledged',
          target: `alert:${id}`,
        },
      ]),
    );
    const now = (await getAlert(pool, id))!;
    if (!won)
      throw new AppError('conflict', `already acknowledged by ${now.acknowledgedBy ?? 'someone else'}`);
    const { tenantId: _t, ...view } = now;
    return { alert: view };
  });

  route(
    {
      ...onIncident('GET', '/candidates', DISPATCH_ROLES, 'Units ranked for backup, and why others are not'),
      response: CandidatesResponse,
    },
    async ({ req, user, params }) => {
      const incident = await loadIncident(req, user, params.id);
      const { candidates, unavailable } = await dispatcher.rank(incident);
      return { candidates, unavailable };
    },
  );

  route(
    {
      ...onIncident('POST', '/dispatch', DISPATCH_ROLES, 'Requests backup from units (each device answers)'),
      body: DispatchUnitsRequest,
      response: DispatchUnitsResponse,
    },
    async ({ req, user, params, body: { unitIds, note } }) => {
      const incident = await loadIncident(req, user, params.id);
      const tenant = await db.prisma.tenant.findUniqueOrThrow({ where: { id: incident.tenantId } });
      const res = await dispatcher.dispatch(incident, user.id, unitIds, note, tenant.dispatchAnswerTimeoutS);
      await audit.append({
        tenantId: user.tenant.id,
        actor: user.username,
        action: 'dispatch',
        target: `incident:${incident.id}`,
        payload: { units: res.results.map((r) => [r.unitId, r.ok]) },
      });
      return res;
    },
  );

  const cancel = {
    method: 'POST',
    url: '/api/dispatch/:id/cancel',
    access: DISPATCH_ROLES,
    summary: 'Cancels a dispatch request that is not answered yet',
    params: idParams('request'),
    response: DispatchRequestResponse,
  } as const;
  route(cancel, async ({ req, user, params: { id } }) => {
    const r = await getRequest(pool, id);
    if (!r) throw notFound('request');
    sameTenant(user, r.tenantId, 'request', id, req);
    if (!(await dispatcher.cancel(id, user.id)))
      throw new AppError('conflict', `the request is already ${r.state}`);
    await audit.append({
      tenantId: user.tenant.id,
      actor: user.username,
      action: 'dispatch_cancelled',
      target: `request:${id}`,
    });
    const { tenantId: _t, ...view } = (await getRequest(pool, id))!;
    return { request: view };
  });
}
