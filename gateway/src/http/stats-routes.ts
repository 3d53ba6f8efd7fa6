/**
 * Evaluation API (issue #8). Statistics are read by evaluators, supervisors and admins of the own
 * tenant (aggregates only: no names, device labels, video or exact positions; small cells null).
 * Baseline periods are entered by evaluators and admins. Reports are filed through the web form by
 * control-room roles for an officer (the device files its own over /device); evaluators never see
 * the pending list, which names units.
 */
import {
  BASELINE_ROLES,
  type BaselinePeriod,
  type BaselinesResponse,
  BreakdownDimension,
  CreateBaselineRequest,
  FileReportRequest,
  type FileReportResponse,
  type PendingEpisodesResponse,
  REPORT_ROLES,
  STATS_ROLES,
  StatsQuery,
  type StatsTeamsResponse,
} from '@lagebild/protocol';
import { AppError } from '../errors.ts';
import { fileReport } from '../stats/report-store.ts';
import {
  statsBreakdown,
  statsCsv,
  statsExport,
  statsHeatmap,
  statsSeries,
  statsSummary,
  statsTeams,
} from '../stats/stats-queries.ts';
import type { RouteDeps } from './route-deps.ts';
import { parseInput, pathId } from './validate.ts';

type Query = { Querystring: Record<string, string> };

export function registerStatsRoutes({ app, db, guard, log, config }: RouteDeps): void {
  const pool = db.pool;
  const quietMs = config.EPISODE_QUIET_S * 1000;
  const readQuery = (raw: Record<string, string>) => {
    const { by: _by, ...rest } = raw;
    return parseInput(StatsQuery, rest, 'statistics filter');
  };

  app.get<Query>('/api/stats/summary', async (req) => {
    const user = await guard(req, STATS_ROLES);
    return statsSummary(pool, user.tenant.id, readQuery(req.query), quietMs);
  });
  app.get<Query>('/api/stats/series', async (req) => {
    const user = await guard(req, STATS_ROLES);
    return statsSeries(pool, user.tenant.id, readQuery(req.query));
  });
  app.get<Query>('/api/stats/heatmap', async (req) => {
    const user = await guard(req, STATS_ROLES);
    return statsHeatmap(pool, user.tenant.id, readQuery(req.query));
  });
  app.get<Query>('/api/stats/breakdown', async (req) => {
    const user = await guard(req, STATS_ROLES);
    const by = parseInput(BreakdownDimension, req.query.by, 'breakdown dimension (by)');
    return statsBreakdown(pool, user.tenant.id, readQuery(req.query), by);
  });
  app.get('/api/stats/teams', async (req): Promise<StatsTeamsResponse> => {
    const user = await guard(req, STATS_ROLES);
    return { teams: await statsTeams(pool, user.tenant.id) };
  });
  app.get<Query>('/api/stats/export.csv', async (req, reply) => {
    const user = await guard(req, STATS_ROLES);
    const q = readQuery(req.query);
    const { summary, series } = await statsExport(pool, user.tenant.id, q, quietMs);
    log.info(
      { audit: 'stats_export', userId: user.id, tenantId: user.tenant.id, query: q },
      'statistics exported',
    );
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="lagebild-${user.tenant.slug}-${q.from}-${q.to}.csv"`,
      );
    return statsCsv(summary, series);
  });

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

  app.get('/api/baselines', async (req): Promise<BaselinesResponse> => {
    const user = await guard(req, STATS_ROLES);
    const { rows } = await pool.query(
      `SELECT ${BASELINE_COLUMNS} FROM baseline_periods WHERE tenant_id = $1 ORDER BY starts_on, created_at`,
      [user.tenant.id],
    );
    return { baselines: rows.map(toBaseline) };
  });
  app.post('/api/baselines', async (req, reply): Promise<BaselinePeriod> => {
    const user = await guard(req, BASELINE_ROLES);
    const b = parseInput(CreateBaselineRequest, req.body);
    const { rows } = await pool.query(
      `INSERT INTO baseline_periods (tenant_id, label, starts_on, ends_on, officer_hours, assaults, note, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${BASELINE_COLUMNS}`,
      [user.tenant.id, b.label, b.startsOn, b.endsOn, b.officerHours, b.assaults, b.note, user.id],
    );
    log.info(
      { audit: 'baseline_created', userId: user.id, tenantId: user.tenant.id },
      'baseline period created',
    );
    reply.code(201);
    return toBaseline(rows[0]);
  });
  app.delete<{ Params: { id: string } }>('/api/baselines/:id', async (req, reply) => {
    const user = await guard(req, BASELINE_ROLES);
    const id = pathId(req.params.id, 'baseline period');
    // scoped by tenant: another tenant's id is simply not found
    const res = await pool.query('DELETE FROM baseline_periods WHERE id = $1 AND tenant_id = $2', [
      id,
      user.tenant.id,
    ]);
    if (res.rowCount === 0) throw new AppError('not_found', 'baseline period not found');
    log.info(
      { audit: 'baseline_deleted', userId: user.id, tenantId: user.tenant.id, baselineId: id },
      'baseline deleted',
    );
    return reply.code(204).send();
  });

  app.get('/api/reports/pending', async (req): Promise<PendingEpisodesResponse> => {
    const user = await guard(req, REPORT_ROLES);
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
  app.post('/api/reports', async (req, reply): Promise<FileReportResponse> => {
    const user = await guard(req, REPORT_ROLES);
    const { deviceId, ...report } = parseInput(FileReportRequest, req.body);
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
