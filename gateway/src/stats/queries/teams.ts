/** GET /api/stats/teams: the tenant's team names, for the team filter. */
import type pg from 'pg';
import { queryRows, sql } from './sql.ts';

export async function statsTeams(pool: pg.Pool, tenantId: string): Promise<string[]> {
  const rows = await queryRows<{ team: string }>(
    pool,
    sql`SELECT DISTINCT team FROM units WHERE tenant_id = ${tenantId} ORDER BY team`,
  );
  return rows.map((r) => r.team);
}
