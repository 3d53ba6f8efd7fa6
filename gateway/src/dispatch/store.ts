/**
 * SQL for incidents, their timeline, alerts and dispatch requests, returning the protocol's view of
 * each. Conditional UPDATEs (state in the WHERE clause) make concurrent gateways safe: whoever
 * updates first wins, the others get no row back.
 */
import type {
  Alert,
  DispatchRequest,
  DispatchState,
  Incident,
  IncidentKind,
  IncidentOutcome,
  LatLng,
  TimelineEntry,
  TimelineEvent,
} from '@lagebild/protocol';
import type pg from 'pg';
import { ACTIVE_STATES, sourcesOf } from './request-state.ts';

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const ms = (d: Date | null) => (d ? d.getTime() : null);

const INCIDENT_SELECT = `
  SELECT i.*, u.callsign, ob.display_name AS opened_by_name, cb.display_name AS closed_by_name
    FROM incidents i
    LEFT JOIN units u ON u.id = i.unit_id
    LEFT JOIN users ob ON ob.id = i.opened_by
    LEFT JOIN users cb ON cb.id = i.closed_by`;

function toIncident(r: Record<string, never>): Incident {
  const row = r as Record<string, unknown>;
  return {
    id: row.id as string,
    number: row.number as string,
    kind: row.kind as IncidentKind,
    status: row.status as Incident['status'],
    priority: Number(row.priority),
    unitId: (row.unit_id as string | null) ?? null,
    deviceId: (row.device_id as string | null) ?? null,
    callsign: (row.callsign as string | null) ?? null,
    location:
      row.lat === null || row.lng === null ? null : { lat: row.lat as number, lng: row.lng as number },
    openedAt: (row.opened_at as Date).getTime(),
    openedBy: (row.opened_by_name as string | null) ?? null,
    closedAt: ms(row.closed_at as Date | null),
    closedBy: (row.closed_by_name as string | null) ?? null,
    outcome: (row.outcome as IncidentOutcome | null) ?? null,
    summary: row.summary as string,
  };
}

const ALERT_SELECT = `
  SELECT a.*, u.callsign, ab.display_name AS acknowledged_by_name
    FROM alerts a
    JOIN incidents i ON i.id = a.incident_id
    LEFT JOIN units u ON u.id = i.unit_id
    LEFT JOIN users ab ON ab.id = a.acknowledged_by`;

function toAlert(r: Record<string, unknown>): Alert {
  return {
    id: r.id as string,
    incidentId: r.incident_id as string,
    kind: r.kind as IncidentKind,
    callsign: (r.callsign as string | null) ?? null,
    raisedAt: (r.raised_at as Date).getTime(),
    acknowledgedAt: ms(r.acknowledged_at as Date | null),
    acknowledgedBy: (r.acknowledged_by_name as string | null) ?? null,
    escalationLevel: r.escalation_level as number,
  };
}

const REQUEST_SELECT = `
  SELECT d.*, u.callsign, rb.display_name AS requested_by_name
    FROM dispatch_requests d
    JOIN units u ON u.id = d.unit_id
    JOIN users rb ON rb.id = d.requested_by`;

function toRequest(r: Record<string, unknown>): DispatchRequest {
  return {
    id: r.id as string,
    incidentId: r.incident_id as string,
    unitId: r.unit_id as string,
    deviceId: r.device_id as string,
    callsign: r.callsign as string,
    state: r.state as DispatchState,
    requestedBy: r.requested_by_name as string,
    createdAt: (r.created_at as Date).getTime(),
    updatedAt: (r.updated_at as Date).getTime(),
    distanceM: Math.round(r.distance_m as number),
    etaS: Math.round(r.eta_s as number),
    mode: r.mode as DispatchRequest['mode'],
    declineReason: (r.decline_reason as string | null) ?? null,
  };
}

export async function getIncident(
  db: Queryable,
  id: string,
): Promise<(Incident & { tenantId: string }) | null> {
  const { rows } = await db.query(`${INCIDENT_SELECT} WHERE i.id = $1`, [id]);
  const r = rows[0];
  return r ? { ...toIncident(r), tenantId: r.tenant_id } : null;
}

