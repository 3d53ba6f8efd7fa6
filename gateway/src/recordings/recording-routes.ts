/**
 * The recordings library over HTTP (issue #6). Every route checks session, role and tenant;
 * evaluators never reach video. Playback and export need a reason (export also a recipient), which
 * is audited *before* any byte is served. The stream decrypts on the fly with HTTP Range support.
 */

import { randomBytes } from 'node:crypto';
import { withTransaction } from '@lagebild/db';
import {
  AUDIT_ROLES,
  AuditQuery,
  type AuditResponse,
  ExportRequest,
  FourEyesDecision,
  FourEyesRequest,
  type FourEyesView,
  MarkEvidenceRequest,
  type PendingApprovalsResponse,
  PlaybackRequest,
  type PlaybackResponse,
  RECORDING_ROLES,
  RETENTION_ROLES,
  RecordingsQuery,
  type RecordingsResponse,
  type RecordingView,
  ReleaseRequest,
  type Role,
} from '@lagebild/protocol';
import { createExportBundle, loadManifest, openRecording, VaultError } from '@lagebild/vault';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import type { RouteDeps } from '../http/route-deps.ts';
import type { SessionUser } from '../http/session.ts';
import { notFound } from '../http/tenant-guard.ts';
import { parseInput, pathId } from '../http/validate.ts';
import { auditRefFilterSql, containsPattern, labelAuditEntries } from './audit-labels.ts';
import { mayDecide, mayRequest } from './four-eyes.ts';
import { parseRange } from './range.ts';
import { getRecordingRow, getRecordingView, listRecordings, type RecordingRow } from './recording-rows.ts';
import type { RetentionSweeper } from './retention-sweeper.ts';
import type { VaultContext } from './vault-context.ts';

const TICKET_TTL_S = 600;
const ticketKey = (t: string) => `lb:play:${t}`;

