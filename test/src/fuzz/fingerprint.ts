/**
 * "Nothing in the database changed": a cheap fingerprint of the tables an API call could touch
 * (row count and a hash of every row), and the audit entries written since a mark. Refusals may be
 * audited (a failed login, a wrong role, a cross-tenant id): those are the only entries a refused
 * request may add.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type pg from 'pg';

/** Tables compared row by row. `last_seen_at` moves whenever a device connects: not a change of state. */
const HASHED = [
  'tenants',
  'users',
  'devices',
  'units',
  'shifts',
  'incidents',
  'incident_events',
  'alerts',
  'dispatch_requests',
  'recordings',
  'recording_approvals',
  'baseline_periods',
  'episode_reports',
] as const;
/** Tables compared by count only (large, or rows that change on reads such as a session's last use). */
const COUNTED = ['sessions', 'status_events', 'stage_changes'] as const;

/** Audit actions a refused request may legitimately write. */
export const REFUSAL_AUDIT_ACTIONS: ReadonlySet<string> = new Set([
  'login_failed',
  'login_failures', // aggregated failed logins of unknown names (issue 11)
  'forbidden',
  'cross_tenant_refused',
  'oidc_login_refused', // a provider's answer the callback refused (issue 15)
]);

export async function dbFingerprint(pool: pg.Pool): Promise<Record<string, string>> {
  const parts = [
    ...HASHED.map(
      (t) =>
        `SELECT '${t}' AS t, count(*)::text || ':' || coalesce(md5(string_agg((to_jsonb(x) - 'last_seen_at')::text, ',' ORDER BY (to_jsonb(x) - 'last_seen_at')::text)), '') AS v FROM ${t} x`,
    ),
    ...COUNTED.map((t) => `SELECT '${t}' AS t, count(*)::text AS v FROM ${t}`),
  ];
  const { rows } = await pool.query<{ t: string; v: string }>(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.v]));
}

/** The tables whose fingerprint differs (empty when nothing changed), for readable failures. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}

export async function auditMark(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ s: string | null }>('SELECT max(seq)::text AS s FROM audit_log');
  return Number(rows[0]?.s ?? 0);
}

/** Actions of the audit entries written after `mark` that are not refusals. */
export async function auditChangesSince(pool: pg.Pool, mark: number): Promise<string[]> {
  const { rows } = await pool.query<{ action: string }>(
    'SELECT action FROM audit_log WHERE seq > $1 ORDER BY seq',
    [mark],
  );
  return rows.map((r) => r.action).filter((a) => !REFUSAL_AUDIT_ACTIONS.has(a));
}

/** Resident set size of a process in MiB (Linux /proc), the bound the memory assertions check. */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/**
 * This process's heap after a full collection, in MiB: what an in-process gateway keeps, not the
 * garbage a fuzzing run leaves for later (the flag is set at run time, so vitest needs no option).
 */
export function heapAfterGcMiB(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