export async function openIncidents(db: Queryable, tenantId: string): Promise<Incident[]> {
  const { rows } = await db.query(
    `${INCIDENT_SELECT} WHERE i.tenant_id = $1 AND i.status = 'open' ORDER BY i.priority, i.opened_at`,
    [tenantId],
  );
  return rows.map(toIncident);
}

export async function alertsOf(
  db: Queryable,
  where: { tenantId: string } | { incidentId: string },
): Promise<Alert[]> {
  const { rows } =
    'incidentId' in where
      ? await db.query(`${ALERT_SELECT} WHERE a.incident_id = $1 ORDER BY a.raised_at`, [where.incidentId])
      : await db.query(`${ALERT_SELECT} WHERE a.tenant_id = $1 AND i.status = 'open' ORDER BY a.raised_at`, [
          where.tenantId,
        ]);
  return rows.map(toAlert);
}

export async function requestsOf(
  db: Queryable,
  where: { tenantId: string } | { incidentId: string },
): Promise<DispatchRequest[]> {
  const { rows } =
    'incidentId' in where
      ? await db.query(`${REQUEST_SELECT} WHERE d.incident_id = $1 ORDER BY d.created_at`, [where.incidentId])
      : await db.query(
          `${REQUEST_SELECT} JOIN incidents i ON i.id = d.incident_id WHERE d.tenant_id = $1 AND i.status = 'open' ORDER BY d.created_at`,
          [where.tenantId],
        );
  return rows.map(toRequest);
}

export async function getRequest(
  db: Queryable,
  id: string,
): Promise<(DispatchRequest & { tenantId: string }) | null> {
  const { rows } = await db.query(`${REQUEST_SELECT} WHERE d.id = $1`, [id]);
  return rows[0] ? { ...toRequest(rows[0]), tenantId: rows[0].tenant_id } : null;
}

export async function getAlert(db: Queryable, id: string): Promise<(Alert & { tenantId: string }) | null> {
  const { rows } = await db.query(`${ALERT_SELECT} WHERE a.id = $1`, [id]);
  return rows[0] ? { ...toAlert(rows[0]), tenantId: rows[0].tenant_id } : null;
}

const TIMELINE_SELECT = `SELECT e.*, u.display_name AS actor_name`;

function toTimelineEntry(r: Record<string, unknown>): TimelineEntry {
  return {
    id: Number(r.id),
    incidentId: r.incident_id as string,
    at: (r.at as Date).getTime(),
    kind: r.kind,
    actor: (r.actor_name as string | null) ?? null,
    // NULL on entries written before migration 0010: their sentence is in `text`
    params: r.params ?? null,
    text: r.text as string,
  } as TimelineEntry;
}

export async function timelineOf(db: Queryable, incidentId: string): Promise<TimelineEntry[]> {
  const { rows } = await db.query(
    `${TIMELINE_SELECT} FROM incident_events e LEFT JOIN users u ON u.id = e.actor_id
      WHERE e.incident_id = $1 ORDER BY e.id`,
    [incidentId],
  );
  return rows.map(toTimelineEntry);
}

/** A new timeline entry: its kind and parameters, and `text` only for what a person typed. */
export type NewTimelineEntry = TimelineEvent & {
  tenantId: string;
  incidentId: string;
  actorId: string | null;
  text?: string;
};

export async function addTimeline(db: Queryable, e: NewTimelineEntry): Promise<TimelineEntry> {
  const { rows } = await db.query(
    `WITH ins AS (INSERT INTO incident_events (tenant_id, incident_id, kind, actor_id, params, text)
                  VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
     ${TIMELINE_SELECT} FROM ins e LEFT JOIN users u ON u.id = e.actor_id`,
    [e.tenantId, e.incidentId, e.kind, e.actorId, JSON.stringify(e.params), e.text ?? ''],
  );
  return toTimelineEntry(rows[0]);
}

/** Next incident number of the tenant for the current year, e.g. 2026-0042 (locks the counter row). */
async function nextNumber(db: Queryable, tenantId: string): Promise<string> {
  const year = new Date().getUTCFullYear();
  const { rows } = await db.query(
    `INSERT INTO incident_counters (tenant_id, year, last) VALUES ($1, $2, 1)
     ON CONFLICT (tenant_id, year) DO UPDATE SET last = incident_counters.last + 1 RETURNING last`,
    [tenantId, year],
  );
  return `${year}-${String(rows[0].last).padStart(4, '0')}`;
}