export function registerRecordingRoutes(
  deps: RouteDeps,
  vault: VaultContext,
  sweeper: RetentionSweeper,
): void {
  const { app, db, guard, sameTenant, audit, redis } = deps;
  const pool = db.pool;

  async function requireVault() {
    const keyring = await vault.keyring();
    if (!vault.store || !keyring)
      throw new AppError('unavailable', 'recordings are not configured on this server');
    return { store: vault.store, keyring };
  }

  async function load(
    req: FastifyRequest<{ Params: { id: string } }>,
    roles: readonly Role[],
  ): Promise<{ user: SessionUser; rec: RecordingRow }> {
    const user = await guard(req, roles);
    const id = pathId(req.params.id, 'recording');
    const rec = await getRecordingRow(pool, id);
    if (!rec) throw notFound('recording');
    sameTenant(user, rec.tenantId, 'recording', id, req);
    return { user, rec };
  }

  const playable = (rec: RecordingRow) => {
    if (rec.state === 'deleted') throw new AppError('conflict', 'this recording has been deleted');
    if (rec.state === 'recording') throw new AppError('conflict', 'this recording is still running');
  };

  async function retentionDays(tenantId: string): Promise<number> {
    const { rows } = await pool.query('SELECT retention_days FROM tenants WHERE id = $1', [tenantId]);
    return rows[0]?.retention_days ?? 14;
  }

  app.get('/api/recordings', async (req): Promise<RecordingsResponse> => {
    const user = await guard(req, RECORDING_ROLES);
    const q = parseInput(RecordingsQuery, req.query, 'query');
    return {
      recordings: await listRecordings(pool, { ...q, tenantId: user.tenant.id }),
      retentionDays: await retentionDays(user.tenant.id),
      now: Date.now(),
    };
  });

  app.get<{ Params: { id: string } }>(
    '/api/recordings/:id',
    async (req): Promise<{ recording: RecordingView; approvals: FourEyesView[] }> => {
      const { rec } = await load(req, RECORDING_ROLES);
      const { rows } = await pool.query(
        'SELECT * FROM recording_approvals WHERE recording_id = $1 ORDER BY requested_at DESC',
        [rec.id],
      );
      return {
        recording: (await getRecordingView(pool, rec.id))!,
        approvals: rows.map(approvalView),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/recordings/:id/playback',
    async (req): Promise<PlaybackResponse> => {
      const { user, rec } = await load(req, RECORDING_ROLES);
      const { reason } = parseInput(PlaybackRequest, req.body);
      await requireVault();
      playable(rec);
      await audit.append({
        tenantId: user.tenant.id,
        actor: actorOf(user),
        action: 'playback',
        target: `recording:${rec.id}`,
        reason,
        payload: { userId: user.id, role: user.role },
      });
      const ticket = randomBytes(24).toString('base64url');
      await redis.set(ticketKey(ticket), JSON.stringify({ r: rec.id, u: user.id }), 'EX', TICKET_TTL_S);
      return {
        url: `/api/recordings/${rec.id}/stream?ticket=${ticket}`,
        expiresAt: Date.now() + TICKET_TTL_S * 1000,
        mediaType: rec.mediaType,
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { ticket?: string } }>(
    '/api/recordings/:id/stream',
    async (req, reply: FastifyReply) => {
      const { user, rec } = await load(req, RECORDING_ROLES);
      const t = req.query.ticket;
      const held = t && t.length < 100 ? await redis.get(ticketKey(t)) : null;
      const parsed = held ? (JSON.parse(held) as { r: string; u: string }) : null;
      if (!parsed || parsed.r !== rec.id || parsed.u !== user.id) {
        throw new AppError('forbidden', 'playback needs a reason first (POST …/playback)');
      }
      playable(rec);
      const { store, keyring } = await requireVault();
      const opened = await openVaulted(() =>
        openRecording({
          store,
          keyring,
          tenantId: rec.tenantId,
          recordingId: rec.id,
          verifier: vault.verifier,
        }),
      );
      const range = parseRange(req.headers.range, opened.size);
      reply.header('accept-ranges', 'bytes');
      reply.header('cache-control', 'no-store');
      reply.header('content-type', rec.mediaType);
      if (opened.status === 'incomplete') reply.header('x-recording-status', 'incomplete');
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${opened.size}`);
        throw new AppError('bad_request', 'requested range is outside the recording');
      }
      if (opened.size === 0) return reply.code(200).header('content-length', 0).send('');
      const { start, end } = range ?? { start: 0, end: opened.size - 1 };
      reply.header('content-length', end - start + 1);
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${opened.size}`);
      return reply.send(opened.readRange(start, end));
    },
  );

  app.post<{ Params: { id: string } }>('/api/recordings/:id/export', async (req, reply) => {
    const { user, rec } = await load(req, RETENTION_ROLES);
    const { reason, recipient } = parseInput(ExportRequest, req.body);
    playable(rec);
    const { store, keyring } = await requireVault();
    const opened = await openVaulted(() =>
      openRecording({
        store,
        keyring,
        tenantId: rec.tenantId,
        recordingId: rec.id,
        verifier: vault.verifier,
      }),
    );
    const m = await loadManifest(store, rec.tenantId, rec.id, vault.verifier);
    if (!m || opened.status !== 'complete')
      throw new AppError('conflict', 'only a complete, signed recording can be exported');
    await audit.append({
      tenantId: user.tenant.id,
      actor: actorOf(user),
      action: 'export',
      target: `recording:${rec.id}`,
      reason,
      recipient,
      payload: { userId: user.id, plaintextSha256: m.manifest.plaintextSha256 },
    });
    const bundle = createExportBundle({
      recording: opened,
      manifestJson: m.json,
      signature: m.signature,
      signer: vault.signer,
      exportedBy: user.username,
      recipient,
      reason,
      now: Date.now(),
    });
    reply.header('content-type', 'application/x-tar');
    reply.header('content-length', bundle.size);
    reply.header('content-disposition', `attachment; filename="${bundle.fileName}"`);
    reply.header('cache-control', 'no-store');
    return reply.send(bundle.stream);
  });

  app.post<{ Params: { id: string } }>('/api/recordings/:id/evidence', async (req) => {
    const { user, rec } = await load(req, RETENTION_ROLES);
    const body = parseInput(MarkEvidenceRequest, req.body);
    const cls = body.legalHold ? 'legal_hold' : 'evidence';
    await withTransaction(pool, async (c) => {
      const { rowCount } = await c.query(
        `UPDATE recordings SET retention = $2, retention_reason = $3, case_reference = $4, retention_by = $5,
                retention_at = now(), delete_at = NULL
          WHERE id = $1 AND state <> 'deleted'`,
        [rec.id, cls, body.reason, body.caseReference, user.id],
      );
      if (!rowCount) throw new AppError('conflict', 'this recording has been deleted');
      await audit.appendIn(c, [
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'evidence_marked',
          target: `recording:${rec.id}`,
          reason: body.reason,
          payload: { retention: cls, caseReference: body.caseReference, previous: rec.retention },
        },
      ]);
    });
    return { recording: await getRecordingView(pool, rec.id) };
  });

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
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'four_eyes_requested',
          target: `recording:${rec.id}`,
          reason: body.reason,
          payload: { approvalId: r.rows[0].id, action: body.action, extendDays: body.extendDays ?? null },
        },
      ]);
      return r.rows[0].id as string;
    });
  }

  // Releasing a held recording is a four-eyes request like any other (issue 11): this route only
  // asks; the recording stays held until a second superior consents.
  app.post<{ Params: { id: string } }>('/api/recordings/:id/release', async (req, reply) => {
    const { user, rec } = await load(req, RETENTION_ROLES);
    const { reason } = parseInput(ReleaseRequest, req.body);
    const id = await fileRequest(user, rec, { action: 'release', reason });
    reply.code(202);
    return { id };
  });

  app.post<{ Params: { id: string } }>('/api/recordings/:id/approvals', async (req, reply) => {
    const { user, rec } = await load(req, RECORDING_ROLES);
    const id = await fileRequest(user, rec, parseInput(FourEyesRequest, req.body));
    reply.code(201);
    return { id };
  });

  // the superiors' consent view: every pending request of the tenant, newest first
  app.get('/api/recording-approvals', async (req): Promise<PendingApprovalsResponse> => {
    const user = await guard(req, RETENTION_ROLES);
    const { rows } = await pool.query(
      `SELECT a.*, u.display_name AS requested_by_name FROM recording_approvals a JOIN users u ON u.id = a.requested_by
        WHERE a.tenant_id = $1 AND a.state = 'pending' ORDER BY a.requested_at DESC LIMIT 200`,
      [user.tenant.id],
    );
    const approvals: PendingApprovalsResponse['approvals'] = [];
    for (const a of rows) {
      const recording = await getRecordingView(pool, a.recording_id);
      if (recording) approvals.push({ ...approvalView(a), recording, requestedByName: a.requested_by_name });
    }
    return { approvals };
  });

  app.post<{ Params: { id: string } }>('/api/recording-approvals/:id/decision', async (req) => {
    const user = await guard(req, RETENTION_ROLES);
    const id = pathId(req.params.id, 'approval');
    const body = parseInput(FourEyesDecision, req.body);
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
      const base = { tenantId: user.tenant.id, actor: actorOf(user), target: `recording:${a.recording_id}` };
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
      return { ok: true };
    });
  });

  app.get('/api/audit', async (req): Promise<AuditResponse> => {
    const user = await guard(req, AUDIT_ROLES);
    const q = parseInput(AuditQuery, req.query, 'query');
    const where = ['tenant_id = $1'];
    const args: unknown[] = [user.tenant.id];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replaceAll('?', `$${args.length}`));
    };
    if (q.action) add('action = ?', q.action);
    // raw text as stored, or the readable names the view shows (labels of this tenant only)
    if (q.actor) add(auditRefFilterSql('actor', '$1', '?'), containsPattern(q.actor));
    if (q.target) add(auditRefFilterSql('target', '$1', '?'), containsPattern(q.target));
    if (q.from !== undefined) add('at >= ?', new Date(q.from));
    if (q.to !== undefined) add('at < ?', new Date(q.to));
    if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
    args.push(q.limit);
    const { rows } = await pool.query(
      `SELECT seq, at, actor, action, target, reason, recipient, payload, hash FROM audit_log
        WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    const entries = rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at.getTime(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      reason: r.reason,
      recipient: r.recipient,
      payload: r.payload,
      hash: r.hash,
    }));
    // readable names beside the raw ids, resolved in the admin's own tenant only
    return { entries: await labelAuditEntries(pool, user.tenant.id, entries) };
  });
}

// biome-ignore lint/suspicious/noExplicitAny: a raw pg row
function approvalView(a: any): FourEyesView {
  return {
    id: a.id,
    recordingId: a.recording_id,
    action: a.action,
    reason: a.reason,
    extendDays: a.extend_days,
    requestedBy: a.requested_by,
    requestedAt: a.requested_at.getTime(),
    state: a.state,
    decidedBy: a.decided_by,
    decidedAt: a.decided_at?.getTime() ?? null,
  };
}

/** Vault failures as API errors: a damaged recording is a 409 with its reason, never a 500 or a shorter video. */
async function openVaulted<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VaultError) {
      if (err.code === 'not_found' || err.code === 'shredded')
        throw new AppError('not_found', 'the video of this recording is gone');
      throw new AppError('conflict', `the recording cannot be played: ${err.code} (${err.message})`);
    }
    throw err;
  }
}
