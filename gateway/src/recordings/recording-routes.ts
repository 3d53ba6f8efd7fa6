/**
 * The recordings library over HTTP (issue #6): list, detail, playback ticket and stream, export,
 * evidence. Every route checks session, role and tenant; evaluators never reach video. Playback
 * and export need a reason (export also a recipient), which is audited *before* any byte is
 * served. The stream decrypts on the fly with HTTP Range support. Four-eyes requests and their
 * decisions are in four-eyes-routes.ts.
 */

import { randomBytes } from 'node:crypto';
import { type Db, withTransaction } from '@lagebild/db';
import {
  ExportRequest,
  MarkEvidenceRequest,
  PlaybackRequest,
  PlaybackResponse,
  RECORDING_ROLES,
  RETENTION_ROLES,
  RecordingDetailResponse,
  RecordingResponse,
  RecordingsQuery,
  RecordingsResponse,
  type Role,
} from '@lagebild/protocol';
import { createExportBundle, loadManifest, remuxForExport } from '@lagebild/vault';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { StampCheckpoint } from '../audit/audit-anchoring.ts';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams, type Route } from '../http/route.ts';
import { recordingCustody } from './export-custody.ts';
import { parseRange } from './range.ts';
import { approvalView, playable, type RecordingAccess, recordingAuditEntry } from './recording-access.ts';
import { getRecordingView, listRecordings } from './recording-rows.ts';
import { rewrapKept } from './rewrap-kept.ts';
import type { VaultContext } from './vault-context.ts';

const TICKET_TTL_S = 600;
export const ticketKey = (t: string) => `lb:play:${t}`;
const StreamQuery = z.object({ ticket: z.string().optional() });
const recordingParams = idParams('recording');

/** a route on one recording: `:id` is validated like an unknown id (404) */
export const onRecording = (
  method: 'GET' | 'POST',
  path: string,
  access: readonly Role[],
  summary: string,
) => ({
  method,
  url: `/api/recordings/:id${path}`,
  access,
  summary,
  params: recordingParams,
});

export interface RecordingRouteDeps {
  route: Route;
  db: Db;
  redis: Redis;
  audit: AuditLog;
  vault: VaultContext;
  access: RecordingAccess;
  /** the export's custody checkpoint gets its RFC 3161 time stamp (issue 13) */
  stampCheckpoint?: StampCheckpoint;
}

