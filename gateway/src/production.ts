/**
 * Production mode's checks that need the database (issue 11): the gateway refuses to start when it
 * connects as a superuser or as (a member of) the role that owns the audit tables (one leaked
 * credential could disable the audit log's triggers and rewrite it; issue 13), or when the demo
 * accounts from `npm start`'s seed exist and are enabled (their password is in the README).
 * The checks on configuration alone are in config.ts.
 */
import { DEMO_ROLES, DEMO_TENANTS, demoUsername } from '@lagebild/db/seed';
import type pg from 'pg';
import type { GatewayConfig } from './config.ts';

export async function productionRefusals(config: GatewayConfig, pool: pg.Pool): Promise<string[]> {
  if (config.LAGEBILD_ENV !== 'production') return [];
  const out: string[] = [];
  const su = await pool.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  if (su.rows[0]?.rolsuper)
    out.push('DATABASE_URL: the role is a database superuser; connect as the application role');
  else {
    // the owner, or a member of the owning role (SET ROLE suffices), may ALTER TABLE … DISABLE TRIGGER
    const owns = await pool.query<{ relname: string }>(
      `SELECT relname FROM pg_class
        WHERE oid IN (to_regclass('audit_log'), to_regclass('audit_checkpoints'), to_regclass('audit_head'))
          AND pg_has_role(current_user, relowner, 'MEMBER')
        ORDER BY relname`,
    );
    if (owns.rows.length > 0)
      out.push(
        `DATABASE_URL: the role owns ${owns.rows.map((r) => r.relname).join(', ')} and could disable the audit triggers; connect as the application role lagebild_app`,
      );
  }
  const demo = DEMO_TENANTS.flatMap((t) => DEMO_ROLES.map((r) => demoUsername(t.slug, r)));
  const { rows } = await pool.query<{ username: string }>(
    'SELECT username FROM users WHERE username = ANY($1) AND disabled_at IS NULL ORDER BY username',
    [demo],
  );
  if (rows.length > 0)
    out.push(
      `demo users exist with the README's password: ${rows.map((r) => r.username).join(', ')} (disable or delete them)`,
    );
  return out;
}
