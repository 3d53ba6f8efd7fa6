/**
 * The disclosure control of a dimension, built once per content of its roll-up rows (issue 17).
 * Building it is the heat map's largest cost (buildProtection over 667 grid cells × every ISO month
 * of the history: 30–70 ms of JavaScript on a busy 2-core machine), and the rows it is built from
 * change only when closed episodes do. So each gateway keeps the last protection per tenant and
 * dimension with a fingerprint of exactly the rows it was built from (md5 over every month row and
 * weekly total, each field length-prefixed so no two row sets spell the same text), read in the same
 * statement as the rows. A request first reads the fingerprint alone (one row); if it is the cached
 * one, the cached protection is the one the rows would give, else the rows are read and it is built
 * again. Nothing is ever served from rows other than the current ones.
 */
import { buildProtection, type Protection } from '@lagebild/stats';
import type pg from 'pg';
import type { Dimension } from './filters.ts';
import { atomsOfMonths, type MonthValue, type WeekTotal } from './month-atoms.ts';
import { queryRows, type Sql, sql } from './sql.ts';

/** Tenants × dimensions kept at most (the oldest entry goes first). */
const MAX_ENTRIES = 512;
const cache = new Map<string, { fingerprint: string; protection: Protection }>();

/** The rows the control of `dim` is built from: its month rows and the weekly totals, as `kind, at, value, n`. */
function sourceRows(tenantId: string, dim: Dimension): Sql {
  return sql`SELECT 'm' AS kind, to_char(iso_month, 'YYYY-MM') AS at, value, episodes AS n FROM episode_month_counts
              WHERE tenant_id = ${tenantId} AND dim = ${dim} AND episodes > 0
             UNION ALL
             SELECT 'w', to_char(local_week, 'YYYY-MM-DD'), '', episodes FROM episode_week_counts
              WHERE tenant_id = ${tenantId} AND dim = 'all' AND episodes > 0`;
}

const FINGERPRINT = sql`md5(string_agg(kind || at || length(value) || ':' || value || '=' || n, ',' ORDER BY kind, at, value))`;

interface SourceRow {
  kind: 'm' | 'w';
  at: string;
  value: string;
  n: number;
  fingerprint: string | null;
}

/** The control of `dim` over the tenant's whole history, from the roll-ups (./month-atoms.ts). */
export async function cachedMonthProtection(
  pool: pg.Pool,
  tenantId: string,
  dim: Dimension,
): Promise<Protection> {
  const key = `${tenantId}|${dim}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    const [fp] = await queryRows<{ fingerprint: string | null }>(
      pool,
      sql`SELECT ${FINGERPRINT} AS fingerprint FROM (${sourceRows(tenantId, dim)}) r`,
    );
    if ((fp?.fingerprint ?? '') === cached.fingerprint) return cached.protection;
  }
  // the rows and their fingerprint in one statement: one snapshot
  const rows = await queryRows<SourceRow>(
    pool,
    sql`WITH r AS (${sourceRows(tenantId, dim)}) SELECT r.*, (SELECT ${FINGERPRINT} FROM r) AS fingerprint FROM r`,
  );
  const months: MonthValue[] = [];
  const weeks: WeekTotal[] = [];
  for (const r of rows) {
    if (r.kind === 'm') months.push({ month: r.at, value: r.value, n: r.n });
    else if (r.kind === 'w') weeks.push({ week: r.at, n: r.n });
  }
  const protection = buildProtection(atomsOfMonths(months, weeks));
  cache.delete(key);
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, { fingerprint: rows[0]?.fingerprint ?? '', protection });
  return protection;
}
