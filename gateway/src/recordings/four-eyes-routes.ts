/**
 * Four-eyes requests on recordings over HTTP: an extension, an early deletion or the release of a
 * held recording is filed by one person and happens only when a second superior consents
 * (four-eyes.ts says who may ask and who may decide). Each request and decision commits with its
 * audit entries.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import {
  CreatedIdResponse,
  FourEyesDecision,
  FourEyesRequest,
  OkResponse,
  PendingApprovalsResponse,
  RECORDING_ROLES,
  RETENTION_ROLES,
  ReleaseRequest,
} from '@lagebild/protocol';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import type { SessionUser } from '../http/session.ts';
import { notFound } from '../http/tenant-guard.ts';
import { mayDecide, mayRequest } from './four-eyes.ts';
import { approvalView, type RecordingAccess, recordingAuditEntry } from './recording-access.ts';
import { onRecording } from './recording-routes.ts';
import { getRecordingViews, type RecordingRow } from './recording-rows.ts';
import type { RetentionSweeper } from './retention-sweeper.ts';
import { deleteAtOf, rewrapKept } from './rewrap-kept.ts';

export interface FourEyesRouteDeps extends HttpDeps {
  db: Db;
  audit: AuditLog;
  access: RecordingAccess;
  sweeper: RetentionSweeper;
}

export function registerFourEyesRoutes({
  route,
  db,
  sameTenant,
  audit,
  access,
  sweeper,
}: FourEyesRouteDeps): void {
  const pool = db.pool;
  const { load, requireVault } = access;

  /**
   * Files a four-eyes request; the change happens only when a second person consents (decision
   * route). The request and its audit entry commit together.
   */
  async function fileRequest(user: SessionUser, rec: RecordingRow, body: FourEyesRequest): Promise<string> {
    const refusal = mayRequest(user.role, body.action);
    if (refusal) throw new AppError('forbidden', refusal);
    if (rec.state === 'deleted') throw new AppError('conflict', 'this recording has been deleted');
    if (body.action === 'extension' && !body.extendDays)
      throw new AppError('bad_request', 'an extension needs extendDays');
    if (body.action === 'release' && rec.retention === 'standard')
      throw new AppError('conflict', 'this recording is not held');
    return withTransaction(pool, async (c) => {
      const r = await c
        .query(
          `INSERT INTO recording_approvals (tenant_id, recording_id, action, reason, extend_days, requested_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [
            rec.tenantId,
            rec.id,
            body.action,
            body.reason,
            body.action === 'extension' ? body.extendDays : null,
            user.id,
          ],
        )
        .catch((err: { code?: string }) => {
          if (err.code === '23505') throw new AppError('conflict', 'such a request is already pending');
          throw err;
        });
      await audit.appendIn(c, [
        recordingAuditEntry(user, rec.id, {
          action: 'four_eyes_requested',
          reason: body.reason,
          payload: { approvalId: r.rows[0].id, action: body.action, extendDays: body.extendDays ?? null },
        }),
      ]);
      return r.rows[0].id as string;
    });
  }

  // Releasing a held recording is a four-eyes request like any other (issue 11): this route only
  // asks; the recording stays held until a second superior consents.
  route(
    {
      ...onRecording(
        'POST',
        '/release',
        RETENTION_ROLES,
        'Asks to release a held recording (a four-eyes request)',
      ),
      body: ReleaseRequest,
      response: CreatedIdResponse,
      status: 202,
    },
    async ({ req, user, params, body: { reason } }) => {
      const rec = await load(req, user, params.id);
      return { id: await fileRequest(user, rec, { action: 'release', reason }) };
    },
  );

  route(
    {
      ...onRecording(
        'POST',
        '/approvals',
        RECORDING_ROLES,
        'Files a four-eyes request (extension, early deletion, release)',
      ),
      body: FourEyesRequest,
      response: CreatedIdResponse,
      status: 201,
    },
    async ({ req, user, params, body }) => {
      const rec = await load(req, user, params.id);
      return { id: await fileRequest(user, rec, body) };
    },
  );

  // the superiors' consent view: every pending request of the tenant, newest first
  const pending = {
    method: 'GET',
    url: '/api/recording-approvals',
    access: RETENTION_ROLES,
    summary: "The tenant's pending four-eyes requests, newest first",
    response: PendingApprovalsResponse,
  } as const;
  route(pending, async ({ user }) => {
    const { rows } = await pool.query(
      `SELECT a.*, u.display_name AS requested_by_name FROM recording_approvals a JOIN users u ON u.id = a.requested_by
        WHERE a.tenant_id = $1 AND a.state = 'pending' ORDER BY a.requested_at DESC LIMIT 200`,
      [user.tenant.id],
    );
    // the page's recordings in one query, not one per request
    const views = await getRecordingViews(
      pool,
      rows.map((a) => a.recording_id),
    );
    const approvals: PendingApprovalsResponse['approvals'] = [];
    for (const a of rows) {
      const recording = views.get(a.recording_id);
      if (recording) approvals.push({ ...approvalView(a), recording, requestedByName: a.requested_by_name });
    }
    return { approvals };
  });

  const decide = {
    method: 'POST',
    url: '/api/recording-approvals/:id/decision',
    access: RETENTION_ROLES,
    summary: 'A second superior approves or rejects a four-eyes request',
    params: idParams('approval'),
    body: FourEyesDecision,
    response: OkResponse,
  } as const;
  route(decide, async ({ req, user, params: { id }, body }) => {
    return withTransaction(pool, async (c) => {
      const { rows } = await c.query(
        `SELECT a.*, u.role AS requester_role, r.device_id, r.state AS rec_state, r.retention
           FROM recording_approvals a JOIN users u ON u.id = a.requested_by JOIN recordings r ON r.id = a.recording_id
          WHERE a.id = $1 FOR UPDATE OF a, r`,
        [id],
      );
      const a = rows[0];
      if (!a) throw notFound('approval');
      sameTenant(user, a.tenant_id, 'approval', id, req);
      if (a.state !== 'pending') throw new AppError('conflict', 'this request has already been decided');
      const refusal = mayDecide(
        { id: user.id, role: user.role },
        { id: a.requested_by, role: a.requester_role },
      );
      if (refusal) throw new AppError('forbidden', refusal);
      await c.query(
        `UPDATE recording_approvals SET state = $2, decided_by = $3, decided_at = now(), decision_reason = $4 WHERE id = $1`,
        [id, body.approve ? 'approved' : 'rejected', user.id, body.reason],
      );
      const base = {
        tenantId: user.tenant.id,
        actor: actorOf(user),
        target: auditTarget('recording', a.recording_id),
      };
      await audit.appendIn(c, [
        {
          ...base,
          action: 'four_eyes_decided',
          reason: body.reason,
          payload: { approvalId: id, action: a.action, approved: body.approve, requestedBy: a.requested_by },
        },
      ]);
      if (body.approve && a.action === 'extension') {
        await c.query(
          `UPDATE recordings SET delete_at = delete_at + make_interval(days => $2) WHERE id = $1 AND retention = 'standard'`,
          [a.recording_id, a.extend_days],
        );
        await audit.appendIn(c, [
          {
            ...base,
            action: 'retention_extended',
            reason: a.reason,
            payload: { days: a.extend_days, approvalId: id },
          },
        ]);
        await rewrapKept(c, access, audit, {
          tenantId: a.tenant_id,
          recordingId: a.recording_id,
          deleteAt: await deleteAtOf(c, a.recording_id),
          actor: actorOf(user),
          reason: a.reason,
        });
      }
      if (body.approve && a.action === 'release') {
        // back to the normal period, but never sooner than a day from now: a mistaken release can be undone
        const { rowCount } = await c.query(
          `UPDATE recordings r SET retention = 'standard', retention_reason = NULL, case_reference = NULL,
                  retention_by = $2, retention_at = now(),
                  delete_at = greatest(r.started_at + make_interval(days => t.retention_days), now() + interval '1 day')
             FROM tenants t WHERE r.id = $1 AND t.id = r.tenant_id AND r.retention <> 'standard' AND r.state <> 'deleted'`,
          [a.recording_id, a.requested_by],
        );
        if (!rowCount) throw new AppError('conflict', 'this recording is no longer held');
        await audit.appendIn(c, [
          {
            ...base,
            action: 'evidence_released',
            reason: a.reason,
            payload: { previous: a.retention, approvalId: id, requestedBy: a.requested_by },
          },
        ]);
        await rewrapKept(c, access, audit, {
          tenantId: a.tenant_id,
          recordingId: a.recording_id,
          deleteAt: await deleteAtOf(c, a.recording_id),
          actor: actorOf(user),
          reason: a.reason,
        });
      }
      if (body.approve && a.action === 'early_deletion') {
        if (a.retention !== 'standard')
          throw new AppError('conflict', 'a held recording cannot be deleted; release it first');
        if (a.rec_state === 'deleted' || a.rec_state === 'recording')
          throw new AppError('conflict', 'this recording cannot be deleted now');
        await requireVault();
        await sweeper.deleteNow(
          c,
          { id: a.recording_id, tenant_id: a.tenant_id, device_id: a.device_id },
          `early_deletion approval ${id}`,
          {
            tenantId: user.tenant.id,
            actor: actorOf(user),
            reason: a.reason,
            payload: { approvalId: id, requestedBy: a.requested_by },
          },
        );
      }
      return { ok: true as const };
    });
  });
}
