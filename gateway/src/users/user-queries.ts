/**
 * The SQL of the users page: a user as the page shows it, the tenant lock that orders every change
 * of a tenant's users (so two admins cannot demote each other down to no admin), the last-admin
 * rule, and ending a user's sessions inside the change's transaction.
 */
import type { AdminUser } from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

const COLUMNS = `u.id, u.tenant_id, u.username, u.display_name, u.email, u.role, u.disabled_at,
  u.must_change_password, u.setup_code_expires_at, u.created_at, u.totp_enabled_at,
  (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > now())::int AS active_sessions`;

interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: AdminUser['role'];
  disabled_at: Date | null;
  must_change_password: boolean;
  setup_code_expires_at: Date | null;
  created_at: Date;
  totp_enabled_at: Date | null;
  active_sessions: number;
}

export interface LoadedUser extends AdminUser {
  tenantId: string;
}

const toUser = (r: UserRow): LoadedUser => ({
  id: r.id,
  tenantId: r.tenant_id,
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  role: r.role,
  disabledAt: r.disabled_at?.getTime() ?? null,
  mustChangePassword: r.must_change_password,
  setupCodeExpiresAt: r.setup_code_expires_at?.getTime() ?? null,
  createdAt: r.created_at.getTime(),
  activeSessions: r.active_sessions,
  totpEnabledAt: r.totp_enabled_at?.getTime() ?? null,
});

/** Only what the page may see: the tenant id stays on the server. */
export const adminView = ({ tenantId: _t, ...u }: LoadedUser): AdminUser => u;

export async function listUsers(q: Queryable, tenantId: string): Promise<AdminUser[]> {
  const { rows } = await q.query<UserRow>(
    `SELECT ${COLUMNS} FROM users u WHERE u.tenant_id = $1 ORDER BY u.username`,
    [tenantId],
  );
  return rows.map((r) => adminView(toUser(r)));
}

export async function loadUser(q: Queryable, id: string, lock = false): Promise<LoadedUser | null> {
  const { rows } = await q.query<UserRow>(
    `SELECT ${COLUMNS} FROM users u WHERE u.id = $1${lock ? ' FOR UPDATE OF u' : ''}`,
    [id],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/**
 * Orders the changes of one tenant's users. `FOR NO KEY UPDATE` leaves the foreign-key checks of
 * everything else that references the tenant (statuses, incidents) unblocked.
 */
export async function lockTenantUsers(q: Queryable, tenantId: string): Promise<void> {
  await q.query('SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE', [tenantId]);
}

/** 409 if `user` is an enabled admin and no other enabled admin of the tenant would remain. */
export async function refuseLastAdmin(q: Queryable, user: LoadedUser, change: string): Promise<void> {
  if (user.role !== 'admin' || user.disabledAt !== null) return;
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM users
      WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL AND id <> $2`,
    [user.tenantId, user.id],
  );
  if (rows[0]!.n === 0)
    throw new AppError(
      'conflict',
      `cannot ${change} the last enabled admin of this municipality; make another user admin first`,
    );
}

/** Deletes the user's sessions (one, by its token hash, or all) and returns their token hashes. */
export async function deleteSessions(q: Queryable, userId: string, tokenHash?: string): Promise<string[]> {
  const { rows } = await q.query<{ token_hash: string }>(
    `DELETE FROM sessions WHERE user_id = $1${tokenHash ? ' AND token_hash = $2' : ''} RETURNING token_hash`,
    tokenHash ? [userId, tokenHash] : [userId],
  );
  return rows.map((r) => r.token_hash);
}
