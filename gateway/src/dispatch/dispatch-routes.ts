/**
 * Incidents, alerts and dispatch over HTTP. Every route checks the session, the role and the
 * tenant of the entity; a cross-tenant id is answered like an unknown one (404, logged and audited).
 */
import {
  type CandidatesResponse,
  CloseIncidentRequest,
  DispatchUnitsRequest,
  type DispatchUnitsResponse,
  type IncidentDetailResponse,
  IncidentNoteRequest,
  type IncidentsResponse,
  LIVE_ROLES,
  OpenIncidentRequest,
  type Role,
  SetPriorityRequest,
} from '@lagebild/protocol';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit-log.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { IncidentService } from './incident-service.ts';
import { alertsOf, getAlert, getIncident, getRequest, requestsOf, timelineOf } from './store.ts';
import { AppError } from '../errors.ts';
import type { RouteDeps } from '../http/route-deps.ts';
import { notFound } from '../http/tenant-guard.ts';
import { parseInput, pathId } from '../http/validate.ts';

const DISPATCH_ROLES: readonly Role[] = ['admin', 'supervisor'];

export function registerDispatchRoutes(
  { app, db, guard, sameTenant, live, log, audit }: RouteDeps,
  incidents: IncidentService,
  dispatcher: Dispatcher,
): void {
  const pool = db.pool;

  async function loadIncident(req: FastifyRequest<{ Params: { id: string } }>, roles: readonly Role[]) {
    const user = await guard(req, roles);
    const id = pathId(req.params.id, 'incident');
    const incident = await getIncident(pool, id);
    if (!incident) throw notFound('incident');
    sameTenant(user, incident.tenantId, 'incident', id, req);
    return { user, incident };
  }

  app.get('/api/incidents', async (req): Promise<IncidentsResponse> => {
    const user = await guard(req, LIVE_ROLES);
    return incidents.snapshot(user.tenant.id);
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id', async (req): Promise<IncidentDetailResponse> => {
    const { incident } = await loadIncident(req, LIVE_ROLES);
    const [alerts, requests, timeline] = await Promise.all([
      alertsOf(pool, { incidentId: incident.id }),
      requestsOf(pool, { incidentId: incident.id }),
      timelineOf(pool, incident.id),
    ]);
    const { tenantId: _t, ...view } = incident;
    return { incident: view, alerts, requests, timeline };
  });

  app.post('/api/incidents', async (req, reply) => {
    const user = await guard(req, LIVE_ROLES);
    const body = parseInput(OpenIncidentRequest, req.body);
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
    const id = await incidents.openManual({
      tenantId: user.tenant.id,
      userId: user.id,
      unitId,
      deviceId,
      location,
      priority: body.priority,
      summary: body.summary,
    });
    log.info(
      { audit: 'incident_opened', userId: user.id, tenantId: user.tenant.id, incidentId: id },
      'incident opened',
    );
    await audit.append({
      tenantId: user.tenant.id,
      actor: user.username,
      action: 'incident_opened',
      target: `incident:${id}`,
    });
    const { tenantId: _t, ...incident } = (await getIncident(pool, id))!;
    reply.code(201);
    return { incident };
  });

  app.post<{ Params: { id: string } }>('/api/incidents/:id/notes', async (req, reply) => {
    const { user, incident } = await loadIncident(req, LIVE_ROLES);
    const { text } = parseInput(IncidentNoteRequest, req.body);
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
    reply.code(201);
    return { entry };
  });

  app.post<{ Params: { id: string } }>('/api/incidents/:id/close', async (req) => {
    const { user, incident } = await loadIncident(req, DISPATCH_ROLES);
    const { outcome, note } = parseInput(CloseIncidentRequest, req.body);
    const r = await incidents.close(incident.tenantId, incident.id, user.id, outcome, note);
    if (!r.closed) throw new AppError('conflict', `incident ${incident.number} is already closed`);
    for (const c of r.cancelled) await dispatcher.cancel(c.id, user.id).catch(() => false);
    log.info(
      {
        audit: 'incident_closed',
        userId: user.id,
        tenantId: user.tenant.id,
        incidentId: incident.id,
        outcome,
      },
      'incident closed',
    );
    await audit.append({
      tenantId: user.tenant.id,
      actor: user.username,
      action: 'incident_closed',
      target: `incident:${incident.id}`,
      payload: { outcome },
    });
    const { tenantId: _t, ...view } = (await getIncident(pool, incident.id))!;
    return { incident: view };
  });

  app.post<{ Params: { id: string } }>('/api/incidents/:id/priority', async (req) => {
    const { user, incident } = await loadIncident(req, DISPATCH_ROLES);
    const { priority } = parseInput(SetPriorityRequest, req.body);
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
  });

  app.post<{ Params: { id: string } }>('/api/alerts/:id/ack', async (req) => {
    const user = await guard(req, LIVE_ROLES);
    const id = pathId(req.params.id, 'alert');
    const alert = await getAlert(pool, id);
    if (!alert) throw notFound('alert');
    sameTenant(user, alert.tenantId, 'alert', id, req);
    const won = await incidents.acknowledge(alert.tenantId, alert.incidentId, id, user.id);
    const now = (await getAlert(pool, id))!;
    if (!won)
      throw new AppError('conflict', `already acknowledged by ${now.acknowledgedBy ?? 'someone else'}`);
    log.info(
      { audit: 'alert_acknowledged', userId: user.id, tenantId: user.tenant.id, alertId: id },
      'alert acknowledged',
    );
    await audit.append({
      tenantId: user.tenant.id,
      actor: user.username,
      action: 'alert_acknowledged',
      target: `alert:${id}`,
    });
    const { tenantId: _t, ...view } = now;
    return { alert: view };
  });

  app.get<{ Params: { id: string } }>(
    '/api/incidents/:id/candidates',
    async (req): Promise<CandidatesResponse> => {
      const { incident } = await loadIncident(req, DISPATCH_ROLES);
      const { candidates, unavailable } = await dispatcher.rank(incident);
      return { candidates, unavailable };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/incidents/:id/dispatch',
    async (req): Promise<DispatchUnitsResponse> => {
      const { user, incident } = await loadIncident(req, DISPATCH_ROLES);
      const { unitIds, note } = parseInput(DispatchUnitsRequest, req.body);
      const tenant = await db.prisma.tenant.findUniqueOrThrow({ where: { id: incident.tenantId } });
      const res = await dispatcher.dispatch(incident, user.id, unitIds, note, tenant.dispatchAnswerTimeoutS);
      log.info(
        {
          audit: 'dispatch',
          userId: user.id,
          tenantId: user.tenant.id,
          incidentId: incident.id,
          units: res.results.map((r) => [r.unitId, r.ok]),
        },
        'backup requested',
      );
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

  app.post<{ Params: { id: string } }>('/api/dispatch/:id/cancel', async (req) => {
    const user = await guard(req, DISPATCH_ROLES);
    const id = pathId(req.params.id, 'request');
    const r = await getRequest(pool, id);
    if (!r) throw notFound('request');
    sameTenant(user, r.tenantId, 'request', id, req);
    if (!(await dispatcher.cancel(id, user.id)))
      throw new AppError('conflict', `the request is already ${r.state}`);
    log.info(
      { audit: 'dispatch_cancelled', userId: user.id, tenantId: user.tenant.id, requestId: id },
      'request cancelled',
    );
    await audit.append({
      tenantId: user.tenant.id,
      actor: user.username,
      action: 'dispatch_cancelled',
      target: `dispatch:${id}`,
    });
    const { tenantId: _t, ...view } = (await getRequest(pool, id))!;
    return { request: view };
  });
}
