/**
 * Evaluation API (issue #8). Statistics are read by evaluators, supervisors and admins of the own
 * tenant (aggregates only: no names, device labels, video or exact positions; small cells null).
 * Baseline periods are entered by evaluators and admins. Reports are filed through the web form by
 * control-room roles for an officer (the device files its own over /device); evaluators never see
 * the pending list, which names units. Baseline writes and every statistics export (CSV, printable
 * report) are entries in the hash-chained audit log (§ 76 BDSG): a baseline and its entry commit in
 * one transaction; an export is answered only once its entry is committed.
 */
import { type Db, withTransaction } from '@lagebild/db';
import {
  BASELINE_ROLES,
  BaselinePeriod,
  BaselinesResponse,
  BreakdownDimension,
  CreateBaselineRequest,
  FileReportRequest,
  FileReportResponse,
  PendingEpisodesResponse,
  REPORT_ROLES,
  STATS_ROLES,
  StatsBreakdown,
  StatsHeatmap,
  StatsQuery,
  StatsReport,
  StatsSeries,
  StatsSummary,
  StatsTeamsResponse,
} from '@lagebild/protocol';
import { z } from 'zod';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import type { GatewayConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { idParams, type Route } from '../http/route.ts';
import { fileReport } from './report-store.ts';
import {
  snapQuery,
  statsBreakdown,
  statsCsv,
  statsExport,
  statsHeatmap,
  statsSeries,
  statsSummary,
  statsTeams,
} from './stats-queries.ts';

/** The statistics filter; `by` belongs to the breakdown and is ignored by the other figures. */
const StatsFilter = StatsQuery.safeExtend({ by: z.unknown().optional() });
const BreakdownQuery = StatsQuery.safeExtend({ by: BreakdownDimension });
const filterOf = ({ by: _by, ...q }: { by?: unknown } & StatsQuery): StatsQuery => q;

export interface StatsRouteDeps {
  route: Route;
  db: Db;
  audit: AuditLog;
  config: GatewayConfig;
}

export function registerStatsRoutes({ route, db, audit, config }: StatsRouteDeps): void {
  const pool = db.pool;
  const quietMs = config.EPISODE_QUIET_S * 1000;
  const figures = (path: string, summary: string) =>
    ({ method: 'GET', url: `/api/stats/${path}`, access: STATS_ROLES, summary, query: StatsFilter }) as const;

  route(
    { ...figures('summary', 'Key figures of a period'), response: StatsSummary },
    async ({ user, query }) => statsSummary(pool, user.tenant.id, filterOf(query), quietMs),
  );
  route(
    { ...figures('series', 'Monthly figures of a period'), response: StatsSeries },
    async ({ user, query }) => statsSeries(pool, user.tenant.id, filterOf(query)),
  );
  route(
    { ...figures('heatmap', 'Weekday × hour figures'), response: StatsHeatmap },
    async ({ user, query }) => statsHeatmap(pool, user.tenant.id, filterOf(query)),
  );
  route(
    {
      ...figures('breakdown', 'Figures by one dimension (by)'),
      query: BreakdownQuery,
      response: StatsBreakdown,
    },
    async ({ user, query: { by, ...q } }) => statsBreakdown(pool, user.tenant.id, q, by),
  );
  route(
    { ...figures('teams', 'The teams the filter can name'), query: undefined, response: StatsTeamsResponse },
    async ({ user }) => ({ teams: await statsTeams(pool, user.tenant.id) }),
  );
  /** An export leaves the system as a file or on paper: audited before it is answered. */
  const auditExport = (user: { tenant: { id: string }; username: string }, format: string, q: StatsQuery) =>
    audit.append({
      tenantId: user.tenant.id,
      actor: actorOf(user),
      action: 'stats_exported',
      payload: { format, query: snapQuery(q) },
    });

  route(
    {
      ...figures('export.csv', 'The figures as CSV (an audited export)'),
      produces: 'text/csv',
    },
    async ({ reply, user, query }) => {
      const q = filterOf(query);
      const { summary, series } = await statsExport(pool, user.tenant.id, q, quietMs);
      await auditExport(user, 'csv', q);
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="lagebild-${user.tenant.slug}-${q.from}-${q.to}.csv"`,
        );
      return statsCsv(summary, series);
    },
  );
  // the printable report loads its figures here in one answer, so printing is one audited export
  route(
    {
      ...figures('report', 'Every figure of the printable report (an audited export)'),
      response: StatsReport,
    },
    async ({ user, query }) => {
      const q = filterOf(query);
      const [summary, series, heat, byContext] = await Promise.all([
        statsSummary(pool, user.tenant.id, q, quietMs),
        statsSeries(pool, user.tenant.id, q),
        statsHeatmap(pool, user.tenant.id, q),
        statsBreakdown(pool, user.tenant.id, q, 'context'),
      ]);
      await auditExport(user, 'report', q);
      return { summary, series, heat, byContext };
    },
  );

  const toBaseline = (r: {
    id: string;
    label: string;
    starts_on: string;
    ends_on: string;
    officer_hours: number;
    assaults: number;
    note: string;
    created_at: Date;
  }): BaselinePeriod => ({
    id: r.id,
    label: r.label,
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    officerHours: r.officer_hours,
    assaults: r.assaults,
    note: r.note,
    createdAt: r.created_at.getTime(),
  });
  const BASELINE_COLUMNS = `id, label, to_char(starts_on, 'YYYY-MM-DD') AS starts_on, to_char(ends_on, 'YYYY-MM-DD') AS ends_on,
    officer_hours, assaults, note, created_at`;

  const baselines = {
    method: 'GET',
    url: '/api/baselines',
    access: STATS_ROLES,
    summary: 'Baseline periods (figures from before the cameras)',
    response: BaselinesResponse,
  } as const;
  route(baselines, async ({ user }) => {
    const { rows } = await pool.query(
      `SELECT ${BASELINE_COLUMNS} FROM baseline_periods WHERE tenant_id = $1 ORDER BY starts_on, created_at`,
      [user.tenant.id],
    );
    return { baselines: rows.map(toBaseline) };
  });
  const createBaseline = {
    method: 'POST',
    url: '/api/baselines',
    access: BASELINE_ROLES,
    summary: 'Enters a baseline period (audited)',
    body: CreateBaselineRequest,
    response: BaselinePeriod,
    status: 201,
  } as const;
  route(createBaseline, async ({ user, body: b }) => {
    const created = await withTransaction(pool, async (c) => {
      const { rows } = await c.query(
        `INSERT INTO baseline_periods (tenant_id, label, starts_on, ends_on, officer_hours, assaults, note, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${BASELINE_COLUMNS}`,
        [user.tenant.id, b.label, b.startsOn, b.endsOn, b.officerHours, b.assaults, b.note, user.id],
      );
      const baseline = toBaseline(rows[0]);
      await audit.appendIn(c, [
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'baseline_created',
          target: `baseline:${baseline.id}`,
          payload: {
            label: b.label,
            startsOn: b.startsOn,
            endsOn: b.endsOn,
            officerHours: b.officerHours,
            assaults: b.assaults,
          },
        },
      ]);
      return baseline;
    });
    return created;
  });
  const deleteBaseline = {
    method: 'DELETE',
    url: '/api/baselines/:id',
    access: BASELINE_ROLES,
    summary: 'Deletes a baseline period (audited)',
    params: idParams('baseline period'),
    status: 204,
  } as const;
  route(deleteBaseline, async ({ reply, user, params: { id } }) => {
    await withTransaction(pool, async (c) => {
      // scoped by tenant: another tenant's id is simply not found
      const { rows } = await c.query<{ label: string }>(
        'DELETE FROM baseline_periods WHERE id = $1 AND tenant_id = $2 RETURNING label',
        [id, user.tenant.id],
      );
      if (rows.length === 0) throw new AppError('not_found', 'baseline period not found');
      await audit.appendIn(c, [
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'baseline_deleted',
          target: `baseline:${id}`,
          payload: { label: rows[0]!.label },
        },
      ]);
    });
    return reply.code(204).send();
  });

  const pending = {
    method: 'GET',
    url: '/api/reports/pending',
    access: REPORT_ROLES,
    summary: 'Episodes of the last 24 h that still lack a report',
    response: PendingEpisodesResponse,
  } as const;
  route(pending, async ({ user }) => {
    const { rows } = await pool.query<{
      device_id: string;
      callsign: string | null;
      team: string | null;
      started_at: Date;
      ended_at: Date | null;
      max_stage: 'display' | 'recording';
    }>(
      `SELECT e.device_id, u.callsign, e.team, e.started_at, e.ended_at, e.max_stage
         FROM episodes e LEFT JOIN units u ON u.id = e.unit_id
        WHERE e.tenant_id = $1 AND e.report_id IS NULL AND e.started_at > now() - interval '24 hours'
        ORDER BY e.started_at DESC LIMIT 200`,
      [user.tenant.id],
    );
    return {
      episodes: rows.map((r) => ({
        deviceId: r.device_id,
        callsign: r.callsign,
        team: r.team,
        startedAt: r.started_at.getTime(),
        endedAt: r.ended_at?.getTime() ?? null,
        maxStage: r.max_stage,
      })),
    };
  });
  const file = {
    method: 'POST',
    url: '/api/reports',
    access: REPORT_ROLES,
    summary: "Files an officer's report (201; 200 for a duplicate)",
    body: FileReportRequest,
    response: FileReportResponse,
    status: 201,
  } as const;
  route(file, async ({ reply, user, body: { deviceId, ...report } }) => {
    const device = await pool.query<{ tenant_id: string }>('SELECT tenant_id FROM devices WHERE id = $1', [
      deviceId,
    ]);
    if (device.rows[0]?.tenant_id !== user.tenant.id) throw new AppError('not_found', 'device not found');
    const r = await fileReport(pool, {
      tenantId: user.tenant.id,
      deviceId,
      report,
      source: 'form',
      userId: user.id,
    });
    reply.code(r.duplicate ? 200 : 201);
    return { reportId: report.reportId, ...r };
  });
}
