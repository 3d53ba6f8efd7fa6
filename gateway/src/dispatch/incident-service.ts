/**
 * Incidents and alerts: opened automatically from committed stage changes (incident-triggers.ts) or
 * manually; every step goes into the incident's timeline (as a kind and its parameters, see
 * timeline.ts) and out to the tenant's dashboards; unacknowledged alerts escalate per tenant policy.
 * Each operation is a function of its dependencies, so it can be read and tested on its own;
 * `createIncidentService` binds them.
 */

import { withTransaction } from '@lagebild/db';
import type { IncidentOutcome, IncidentsResponse, LatLng } from '@lagebild/protocol';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { Broadcaster } from './broadcast.ts';
import { AutoIncidentPolicy, incidentTriggerHooks } from './incident-triggers.ts';
import {
  acknowledgeAlert,
  addTimeline,
  alertsOf,
  closeIncident,
  escalateDueAlerts,
  insertAlert,
  insertIncident,
  openIncidents,
  requestsOf,
} from './store.ts';

/**
 * Writes the audit entries of a change inside its transaction (§ 76 BDSG: the change and its entry
 * commit together or not at all); the routes pass `(c) => audit.appendIn(c, [...])`.
 */
export type AuditInTransaction = (client: pg.PoolClient) => Promise<void>;
/** The same for a change that creates its subject: the entry names the new id. */
export type AuditNewInTransaction = (client: pg.PoolClient, id: string) => Promise<void>;

export interface IncidentDeps {
  pool: pg.Pool;
  broadcast: Broadcaster;
  log: Logger;
}

export interface ManualIncident {
  tenantId: string;
  userId: string;
  unitId: string | null;
  deviceId: string | null;
  location: LatLng | null;
  priority: number;
  summary: string;
}

export async function incidentsSnapshot(pool: pg.Pool, tenantId: string): Promise<IncidentsResponse> {
  const [incidents, alerts, requests] = await Promise.all([
    openIncidents(pool, tenantId),
    alertsOf(pool, { tenantId }),
    requestsOf(pool, { tenantId }),
  ]);
  return { incidents, alerts, requests };
}

/** Opens an incident by hand; the other screens learn of it, whoever opened it has seen it. */
export async function openManualIncident(
  { pool, broadcast }: IncidentDeps,
  o: ManualIncident,
  audit: AuditNewInTransaction,
): Promise<string> {
  const { id, alertId } = await withTransaction(pool, async (client) => {
    const { id } = await insertIncident(client, { ...o, kind: 'manual', openedBy: o.userId });
    await addTimeline(client, {
      tenantId: o.tenantId,
      incidentId: id,
      kind: 'opened',
      params: { trigger: 'manual' },
      actorId: o.userId,
      text: o.summary,
    });
    const alertId = await insertAlert(client, o.tenantId, id, 'manual');
    await acknowledgeAlert(client, alertId, o.userId);
    await audit(client, id);
    return { id, alertId };
  });
  void broadcast.incident(id);
  void broadcast.alert(alertId);
  return id;
}

/** An operator's note: free text, kept as typed. */
export async function addIncidentNote(
  { pool, broadcast }: IncidentDeps,
  n: { tenantId: string; incidentId: string; userId: string; text: string },
  audit: AuditInTransaction,
) {
  const entry = await withTransaction(pool, async (client) => {
    const entry = await addTimeline(client, {
      tenantId: n.tenantId,
      incidentId: n.incidentId,
      kind: 'note',
      params: {},
      actorId: n.userId,
      text: n.text,
    });
    await audit(client);
    return entry;
  });
  void broadcast.incident(n.incidentId); // screens showing the incident reload its timeline
  return entry;
}

export async function setIncidentPriority(
  { pool, broadcast }: IncidentDeps,
  p: { tenantId: string; incidentId: string; userId: string; from: number; to: number },
  audit: AuditInTransaction,
): Promise<void> {
  if (p.from === p.to) return;
  await withTransaction(pool, async (client) => {
    await client.query('UPDATE incidents SET priority = $2 WHERE id = $1', [p.incidentId, p.to]);
    await addTimeline(client, {
      tenantId: p.tenantId,
      incidentId: p.incidentId,
      kind: 'priority',
      params: { from: p.from, to: p.to },
      actorId: p.userId,
    });
    await audit(client);
  });
  void broadcast.incident(p.incidentId);
}