export interface NewIncident {
  tenantId: string;
  kind: IncidentKind;
  priority: number;
  unitId: string | null;
  deviceId: string | null;
  location: LatLng | null;
  summary: string;
  openedBy: string | null;
}

/**
 * Opens an incident. For automatic kinds, a unit with an open automatic incident gets no second
 * one: returns { created: false, id } of the existing incident instead.
 */
export async function insertIncident(
  db: Queryable,
  n: NewIncident,
): Promise<{ created: boolean; id: string }> {
  if (n.kind !== 'manual' && n.deviceId) {
    const existing = await db.query(
      `SELECT id FROM incidents WHERE device_id = $1 AND status = 'open' AND kind <> 'manual'`,
      [n.deviceId],
    );
    if (existing.rows[0]) return { created: false, id: existing.rows[0].id };
  }
  const number = await nextNumber(db, n.tenantId);
  const { rows } = await db.query(
    `INSERT INTO incidents (tenant_id, number, kind, priority, unit_id, device_id, lat, lng, summary, opened_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (device_id) WHERE status = 'open' AND kind <> 'manual' DO NOTHING
     RETURNING id`,
    [
      n.tenantId,
      number,
      n.kind,
      n.priority,
      n.unitId,
      n.deviceId,
      n.location?.lat ?? null,
      n.location?.lng ?? null,
      n.summary,
      n.openedBy,
    ],
  );
  if (rows[0]) return { created: true, id: rows[0].id };
  const again = await db.query(
    `SELECT id FROM incidents WHERE device_id = $1 AND status = 'open' AND kind <> 'manual'`,
    [n.deviceId],
  );
  return { created: false, id: again.rows[0].id };
}

