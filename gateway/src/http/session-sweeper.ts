/**
 * Sessions that end without a request (issue 11): an operator session that expires, or whose user is
 * disabled, ends everywhere within one sweep: its /control sockets are closed and its SFU viewer
 * sessions end. The row is deleted in the same statement, so with several gateways exactly one of
 * them ends each session (Socket.IO's adapter reaches the sockets on every gateway).
 */
import type pg from 'pg';
import type { SessionEndReason } from './session.ts';

export interface EndedSession {
  sessionHash: string;
  tenantId: string;
  reason: SessionEndReason;
}

export async function takeEndedSessions(pool: pg.Pool, limit = 500): Promise<EndedSession[]> {
  const { rows } = await pool.query<{ token_hash: string; tenant_id: string; disabled: boolean }>(
    `DELETE FROM sessions s
      WHERE s.token_hash IN (
        SELECT s2.token_hash FROM sessions s2 JOIN users u ON u.id = s2.user_id
         WHERE s2.expires_at <= now() OR u.disabled_at IS NOT NULL
         LIMIT $1 FOR UPDATE OF s2 SKIP LOCKED)
      RETURNING s.token_hash, s.tenant_id,
        EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.disabled_at IS NOT NULL) AS disabled`,
    [limit],
  );
  return rows.map((r) => ({
    sessionHash: r.token_hash,
    tenantId: r.tenant_id,
    reason: r.disabled ? 'user_disabled' : 'expired',
  }));
}