export function registerRecordingRoutes({
  route,
  db,
  redis,
  audit,
  vault,
  access,
  stampCheckpoint,
}: RecordingRouteDeps): void {
  const pool = db.pool;
  const { load, requireVault, openPlayable } = access;

  async function retentionDays(tenantId: string): Promise<number> {
    const { rows } = await pool.query('SELECT retention_days FROM tenants WHERE id = $1', [tenantId]);
    return rows[0]?.retention_days ?? 14;
  }

  const list = {
    method: 'GET',
    url: '/api/recordings',
    access: RECORDING_ROLES,
    summary: "The tenant's recordings, newest first",
    query: RecordingsQuery,
    response: RecordingsResponse,
  } as const;
  route(list, async ({ user, query: q }) => {
    return {
      recordings: await listRecordings(pool, { ...q, tenantId: user.tenant.id }),
      retentionDays: await retentionDays(user.tenant.id),
      now: Date.now(),
    };
  });

  route(
    {
      ...onRecording('GET', '', RECORDING_ROLES, 'One recording with its four-eyes requests'),
      response: RecordingDetailResponse,
    },
    async ({ req, user, params }) => {
      const rec = await load(req, user, params.id);
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

  route(
    {
      ...onRecording('POST', '/playback', RECORDING_ROLES, 'A playback ticket for a reason (audited first)'),
      body: PlaybackRequest,
      response: PlaybackResponse,
    },
    async ({ req, user, params, body: { reason } }) => {
      const rec = await load(req, user, params.id);
      await requireVault();
      playable(rec);
      await audit.append(
        recordingAuditEntry(user, rec.id, {
          action: 'playback',
          reason,
          payload: { userId: user.id, role: user.role },
        }),
      );
      const ticket = randomBytes(24).toString('base64url');
      await redis.set(ticketKey(ticket), JSON.stringify({ r: rec.id, u: user.id }), 'EX', TICKET_TTL_S);
      return {
        url: `/api/recordings/${rec.id}/stream?ticket=${ticket}`,
        expiresAt: Date.now() + TICKET_TTL_S * 1000,
        mediaType: rec.mediaType,
      };
    },
  );

  route(
    {
      ...onRecording(
        'GET',
        '/stream',
        RECORDING_ROLES,
        'The decrypted video, with HTTP Range (needs a playback ticket)',
      ),
      query: StreamQuery,
      produces: 'video/*',
    },
    async ({ req, reply, user, params, query }) => {
      const rec = await load(req, user, params.id);
      const t = query.ticket;
      const held = t && t.length < 100 ? await redis.get(ticketKey(t)) : null;
      const parsed = held ? (JSON.parse(held) as { r: string; u: string }) : null;
      if (!parsed || parsed.r !== rec.id || parsed.u !== user.id) {
        throw new AppError('forbidden', 'playback needs a reason first (POST …/playback)');
      }
      const { opened } = await openPlayable(rec);
      const range = parseRange(req.headers.range, opened.size);
      reply.header('accept-ranges', 'bytes');
      reply.header('cache-control', 'no-store');
      reply.header('content-type', rec.mediaType);
      // a prefix of its stream (issue 14): unsealed, or sealed with `cut`
      if (opened.status === 'incomplete' || opened.manifest?.cut)
        reply.header('x-recording-status', 'incomplete');
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${opened.size}`);
        throw new AppError('bad_request', 'requested range is outside the recording');
      }
      if (opened.size === 0) return reply.code(200).header('content-length', 0).send('');
      const { start, end } = range ?? { start: 0, end: opened.size - 1 };
      reply.header('content-length', end - start + 1);
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${opened.size}`);
      // fastify pipes it into the response itself, so the reader decrypts into two buffers it reuses
      // once the response has sent each (issue 17); a stream wrapped around it would cost a new
      // buffer per MiB (docs/benchmarks.md § bench:vault)
      return reply.send(opened.readRange(start, end));
    },
  );

  route(
    {
      ...onRecording(
        'POST',
        '/export',
        RETENTION_ROLES,
        'A signed export bundle (tar) for a recipient and reason (audited first)',
      ),
      body: ExportRequest,
      produces: 'application/x-tar',
    },
    async ({ req, reply, user, params, body: { reason, recipient } }) => {
      const rec = await load(req, user, params.id);
      const { store, opened } = await openPlayable(rec);
      const m = await loadManifest(store, rec.tenantId, rec.id, vault.verifier);
      if (!m || opened.status !== 'complete')
        throw new AppError('conflict', 'only a complete, signed recording can be exported');
      await audit.append(
        recordingAuditEntry(user, rec.id, {
          action: 'export',
          reason,
          recipient,
          payload: { userId: user.id, plaintextSha256: m.manifest.plaintextSha256 },
        }),
      );
      // The custody chain ends at a checkpoint taken after the export entry above. The playable
      // copy (with a duration) is remuxed into a temp dir that is removed once the bundle is sent.
      const custody = await recordingCustody(
        pool,
        vault.signer,
        {
          id: rec.id,
          deviceId: rec.deviceId,
          startedAt: m.manifest.startedAt,
          stoppedAt: m.manifest.stoppedAt,
        },
        stampCheckpoint,
      );
      const playableCopy = await remuxForExport(opened, m.manifest.mediaType);
      const bundle = createExportBundle({
        recording: opened,
        manifestJson: m.json,
        signature: m.signature,
        // loadManifest checked that the verifier trusts this key
        manifestPublicKeyPem: vault.verifier.publicKeyPemOf(m.manifest.signingKey)!,
        signer: vault.signer,
        exportedBy: user.username,
        recipient,
        reason,
        now: Date.now(),
        playable: playableCopy,
        ...(custody ? { custody } : {}),
      });
      bundle.stream.once('close', () => void playableCopy.cleanup());
      reply.header('content-type', 'application/x-tar');
      reply.header('content-length', bundle.size);
      reply.header('content-disposition', `attachment; filename="${bundle.fileName}"`);
      reply.header('cache-control', 'no-store');
      return reply.send(bundle.stream);
    },
  );

  route(
    {
      ...onRecording(
        'POST',
        '/evidence',
        RETENTION_ROLES,
        'Keeps a recording as evidence or under legal hold (audited)',
      ),
      body: MarkEvidenceRequest,
      response: RecordingResponse,
    },
    async ({ req, user, params, body }) => {
      const rec = await load(req, user, params.id);
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
          recordingAuditEntry(user, rec.id, {
            action: 'evidence_marked',
            reason: body.reason,
            payload: { retention: cls, caseReference: body.caseReference, previous: rec.retention },
          }),
        ]);
        // held: off its deletion day's key, onto the tenant's evidence key (issue 13)
        await rewrapKept(c, access, audit, {
          tenantId: rec.tenantId,
          recordingId: rec.id,
          deleteAt: null,
          actor: actorOf(user),
          reason: body.reason,
        });
      });
      return { recording: (await getRecordingView(pool, rec.id))! };
    },
  );
}
