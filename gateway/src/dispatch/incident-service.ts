/**
 * Incidents and alerts: opened automatically from committed stage changes (emergency pressed,
 * recording started — as the tenant's policy says) or manually; every step goes into the incident's
 * timeline and out to the tenant's dashboards; unacknowledged alerts escalate per tenant policy.
 */

import { withTransaction } from '@lagebild/db';
import type { IncidentKind, IncidentOutcome, IncidentsResponse, LatLng } from '@lagebild/protocol';
import type pg from 'pg';
import type { PersistedChange, StageChangeHooks } from '../live/status-persister.ts';
import type { Logger } from '../logger.ts';
import type { Broadcaster } from './broadcast.ts';
import {
  acknowledgeAlert,
  addTimeline,
  alertsOf,
  closeIncident,
  escalateDueAlerts,
  insertAlert,
  insertIncident,
  openIncidents,
  type Queryable,
  requestsOf,
} from './store.ts';

const STAGE_TEXT = { standby: 'Bereitschaft', display: 'Display an', recording: 'Aufzeichnung' } as const;

/**
 * Writes the audit entries of a change inside its transaction (§ 76 BDSG: the change and its entry
 * commit together or not at all); the routes pass `(c) => audit.appendIn(c, [...])`.
 */
export type AuditInTransaction = (client: pg.PoolClient) => Promise<void>;

export interface Effect {
  incidentId?: string;
  alertId?: string;
}

/** Which automatic incident a committed change triggers, if any. */
export function triggerOf(c: PersistedChange): IncidentKind | null {
  const s = c.rec.status;
  if (s.emergency && !c.from?.emergency) return 'emergency';
  if (s.stage === 'recording' && c.from?.stage !== 'recording') return 'recording';
  return null;
}

