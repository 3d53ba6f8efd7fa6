/**
 * The TOTP columns of a user (migration 0016) and the statements that move them. Every change is a
 * conditional UPDATE on what was read, so two requests at once cannot both enrol, and a code's time
 * step is accepted once: `totp_last_step` only moves forward (a replayed or older code matches no row).
 */
import type pg from 'pg';
import { matchTotp } from './totp.ts';
import type { TotpSealer } from './totp-sealer.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface TotpState {
  id: string;
  tenantId: string;
  username: string;
  role: string;
  /** the secrets themselves, opened (totp-sealer.ts); null also when a stored one does not open */
  secret: string | null;
  pending: string | null;
  /** the columns as stored (sealed): what the conditional updates compare with */
  stored: { secret: string | null; pending: string | null };
  lastStep: number | null;
  disabled: boolean;
}

export async function loadTotpState(
  q: Queryable,
  userId: string,
  sealer: TotpSealer,
): Promise<TotpState | null> {
  const { rows } = await q.query<{
    id: string;
    tenant_id: string;
    username: string;
    role: string;
    totp_secret: string | null;
    totp_pending_secret: string | null;
    totp_last_step: string | null;
    disabled_at: Date | null;
  }>(
    `SELECT id, tenant_id, username, role, totp_secret, totp_pending_secret, totp_last_step, disabled_at
       FROM users WHERE id = $1`,
    [userId],
  );
  const r = rows[0];
  if (!r) return null;
  const open = (v: string | null) => (v === null ? null : sealer.open(r.tenant_id, r.id, v));
  return {
    id: r.id,
    tenantId: r.tenant_id,
    username: r.username,
    role: r.role,
    secret: await open(r.totp_secret),
    pending: await open(r.totp_pending_secret),
    stored: { secret: r.totp_secret, pending: r.totp_pending_secret },
    lastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    disabled: r.disabled_at !== null,
  };
}

/** Keeps `secret` as the pending one, sealed; false if a second factor is already set up. */
export async function storePendingSecret(
  q: Queryable,
  s: Pick<TotpState, 'id' | 'tenantId'>,
  secret: string,
  sealer: TotpSealer,
): Promise<boolean> {
  const { rowCount } = await q.query(
    'UPDATE users SET totp_pending_secret = $2 WHERE id = $1 AND totp_secret IS NULL',
    [s.id, await sealer.seal(s.tenantId, s.id, secret)],
  );
  return rowCount === 1;
}

/** The pending secret becomes the user's if `code` matches it; false otherwise (or if raced). */
export async function confirmPendingSecret(q: Queryable, s: TotpState, code: string): Promise<boolean> {
  if (!s.pending || s.stored.secret) return false;
  const step = matchTotp(s.pending, code);
  if (step === null) return false;
  const { rowCount } = await q.query(
    `UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
            totp_enabled_at = now(), totp_last_step = $3
      WHERE id = $1 AND totp_pending_secret = $2 AND totp_secret IS NULL`,
    [s.id, s.stored.pending, step],
  );
  return rowCount === 1;
}

/** True once per matching time step: the code is right and newer than the last one accepted. */
export async function useTotpCode(q: Queryable, s: TotpState, code: string): Promise<boolean> {
  if (!s.secret) return false;
  const step = matchTotp(s.secret, code);
  if (step === null) return false;
  const { rowCount } = await q.query(
    `UPDATE users SET totp_last_step = $3
      WHERE id = $1 AND totp_secret = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)`,
    [s.id, s.stored.secret, step],
  );
  return rowCount === 1;
}

/** Removes the second factor (an admin's reset); false if there was none. */
export async function clearTotp(q: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL,
            totp_last_step = NULL
      WHERE id = $1 AND (totp_secret IS NOT NULL OR totp_pending_secret IS NOT NULL)`,
    [userId],
  );
  return rowCount === 1;
}

/** The tenant's sign-in policy. */
export async function signInPolicy(
  q: Queryable,
  tenantId: string,
): Promise<{ totpRequiredRoles: string[]; passwordLogin: boolean; tenantName: string }> {
  const { rows } = await q.query<{ totp_required_roles: string[]; password_login: boolean; name: string }>(
    'SELECT totp_required_roles::text[] AS totp_required_roles, password_login, name FROM tenants WHERE id = $1',
    [tenantId],
  );
  const r = rows[0];
  return {
    totpRequiredRoles: r?.totp_required_roles ?? [],
    passwordLogin: r?.password_login ?? true,
    tenantName: r?.name ?? '',
  };
}
