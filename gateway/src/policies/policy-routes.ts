/**
 * Per-tenant policies over HTTP (administration): retention period, pre-recording, which events open
 * an incident by themselves, alert escalation, the answer time of a dispatch request. Admins only,
 * always their own tenant (from the session). A change is written in one transaction with its audit
 * entry (old and new values, required reason). Shortening the retention period moves the deletion
 * time of existing standard recordings forward at once (`lagebild_shorten_retention`, migration
 * 0008) and re-wraps their data keys under the key of their new deletion day in the same
 * transaction (issue 13, rule KC3: no backup outlives the new day); lengthening applies to new recordings only — keeping an existing one longer is the
 * four-eyes extension. Every gateway reads the policies from the database when it needs them; the
 * one cache (`auto_incident_on`, 30 s) is cleared through `onChanged` on every gateway.
 */

import { type Db, withTransaction } from '@lagebild/db';
import {
  POLICY_NAMES,
  PoliciesResponse,
  PoliciesUpdateResponse,
  type PolicyChange,
  type TenantPolicies,
  TenantPoliciesUpdate,
} from '@lagebild/protocol';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import type { Route } from '../http/route.ts';
import type { Logger } from '../logger.ts';
import type { RecordingAccess } from '../recordings/recording-access.ts';
import { rewrapShortened } from '../recordings/rewrap-kept.ts';

/** Redis pub/sub channel: the id of a tenant whose policies changed. */
export const POLICY_CHANNEL = 'lb:policy';

const SELECT_POLICIES = `SELECT retention_days, prerecord_s, auto_incident_on, alert_escalate_after_s,
       dispatch_answer_timeout_s FROM tenants WHERE id = $1`;

const COLUMN: Record<keyof TenantPolicies, string> = {
  retentionDays: 'retention_days',
  prerecordS: 'prerecord_s',
  autoIncidentOn: 'auto_incident_on',
  alertEscalateAfterS: 'alert_escalate_after_s',
  dispatchAnswerTimeoutS: 'dispatch_answer_timeout_s',
};

type Queryable = Pick<pg.PoolClient, 'query'>;

function toPolicies(r: Record<string, unknown>): TenantPolicies {
  const on = (r.auto_incident_on as string[] | null) ?? [];
  return {
    retentionDays: Number(r.retention_days),
    prerecordS: Number(r.prerecord_s),
    // a fixed order, so the screen and the audit entry compare arrays as sets
    autoIncidentOn: (['emergency', 'recording'] as const).filter((k) => on.includes(k)),
    alertEscalateAfterS: Number(r.alert_escalate_after_s),
    dispatchAnswerTimeoutS: Number(r.dispatch_answer_timeout_s),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface PolicyRouteDeps {
  route: Route;
  db: Db;
  redis: Redis;
  audit: AuditLog;
  log: Logger;
  /** the vault, to re-wrap the recordings a shorter retention period moves to an earlier day */
  access: Pick<RecordingAccess, 'requireVault'>;
  /** clears this gateway's cached policies of a tenant (the others hear it on POLICY_CHANNEL) */
  onChanged(tenantId: string): void;
}

export function registerPolicyRoutes({
  route,
  db,
  audit,
  redis,
  log,
  access,
  onChanged,
}: PolicyRouteDeps): void {
  const pool = db.pool;

  async function lastChange(q: Queryable, tenantId: string): Promise<PolicyChange | null> {
    const { rows } = await q.query(
      `SELECT at, actor, reason FROM audit_log WHERE target = $1 AND action = 'policy_changed'
        ORDER BY seq DESC LIMIT 1`,
      [`tenant:${tenantId}`],
    );
    const r = rows[0];
    return r ? { at: r.at.getTime(), actor: r.actor, reason: r.reason } : null;
  }

  const read = {
    method: 'GET',
    url: '/api/admin/policies',
    access: ['admin'],
    summary: "The tenant's policies and their last change",
    response: PoliciesResponse,
  } as const;
  route(read, async ({ user }) => {
    const { rows } = await pool.query(SELECT_POLICIES, [user.tenant.id]);
    return { policies: toPolicies(rows[0]), lastChange: await lastChange(pool, user.tenant.id) };
  });

  const update = {
    method: 'PUT',
    url: '/api/admin/policies',
    access: ['admin'],
    summary: "Changes the tenant's policies with a reason (audited with old and new values)",
    body: TenantPoliciesUpdate,
    response: PoliciesUpdateResponse,
  } as const;
  route(update, async ({ user, body }) => {
    const tenantId = user.tenant.id;
    const result = await withTransaction(pool, async (c): Promise<PoliciesUpdateResponse> => {
      // the row lock orders concurrent changes, so each audit entry's "old" is what it replaced
      const { rows } = await c.query(`${SELECT_POLICIES} FOR UPDATE`, [tenantId]);
      const before = toPolicies(rows[0]);
      const after: TenantPolicies = { ...before };
      for (const k of POLICY_NAMES) {
        const v = body[k];
        if (v !== undefined) (after as Record<string, unknown>)[k] = v;
      }
      after.autoIncidentOn = toPolicies({ auto_incident_on: after.autoIncidentOn }).autoIncidentOn;
      const changed = POLICY_NAMES.filter((k) => !same(before[k], after[k]));
      let recordingsShortened = 0;
      let recordingsRewrapped = 0;
      if (changed.length > 0) {
        const sets = changed.map((k, i) => `${COLUMN[k]} = $${i + 2}`);
        await c.query(`UPDATE tenants SET ${sets.join(', ')} WHERE id = $1`, [
          tenantId,
          ...changed.map((k) => after[k]),
        ]);
        if (after.retentionDays < before.retentionDays) {
          const r = await c.query('SELECT lagebild_shorten_retention($1, $2) AS n', [
            tenantId,
            after.retentionDays,
          ]);
          recordingsShortened = Number(r.rows[0].n);
          recordingsRewrapped = await rewrapShortened(c, access, audit, {
            tenantId,
            actor: actorOf(user),
            reason: body.reason,
          });
        }
        await audit.appendIn(c, [
          {
            tenantId,
            actor: actorOf(user),
            action: 'policy_changed',
            target: `tenant:${tenantId}`,
            reason: body.reason,
            payload: {
              old: Object.fromEntries(changed.map((k) => [k, before[k]])),
              new: Object.fromEntries(changed.map((k) => [k, after[k]])),
              recordingsShortened,
              // a shortening re-wraps what it moved to an earlier day (issue 13)
              ...(after.retentionDays < before.retentionDays ? { recordingsRewrapped } : {}),
            },
          },
        ]);
      }
      return {
        policies: after,
        lastChange: await lastChange(c, tenantId),
        changed,
        recordingsShortened,
      };
    });
    if (result.changed.length > 0) {
      onChanged(tenantId);
      redis.publish(POLICY_CHANNEL, tenantId).catch((err) => {
        // the other gateways still pick it up within their 30 s cache period
        log.warn({ err, tenantId }, 'policy change could not be announced');
      });
    }
    return result;
  });
}