export function createIncidentService(deps: { pool: pg.Pool; broadcast: Broadcaster; log: Logger }) {
  const { pool, broadcast, log } = deps;
  // 30 s at most; a change on the policies screen also clears it on every gateway (Redis pub/sub)
  const policyCache = new Map<string, { autoOn: string[]; at: number }>();

  async function autoOpenKinds(db: Queryable, tenantId: string): Promise<string[]> {
    const hit = policyCache.get(tenantId);
    if (hit && Date.now() - hit.at < 30_000) return hit.autoOn;
    const { rows } = await db.query('SELECT auto_incident_on FROM tenants WHERE id = $1', [tenantId]);
    const autoOn = (rows[0]?.auto_incident_on as string[] | undefined) ?? [];
    policyCache.set(tenantId, { autoOn, at: Date.now() });
    return autoOn;
  }

  const hooks: StageChangeHooks<Effect> = {
    async inTransaction(client, changes) {
      const effects: Effect[] = [];
      for (const c of changes) {
        const { tenantId, deviceId, unitId, status } = c.rec;
        const kind = triggerOf(c);
        const location: LatLng | null = status.position
          ? { lat: status.position.lat, lng: status.position.lng }
          : null;
        if (kind && (await autoOpenKinds(client, tenantId)).includes(kind)) {
          const { created, id } = await insertIncident(client, {
            tenantId,
            kind,
            priority: kind === 'emergency' ? 1 : 2,
            unitId,
            deviceId,
            location,
            summary: '',
            openedBy: null,
          });
          if (created) {
            await addTimeline(client, {
              tenantId,
              incidentId: id,
              kind: 'opened',
              actorId: null,
              text: kind === 'emergency' ? 'Notruf ausgelöst' : 'Aufzeichnung gestartet',
            });
          } else if (kind === 'emergency') {
            await client.query('UPDATE incidents SET priority = 1, kind = $2 WHERE id = $1', [
              id,
              'emergency',
            ]);
            await addTimeline(client, {
              tenantId,
              incidentId: id,
              kind: 'priority',
              actorId: null,
              text: 'Notruf ausgelöst: Priorität 1',
            });
          }
          const alertId =
            created || kind === 'emergency' ? await insertAlert(client, tenantId, id, kind) : undefined;
          if (alertId)
            await addTimeline(client, {
              tenantId,
              incidentId: id,
              kind: 'alert_raised',
              actorId: null,
              text: `Alarm: ${kind}`,
            });
          effects.push({ incidentId: id, alertId });
          continue;
        }
        // other changes of a unit in trouble go into its incident's timeline
        const { rows } = await client.query(
          `SELECT id FROM incidents WHERE device_id = $1 AND status = 'open'`,
          [deviceId],
        );
        for (const r of rows) {
          const text =
            c.from?.emergency && !status.emergency ? 'Notruf beendet' : `Stufe: ${STAGE_TEXT[status.stage]}`;
          await addTimeline(client, {
            tenantId,
            incidentId: r.id,
            kind: 'stage_change',
            actorId: null,
            text,
          });
          if (location)
            await client.query('UPDATE incidents SET lat = $2, lng = $3 WHERE id = $1', [
              r.id,
              location.lat,
              location.lng,
            ]);
          effects.push({ incidentId: r.id });
        }
      }
      return effects;
    },
    afterCommit(effects) {
      for (const e of effects) {
        if (e.incidentId) void broadcast.incident(e.incidentId);
        if (e.alertId) void broadcast.alert(e.alertId);
      }
    },
  };

  return {
    hooks,
    /** forgets the cached `auto_incident_on` of a tenant, so the next trigger reads the new one */
    invalidatePolicy(tenantId: string): void {
      policyCache.delete(tenantId);
    },

    async snapshot(tenantId: string): Promise<IncidentsResponse> {
      const [incidents, alerts, requests] = await Promise.all([
        openIncidents(pool, tenantId),
        alertsOf(pool, { tenantId }),
        requestsOf(pool, { tenantId }),
      ]);
      return { incidents, alerts, requests };
    },

    async openManual(o: {
      tenantId: string;
      userId: string;
      unitId: string | null;
      deviceId: string | null;
      location: LatLng | null;
      priority: number;
      summary: string;
    }): Promise<string> {
      const { id, alertId } = await withTransaction(pool, async (client) => {
        const { id } = await insertIncident(client, { ...o, kind: 'manual', openedBy: o.userId });
        await addTimeline(client, {
          tenantId: o.tenantId,
          incidentId: id,
          kind: 'opened',
          actorId: o.userId,
          text: o.summary || 'Einsatz angelegt',
        });
        // the other screens learn of it; whoever opened it has seen it
        const alertId = await insertAlert(client, o.tenantId, id, 'manual');
        await acknowledgeAlert(client, alertId, o.userId);
        return { id, alertId };
      });
      void broadcast.incident(id);
      void broadcast.alert(alertId);
      return id;
    },

    async note(
      tenantId: string,
      incidentId: string,
      userId: string,
      text: string,
      audit: AuditInTransaction,
    ) {
      const entry = await withTransaction(pool, async (client) => {
        const entry = await addTimeline(client, {
          tenantId,
          incidentId,
          kind: 'note',
          actorId: userId,
          text,
        });
        await audit(client);
        return entry;
      });
      void broadcast.incident(incidentId); // screens showing the incident reload its timeline
      return entry;
    },

    async setPriority(
      tenantId: string,
      incidentId: string,
      userId: string,
      from: number,
      to: number,
      audit: AuditInTransaction,
    ) {
      if (from === to) return;
      await withTransaction(pool, async (client) => {
        await client.query('UPDATE incidents SET priority = $2 WHERE id = $1', [incidentId, to]);
        await addTimeline(client, {
          tenantId,
          incidentId,
          kind: 'priority',
          actorId: userId,
          text: `Priorität ${from} → ${to}`,
        });
        await audit(client);
      });
      void broadcast.incident(incidentId);
    },

    async acknowledge(
      tenantId: string,
      incidentId: string,
      alertId: string,
      userId: string,
    ): Promise<boolean> {
      const won = await acknowledgeAlert(pool, alertId, userId);
      if (won) {
        await addTimeline(pool, {
          tenantId,
          incidentId,
          kind: 'alert_acknowledged',
          actorId: userId,
          text: 'Alarm quittiert',
        });
        void broadcast.alert(alertId);
      }
      return won;
    },

    async close(
      tenantId: string,
      incidentId: string,
      userId: string,
      outcome: IncidentOutcome,
      note: string,
    ) {
      const r = await withTransaction(pool, async (client) => {
        const r = await closeIncident(client, incidentId, userId, outcome);
        if (r.closed) {
          const text = note ? `${outcome}: ${note}` : outcome;
          await addTimeline(client, { tenantId, incidentId, kind: 'closed', actorId: userId, text });
        }
        return r;
      });
      if (r.closed) {
        void broadcast.incident(incidentId);
        for (const c of r.cancelled) void broadcast.request(c.id);
      }
      return r;
    },

    /** Escalates alerts past their period; safe to run on every gateway at once. */
    async sweep(): Promise<void> {
      for (const a of await escalateDueAlerts(pool)) {
        await addTimeline(pool, {
          tenantId: a.tenantId,
          incidentId: a.incidentId,
          kind: 'alert_escalated',
          actorId: null,
          text: `Alarm nicht quittiert: Eskalationsstufe ${a.level}`,
        });
        log.warn({ alertId: a.id, tenantId: a.tenantId, level: a.level }, 'alert escalated');
        void broadcast.alert(a.id);
      }
    },
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