/** First acknowledgement wins; false if someone was faster. */
export async function acknowledgeIncidentAlert(
  { pool, broadcast }: IncidentDeps,
  a: { tenantId: string; incidentId: string; alertId: string; userId: string },
  audit: AuditInTransaction,
): Promise<boolean> {
  const won = await withTransaction(pool, async (client) => {
    if (!(await acknowledgeAlert(client, a.alertId, a.userId))) return false;
    await addTimeline(client, {
      tenantId: a.tenantId,
      incidentId: a.incidentId,
      kind: 'alert_acknowledged',
      params: {},
      actorId: a.userId,
    });
    await audit(client);
    return true;
  });
  if (won) void broadcast.alert(a.alertId);
  return won;
}

/** Closes an incident with its outcome; its active requests are cancelled with it. */
export async function closeIncidentWith(
  { pool, broadcast }: IncidentDeps,
  c: { tenantId: string; incidentId: string; userId: string; outcome: IncidentOutcome; note: string },
  audit: AuditInTransaction,
) {
  const r = await withTransaction(pool, async (client) => {
    const r = await closeIncident(client, c.incidentId, c.userId, c.outcome);
    if (r.closed) {
      await addTimeline(client, {
        tenantId: c.tenantId,
        incidentId: c.incidentId,
        kind: 'closed',
        params: { outcome: c.outcome },
        actorId: c.userId,
        text: c.note,
      });
      await audit(client);
    }
    return r;
  });
  if (r.closed) {
    void broadcast.incident(c.incidentId);
    for (const x of r.cancelled) void broadcast.request(x.id);
  }
  return r;
}

/** Escalates alerts past their period; safe to run on every gateway at once. */
export async function escalateAlerts({ pool, broadcast, log }: IncidentDeps): Promise<void> {
  // the new level and its timeline entry commit together: a gateway killed in between must not
  // leave a level without its entry (the fault suite's FLT8 once saw levels [2] without 1)
  const escalated = await withTransaction(pool, async (client) => {
    const due = await escalateDueAlerts(client);
    for (const a of due)
      await addTimeline(client, {
        tenantId: a.tenantId,
        incidentId: a.incidentId,
        kind: 'alert_escalated',
        params: { level: a.level },
        actorId: null,
      });
    return due;
  });
  for (const a of escalated) {
    log.warn({ alertId: a.id, tenantId: a.tenantId, level: a.level }, 'alert escalated');
    void broadcast.alert(a.id);
  }
}

export function createIncidentService(deps: IncidentDeps) {
  const policy = new AutoIncidentPolicy();
  return {
    hooks: incidentTriggerHooks(policy, deps.broadcast),
    /** forgets the cached `auto_incident_on` of a tenant, so the next trigger reads the new one */
    invalidatePolicy: (tenantId: string): void => policy.invalidate(tenantId),
    snapshot: (tenantId: string) => incidentsSnapshot(deps.pool, tenantId),
    openManual: (o: ManualIncident, audit: AuditNewInTransaction) => openManualIncident(deps, o, audit),
    note: (tenantId: string, incidentId: string, userId: string, text: string, audit: AuditInTransaction) =>
      addIncidentNote(deps, { tenantId, incidentId, userId, text }, audit),
    setPriority: (
      tenantId: string,
      incidentId: string,
      userId: string,
      from: number,
      to: number,
      audit: AuditInTransaction,
    ) => setIncidentPriority(deps, { tenantId, incidentId, userId, from, to }, audit),
    acknowledge: (
      tenantId: string,
      incidentId: string,
      alertId: string,
      userId: string,
      audit: AuditInTransaction,
    ) => acknowledgeIncidentAlert(deps, { tenantId, incidentId, alertId, userId }, audit),
    close: (
      tenantId: string,
      incidentId: string,
      userId: string,
      outcome: IncidentOutcome,
      note: string,
      audit: AuditInTransaction,
    ) => closeIncidentWith(deps, { tenantId, incidentId, userId, outcome, note }, audit),
    sweep: () => escalateAlerts(deps),
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