export async function insertAlert(
  db: Queryable,
  tenantId: string,
  incidentId: string,
  kind: IncidentKind,
): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO alerts (tenant_id, incident_id, kind) VALUES ($1, $2, $3) RETURNING id`,
    [tenantId, incidentId, kind],
  );
  return rows[0].id;
}

/** First acknowledgement wins; returns false if someone was faster. */
export async function acknowledgeAlert(db: Queryable, alertId: string, userId: string): Promise<boolean> {
  const r = await db.query(
    `UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $2 WHERE id = $1 AND acknowledged_at IS NULL`,
    [alertId, userId],
  );
  return r.rowCount === 1;
}

/** Alerts whose escalation period (per tenant) passed unacknowledged: each escalates once per period. */
export async function escalateDueAlerts(
  db: Queryable,
): Promise<Array<{ id: string; tenantId: string; incidentId: string; level: number }>> {
  const { rows } = await db.query(
    `UPDATE alerts a SET escalation_level = a.escalation_level + 1, escalated_at = now()
       FROM tenants t, incidents i
      WHERE t.id = a.tenant_id AND i.id = a.incident_id AND i.status = 'open'
        AND a.acknowledged_at IS NULL
        AND now() - COALESCE(a.escalated_at, a.raised_at) >= make_interval(secs => t.alert_escalate_after_s)
      RETURNING a.id, a.tenant_id, a.incident_id, a.escalation_level`,
  );
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    incidentId: r.incident_id,
    level: r.escalation_level,
  }));
}

export interface NewRequest {
  tenantId: string;
  incidentId: string;
  unitId: string;
  deviceId: string;
  requestedBy: string;
  expiresInS: number;
  distanceM: number;
  etaS: number;
  mode: string;
  note: string;
}

/** Inserts a request; null when the unit already has an active request (another supervisor won). */
export async function insertRequest(db: Queryable, n: NewRequest): Promise<string | null> {
  try {
    const { rows } = await db.query(
      `INSERT INTO dispatch_requests (tenant_id, incident_id, unit_id, device_id, requested_by, expires_at, distance_m, eta_s, mode, note)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7, $8, $9, $10) RETURNING id`,
      [
        n.tenantId,
        n.incidentId,
        n.unitId,
        n.deviceId,
        n.requestedBy,
        n.expiresInS,
        n.distanceM,
        n.etaS,
        n.mode,
        n.note,
      ],
    );
    return rows[0].id;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return null; // dispatch_requests_one_active_per_unit
    throw err;
  }
}

/** Moves a request to `to` if the state machine allows it from its current state. */
export async function transitionRequest(
  db: Queryable,
  id: string,
  to: DispatchState,
  extra: { declineReason?: string | null; deviceId?: string; unexpiredOnly?: boolean } = {},
): Promise<boolean> {
  const params: unknown[] = [id, to, sourcesOf(to), extra.declineReason ?? null];
  let where = `id = $1 AND state = ANY($3::"DispatchState"[])`;
  if (extra.deviceId) {
    params.push(extra.deviceId);
    where += ` AND device_id = $${params.length}`;
  }
  if (extra.unexpiredOnly) where += ' AND expires_at > now()';
  const r = await db.query(
    `UPDATE dispatch_requests SET state = $2, updated_at = now(), decline_reason = COALESCE($4, decline_reason) WHERE ${where}`,
    params,
  );
  return r.rowCount === 1;
}

export async function expireDueRequests(
  db: Queryable,
): Promise<Array<{ id: string; tenantId: string; deviceId: string }>> {
  const { rows } = await db.query(
    `UPDATE dispatch_requests SET state = 'timeout', updated_at = now()
      WHERE state IN ('sent', 'delivered') AND expires_at <= now()
      RETURNING id, tenant_id, device_id`,
  );
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, deviceId: r.device_id }));
}

/** Units that are not free: an active request, or on scene at an incident that is still open. */
export async function busyUnitIds(db: Queryable, tenantId: string): Promise<Set<string>> {
  const { rows } = await db.query(
    `SELECT d.unit_id FROM dispatch_requests d JOIN incidents i ON i.id = d.incident_id
      WHERE d.tenant_id = $1
        AND (d.state = ANY($2::"DispatchState"[]) OR (d.state = 'on_scene' AND i.status = 'open'))`,
    [tenantId, ACTIVE_STATES],
  );
  return new Set(rows.map((r) => r.unit_id));
}

export async function troubledDeviceIds(
  db: Queryable,
  tenantId: string,
  exceptIncidentId: string,
): Promise<Set<string>> {
  const { rows } = await db.query(
    `SELECT device_id FROM incidents WHERE tenant_id = $1 AND status = 'open' AND device_id IS NOT NULL AND id <> $2`,
    [tenantId, exceptIncidentId],
  );
  return new Set(rows.map((r) => r.device_id));
}

/** Active requests addressed to a device (delivered on connect, tracked for arrival). */
export async function activeRequestsForDevice(db: Queryable, deviceId: string) {
  const { rows } = await db.query(
    `SELECT d.id, d.state, d.incident_id, d.expires_at, d.note, i.number, i.priority, i.device_id AS subject_device_id,
            i.lat, i.lng, u.callsign AS subject_callsign
       FROM dispatch_requests d JOIN incidents i ON i.id = d.incident_id LEFT JOIN units u ON u.id = i.unit_id
      WHERE d.device_id = $1 AND d.state = ANY($2::"DispatchState"[]) AND i.status = 'open'`,
    [deviceId, ACTIVE_STATES],
  );
  return rows as Array<{
    id: string;
    state: DispatchState;
    incident_id: string;
    expires_at: Date;
    note: string;
    number: string;
    priority: number;
    subject_device_id: string | null;
    lat: number | null;
    lng: number | null;
    subject_callsign: string | null;
  }>;
}

export async function closeIncident(
  db: Queryable,
  id: string,
  userId: string,
  outcome: IncidentOutcome,
): Promise<{ closed: boolean; cancelled: Array<{ id: string; deviceId: string }> }> {
  const r = await db.query(
    `UPDATE incidents SET status = 'closed', closed_at = now(), closed_by = $2, outcome = $3 WHERE id = $1 AND status = 'open'`,
    [id, userId, outcome],
  );
  if (r.rowCount !== 1) return { closed: false, cancelled: [] };
  const { rows } = await db.query(
    `UPDATE dispatch_requests SET state = 'cancelled', updated_at = now()
      WHERE incident_id = $1 AND state = ANY($2::"DispatchState"[]) RETURNING id, device_id`,
    [id, ACTIVE_STATES],
  );
  return { closed: true, cancelled: rows.map((x) => ({ id: x.id, deviceId: x.device_id })) };
}
