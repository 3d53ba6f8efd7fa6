/**
 * Incidents opened automatically from committed stage changes (emergency pressed, recording started,
 * as the tenant's policy says). Runs inside the status persister's transaction, so a change opens
 * its incident exactly once; what the screens must hear of is returned and broadcast after commit.
 * The decisions themselves are pure (timeline.ts); this file does the SQL around them.
 */
import type { LatLng } from '@lagebild/protocol';
import type pg from 'pg';
import type { PersistedChange, StageChangeHooks } from '../live/status-persister.ts';
import type { Broadcaster } from './broadcast.ts';
import { addTimeline, insertAlert, insertIncident, type Queryable } from './store.ts';
import { priorityOfTrigger, stageChangeEntry, triggerOf, triggerOutcome } from './timeline.ts';

/** What the screens must be told of once the transaction committed. */
export interface Effect {
  incidentId?: string;
  alertId?: string;
}

/**
 * Each tenant's `auto_incident_on`, cached for 30 s at most; a change on the policies screen also
 * clears it on every gateway (Redis pub/sub → `invalidate`).
 */
export class AutoIncidentPolicy {
  static readonly maxAgeMs = 30_000;
  readonly #cache = new Map<string, { autoOn: string[]; at: number }>();

  async kinds(db: Queryable, tenantId: string, nowMs = Date.now()): Promise<string[]> {
    const hit = this.#cache.get(tenantId);
    if (hit && nowMs - hit.at < AutoIncidentPolicy.maxAgeMs) return hit.autoOn;
    const { rows } = await db.query('SELECT auto_incident_on FROM tenants WHERE id = $1', [tenantId]);
    const autoOn = (rows[0]?.auto_incident_on as string[] | undefined) ?? [];
    this.#cache.set(tenantId, { autoOn, at: nowMs });
    return autoOn;
  }

  invalidate(tenantId: string): void {
    this.#cache.delete(tenantId);
  }
}

function locationOf(c: PersistedChange): LatLng | null {
  const p = c.rec.status.position;
  return p ? { lat: p.lat, lng: p.lng } : null;
}

/** Opens the unit's incident for a trigger (or finds its open one) and records what happened. */
async function openAutoIncident(
  client: pg.PoolClient,
  c: PersistedChange,
  kind: NonNullable<ReturnType<typeof triggerOf>>,
): Promise<Effect> {
  const { tenantId, deviceId, unitId } = c.rec;
  const { created, id } = await insertIncident(client, {
    tenantId,
    kind,
    priority: priorityOfTrigger(kind),
    unitId,
    deviceId,
    location: locationOf(c),
    summary: '',
    openedBy: null,
  });
  const outcome = triggerOutcome(kind, created);
  if (outcome.raiseToEmergency)
    await client.query('UPDATE incidents SET priority = 1, kind = $2 WHERE id = $1', [id, 'emergency']);
  const alertId = outcome.raiseAlert ? await insertAlert(client, tenantId, id, kind) : undefined;
  for (const entry of outcome.entries)
    await addTimeline(client, { ...entry, tenantId, incidentId: id, actorId: null });
  return { incidentId: id, alertId };
}

/** Any other change of a unit in trouble goes into its open incidents, which follow its position. */
async function followOpenIncidents(client: pg.PoolClient, c: PersistedChange): Promise<Effect[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM incidents WHERE device_id = $1 AND status = 'open'`,
    [c.rec.deviceId],
  );
  const location = locationOf(c);
  const effects: Effect[] = [];
  for (const r of rows) {
    await addTimeline(client, {
      ...stageChangeEntry(c),
      tenantId: c.rec.tenantId,
      incidentId: r.id,
      actorId: null,
    });
    if (location)
      await client.query('UPDATE incidents SET lat = $2, lng = $3 WHERE id = $1', [
        r.id,
        location.lat,
        location.lng,
      ]);
    effects.push({ incidentId: r.id });
  }
  return effects;
}

/** The status persister's hooks: incidents open in the commit of their stage change. */
export function incidentTriggerHooks(
  policy: AutoIncidentPolicy,
  broadcast: Broadcaster,
): StageChangeHooks<Effect> {
  return {
    async inTransaction(client, changes) {
      const effects: Effect[] = [];
      for (const c of changes) {
        const kind = triggerOf(c);
        if (kind && (await policy.kinds(client, c.rec.tenantId)).includes(kind))
          effects.push(await openAutoIncident(client, c, kind));
        else effects.push(...(await followOpenIncidents(client, c)));
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
}
